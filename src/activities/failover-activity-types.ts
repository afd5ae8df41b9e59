/** Types only: what the failover workflows may call through proxyActivities. */
export type { FailoverActivities } from './failover-activities';
