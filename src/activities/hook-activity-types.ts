/** Types only: what workflows may call through proxyActivities. */
export type { HookActivities } from './hook-activities';
