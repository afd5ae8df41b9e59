/** Types only: what copyWorkflow may call through proxyActivities. */
export type { CopyActivities } from './copy-activities';
