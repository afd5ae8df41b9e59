/** Types only: what workflows may call through proxyActivities. */
export type { Activities } from './create-activities';
