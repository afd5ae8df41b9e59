import { z } from 'zod';
import { DurationMsSchema, formatIssues, nameSchema } from '../common/schema-primitives';

/**
 * Inputs of failoverWorkflow and failbackWorkflow, and the approval updates. Pure zod, safe in
 * the workflow sandbox; the CLI, the bridge and the prediction loop validate with the same schemas.
 */

const NameSchema = nameSchema('is required (the site name from the plan)');

const IsoTimeSchema = z.string().datetime({ offset: true, message: 'must be an ISO 8601 time such as 2026-11-27T10:00:00Z' });
const SnapshotIdSchema = z.string().regex(/^[0-9a-f]{4,32}$/, 'must be a snapshot id (4 to 32 hex characters)');

/** Milliseconds, or "500ms", "90s", "15m", "1h", "7d": the same durations the plan takes. */
export const DurationMs = DurationMsSchema;

/** Steps of failoverWorkflow and failbackWorkflow, in order; fault injection names one of them. */
export const FAILOVER_STEPS = [
  'open-incident',
  'fence',
  'select-snapshot',
  'restore',
  'verify',
  'approval',
  'switch',
  'validate',
  'cleanup',
  'report',
] as const;
export const FAILBACK_STEPS = [
  'open-incident',
  'backup-standby',
  'select-snapshot',
  'restore',
  'unfence',
  'verify',
  'approval',
  'fence-standby',
  'final-sync',
  'switch',
  'validate',
  'report',
] as const;
export type StepName = (typeof FAILOVER_STEPS)[number] | (typeof FAILBACK_STEPS)[number];
const ALL_STEPS = [...new Set<string>([...FAILOVER_STEPS, ...FAILBACK_STEPS])] as [StepName, ...StepName[]];

const ApprovalOverrideSchema = z
  .object({
    required: z.boolean().optional(),
    timeout: DurationMs.optional(),
    onTimeout: z.enum(['abort', 'proceed']).optional(),
  })
  .strict();

/** Tests only: honoured only when the worker runs with LEPTON_DR_ALLOW_FAULT_INJECTION=1. */
const FaultInjectionSchema = z.object({ failAt: z.enum(ALL_STEPS) }).strict();

const Common = {
  site: NameSchema,
  reason: z.string().max(500).default(''),
  /** Who triggers it: "ui", "cli", "schedule", "alertmanager", "prediction"... */
  source: z.string().min(1).max(64).default('ui'),
  /** When the failure began, if earlier than now (e.g. Alertmanager startsAt): RTO/RPO count from it. */
  occurredAt: IsoTimeSchema.optional(),
  /** Restore this snapshot (its asset is inferred). */
  snapshot: SnapshotIdSchema.optional(),
  /** Per asset snapshot ids, for sites restoring several assets. */
  snapshots: z.record(NameSchema, SnapshotIdSchema).optional(),
  /** Point in time: the newest snapshot taken at or before this time, per asset. */
  before: IsoTimeSchema.optional(),
  /** Override the site's approval policy for this run. */
  approval: ApprovalOverrideSchema.optional(),
  /** Skip the approval gate (same as approval.required = false). */
  skipApproval: z.boolean().optional(),
  faultInjection: FaultInjectionSchema.optional(),
};

function noSnapshotAndBefore(v: { snapshot?: string; snapshots?: Record<string, string>; before?: string }, ctx: z.RefinementCtx): void {
  if (v.before && (v.snapshot || v.snapshots)) ctx.addIssue({ code: 'custom', path: ['before'], message: 'give "before" or a snapshot id, not both' });
}

export const FailoverInputSchema = z
  .object({
    ...Common,
    mode: z.enum(['planned', 'unplanned', 'drill'], { errorMap: () => ({ message: "must be 'planned', 'unplanned' or 'drill'" }) }).default('planned'),
  })
  .strict()
  .superRefine(noSnapshotAndBefore);
export type FailoverInput = z.input<typeof FailoverInputSchema>;
export type FailoverParsedInput = z.output<typeof FailoverInputSchema>;

export const FailbackInputSchema = z
  .object({
    ...Common,
    /** Where the primary's data comes from (default: the site's failback.from). */
    from: z.enum(['standby', 'snapshot']).optional(),
    /** Fail back even though the switcher does not report traffic on the standby. */
    force: z.boolean().optional(),
  })
  .strict()
  .superRefine(noSnapshotAndBefore)
  .refine((v) => !(v.from === 'standby' && (v.snapshot || v.snapshots || v.before)), {
    message: 'a snapshot or "before" only goes with from: "snapshot"',
    path: ['from'],
  });
export type FailbackInput = z.input<typeof FailbackInputSchema>;
export type FailbackParsedInput = z.output<typeof FailbackInputSchema>;

/** Payload of the `approve` and `reject` updates. */
export const ApprovalDecisionSchema = z
  .object({
    operator: z.string({ required_error: 'is required (who decides)' }).trim().min(1, 'must not be empty').max(100),
    comment: z.string().max(1000).optional(),
  })
  .strict();
export type ApprovalDecisionInput = z.input<typeof ApprovalDecisionSchema>;

export const ReportLookupSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{1,200}$/, 'must be a report id such as failover-eu-1a2b3c4d')
      .optional(),
    site: NameSchema.optional(),
    mode: z.enum(['planned', 'unplanned', 'drill', 'failback']).optional(),
    /** With site: the newest successful one instead of the newest. */
    successful: z.boolean().optional(),
  })
  .strict()
  .refine((v) => Boolean(v.id) !== Boolean(v.site), { message: 'give a report "id", or a "site" for its newest report', path: ['id'] });
export type ReportLookup = z.input<typeof ReportLookupSchema>;

/** One failover or failback per site at a time: both run under this id, and a second trigger joins. */
export const failoverWorkflowId = (site: string): string => `failover-${site}`;
/** Drills run under their own id, one per site: a run under "drill-<site>-<suffix>" (a Schedule appends the time) runs it as a child under this id. */
export const drillWorkflowId = (site: string): string => `drill-${site}`;

export { formatIssues };
