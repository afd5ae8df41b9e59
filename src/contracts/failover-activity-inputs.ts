import { z } from 'zod';
import { FailoverModeSchema, FailoverReportSchema } from '../common/failover-report';

/**
 * Inputs of the failover, drill and failback activities: the workflows call with these types,
 * the activities parse with these schemas (a worker of another version may still send other data).
 */

const SiteName = z.string().min(1).max(64);
const Key = z.string().regex(/^[a-zA-Z0-9._-]{1,200}$/, 'must be letters, digits, ".", "_" or "-"');
const Side = z.enum(['primary', 'standby']);
const TargetSide = z.enum(['primary', 'standby', 'drill']);
const Snapshots = z.array(z.object({ asset: z.string().min(1), id: z.string().regex(/^[0-9a-f]{32}$/) }).passthrough());

export const IncidentInputSchema = z
  .object({ site: SiteName, mode: FailoverModeSchema, faultInjection: z.boolean(), force: z.boolean().optional(), from: z.enum(['standby', 'snapshot']).optional() })
  .strict();
export type IncidentInput = z.input<typeof IncidentInputSchema>;
export const FaultInputSchema = z.object({ step: z.string().min(1).max(64) }).strict();
export type FaultInput = z.input<typeof FaultInputSchema>;
export const SideActionInputSchema = z.object({ site: SiteName, side: Side, action: z.enum(['fence', 'unfence', 'afterRestore']) }).strict();
export type SideActionInput = z.input<typeof SideActionInputSchema>;
export const SnapshotSelectionInputSchema = z
  .object({ site: SiteName, side: Side, snapshot: z.string().optional(), snapshots: z.record(z.string()).optional(), before: z.string().datetime({ offset: true }).optional() })
  .strict();
export type SnapshotSelectionInput = z.input<typeof SnapshotSelectionInputSchema>;
export const PreservedTargetInputSchema = z.object({ site: SiteName, side: Side, asset: SiteName, key: Key }).strict();
export type PreservedTargetInput = z.input<typeof PreservedTargetInputSchema>;
export const PutBackInputSchema = PreservedTargetInputSchema.extend({ restorePrefix: Key, existed: z.boolean().optional() });
export type PutBackInput = z.input<typeof PutBackInputSchema>;
export const DrillCleanupInputSchema = z.object({ site: SiteName, asset: SiteName, restorePrefix: Key.optional() }).strict();
export type DrillCleanupInput = z.input<typeof DrillCleanupInputSchema>;
export const VerifySideInputSchema = z.object({ site: SiteName, side: TargetSide, snapshots: Snapshots }).strict();
export type VerifySideInput = z.input<typeof VerifySideInputSchema>;
export const SwitchInputSchema = z.object({ site: SiteName, to: Side }).strict();
export type SwitchInput = z.input<typeof SwitchInputSchema>;
export const TrafficCheckInputSchema = z.object({ site: SiteName, expect: Side, snapshots: Snapshots }).strict();
export type TrafficCheckInput = z.input<typeof TrafficCheckInputSchema>;
export const WriteReportInputSchema = z.object({ report: FailoverReportSchema }).strict();
export type WriteReportInput = z.input<typeof WriteReportInputSchema>;
export const StatusInputSchema = z.object({}).strict();
export type StatusInput = z.input<typeof StatusInputSchema>;
