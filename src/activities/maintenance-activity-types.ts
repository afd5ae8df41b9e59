/** Types only: what maintenance workflows may call through proxyActivities. */
export type { MaintenanceActivities } from './maintenance-activities';
