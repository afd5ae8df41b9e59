import { z } from 'zod';
import { FailoverModeSchema, FailoverReportSchema } from '../common/failover-report';

/**
 * Inputs of the failover, drill and failback activities: the workflows call with these types,
 * the activities parse with these schemas (a worker of another version may still send other data).
 */

const SiteNameSchema = z.string().min(1).max(64);
const KeySchema = z.string().regex(/^[a-zA-Z0-9._-]{1,200}$/, 'must be letters, digits, ".", "_" or "-"');
const SideSchema = z.enum(['primary', 'standby']);
const TargetSideSchema = z.enum(['primary', 'standby', 'drill']);
const SnapshotsSchema = z.array(z.object({ asset: z.string().min(1), id: z.string().regex(/^[0-9a-f]{32}$/) }).passthrough());

export const IncidentInputSchema = z
  .object({
    site: SiteNameSchema,
    mode: FailoverModeSchema,
    faultInjection: z.boolean(),
    force: z.boolean().optional(),
    from: z.enum(['standby', 'snapshot']).optional(),
  })
  .strict();
export type IncidentInput = z.input<typeof IncidentInputSchema>;
export const FaultInputSchema = z.object({ step: z.string().min(1).max(64) }).strict();
export type FaultInput = z.input<typeof FaultInputSchema>;
export const SideActionInputSchema = z.object({ site: SiteNameSchema, side: SideSchema, action: z.enum(['fence', 'unfence', 'afterRestore']) }).strict();
export type SideActionInput = z.input<typeof SideActionInputSchema>;
export const SnapshotSelectionInputSchema = z
  .object({
    site: SiteNameSchema,
    side: SideSchema,
    snapshot: z.string().optional(),
    snapshots: z.record(z.string()).optional(),
    before: z.string().datetime({ offset: true }).optional(),
  })
  .strict();
export type SnapshotSelectionInput = z.input<typeof SnapshotSelectionInputSchema>;
export const PreservedTargetInputSchema = z.object({ site: SiteNameSchema, side: SideSchema, asset: SiteNameSchema, key: KeySchema }).strict();
export type PreservedTargetInput = z.input<typeof PreservedTargetInputSchema>;
export const PutBackInputSchema = PreservedTargetInputSchema.extend({ restorePrefix: KeySchema, existed: z.boolean().optional() });
export type PutBackInput = z.input<typeof PutBackInputSchema>;
export const DrillCleanupInputSchema = z.object({ site: SiteNameSchema, asset: SiteNameSchema, restorePrefix: KeySchema.optional() }).strict();
export type DrillCleanupInput = z.input<typeof DrillCleanupInputSchema>;
export const VerifySideInputSchema = z.object({ site: SiteNameSchema, side: TargetSideSchema, snapshots: SnapshotsSchema }).strict();
export type VerifySideInput = z.input<typeof VerifySideInputSchema>;
export const SwitchInputSchema = z.object({ site: SiteNameSchema, to: SideSchema }).strict();
export type SwitchInput = z.input<typeof SwitchInputSchema>;
export const TrafficCheckInputSchema = z.object({ site: SiteNameSchema, expect: SideSchema, snapshots: SnapshotsSchema }).strict();
export type TrafficCheckInput = z.input<typeof TrafficCheckInputSchema>;
export const WriteReportInputSchema = z.object({ report: FailoverReportSchema }).strict();
export type WriteReportInput = z.input<typeof WriteReportInputSchema>;
export const StatusInputSchema = z.object({}).strict();
export type StatusInput = z.input<typeof StatusInputSchema>;
