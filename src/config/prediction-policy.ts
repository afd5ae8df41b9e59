import { z } from 'zod';
import { DurationMsSchema, formatIssues, NameSchema } from '../common/schema-primitives';

/**
 * The prediction loop's decision policy (thresholds, hysteresis, cooldowns, actions): pure zod,
 * shared by the site configuration (src/predict/site-config.ts), the workflow (setPolicy update
 * validator, inside the sandbox), the CLI and the bridge.
 */

/** Milliseconds, or a duration such as "500ms", "90s", "15m", "1h", "7d". */
export const DurationMs = DurationMsSchema;

const AssetName = NameSchema;

const Risk = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

export const LEVELS = ['ok', 'warn', 'high', 'critical'] as const;
export type Level = (typeof LEVELS)[number];

// ---------------------------------------------------------------- decision policy

const ThresholdsShape = {
  /** Risk at or above which to warn (notify). */
  warn: Risk,
  /** Risk at or above which to act: a pre-emptive backup of the site's assets. */
  high: Risk,
  /** Risk at or above which to request a failover (per `failover`). */
  critical: Risk,
};

function orderedThresholds(t: { warn: number; high: number; critical: number }, ctx: z.RefinementCtx, path: (string | number)[]): void {
  if (!(t.warn < t.high)) ctx.addIssue({ code: 'custom', path: [...path, 'high'], message: `must be above thresholds.warn (${t.warn}), got ${t.high}` });
  if (!(t.high < t.critical))
    ctx.addIssue({ code: 'custom', path: [...path, 'critical'], message: `must be above thresholds.high (${t.high}), got ${t.critical}` });
}

const PolicyShape = {
  thresholds: z.object(ThresholdsShape).strict(),
  /** A level is kept until the risk falls this far below its threshold. */
  hysteresis: z.number().min(0).max(0.5),
  /** Consecutive iterations above a threshold before the level rises. */
  raiseAfter: z.number().int().min(1).max(100),
  /** Consecutive iterations below (threshold - hysteresis) before the level falls. */
  clearAfter: z.number().int().min(1).max(1000),
  /** At most one notification per cooldown, except an escalation above the last level notified. */
  cooldownMs: DurationMs,
  /** Re-notify a level that persists this long (0: never). */
  repeatMs: DurationMs,
  /** Time between two iterations of the loop. */
  intervalMs: DurationMs.refine((v) => v >= 100 && v <= 86_400_000, 'must be between 100ms and 1d'),
  /** Pre-emptive backups at the high level: assets of the plan, and the least time between two per asset. */
  preemptiveBackup: z
    .object({
      assets: z.array(AssetName).max(64),
      cooldownMs: DurationMs.refine((v) => v >= 1000, 'must be at least 1s'),
    })
    .strict(),
  /** At the critical level: start failoverWorkflow (approval required), only record a recommendation, or nothing. */
  failover: z.enum(['request', 'recommendOnly', 'off'], { errorMap: () => ({ message: "must be 'request', 'recommendOnly' or 'off'" }) }),
  failoverCooldownMs: DurationMs,
  /** Risk of a firing monitoring alert by its `severity` label (a `dr_risk` label in [0, 1] wins). */
  alertRisk: z.record(z.string().min(1), Risk),
  alertDefaultRisk: Risk,
};

export const DecisionPolicySchema = z
  .object({
    thresholds: PolicyShape.thresholds.default({ warn: 0.5, high: 0.8, critical: 0.95 }),
    hysteresis: PolicyShape.hysteresis.default(0.1),
    raiseAfter: PolicyShape.raiseAfter.default(1),
    clearAfter: PolicyShape.clearAfter.default(2),
    cooldownMs: PolicyShape.cooldownMs.default('15m'),
    repeatMs: PolicyShape.repeatMs.default('4h'),
    intervalMs: PolicyShape.intervalMs.default('60s'),
    preemptiveBackup: PolicyShape.preemptiveBackup.default({ assets: [], cooldownMs: '1h' }),
    failover: PolicyShape.failover.default('request'),
    failoverCooldownMs: PolicyShape.failoverCooldownMs.default('1h'),
    alertRisk: PolicyShape.alertRisk.default({ critical: 0.9, warning: 0.6, info: 0.3 }),
    alertDefaultRisk: PolicyShape.alertDefaultRisk.default(0.6),
  })
  .strict()
  .superRefine((p, ctx) => orderedThresholds(p.thresholds, ctx, ['thresholds']));
export type DecisionPolicy = z.output<typeof DecisionPolicySchema>;
export type DecisionPolicyInput = z.input<typeof DecisionPolicySchema>;

/** Payload of the `setPolicy` update: any subset of the policy (thresholds field by field). */
export const PolicyPatchSchema = z
  .object({
    thresholds: z.object(ThresholdsShape).partial().strict().optional(),
    hysteresis: PolicyShape.hysteresis.optional(),
    raiseAfter: PolicyShape.raiseAfter.optional(),
    clearAfter: PolicyShape.clearAfter.optional(),
    cooldownMs: PolicyShape.cooldownMs.optional(),
    repeatMs: PolicyShape.repeatMs.optional(),
    intervalMs: PolicyShape.intervalMs.optional(),
    preemptiveBackup: PolicyShape.preemptiveBackup.partial().strict().optional(),
    failover: PolicyShape.failover.optional(),
    failoverCooldownMs: PolicyShape.failoverCooldownMs.optional(),
    alertRisk: PolicyShape.alertRisk.optional(),
    alertDefaultRisk: PolicyShape.alertDefaultRisk.optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'give at least one field to change' });
export type PolicyPatch = z.output<typeof PolicyPatchSchema>;
export type PolicyPatchInput = z.input<typeof PolicyPatchSchema>;

/** Applies a patch to a policy and validates the result (thresholds must stay ordered). */
export function applyPolicyPatch(base: DecisionPolicy, patch: PolicyPatch): { ok: true; policy: DecisionPolicy } | { ok: false; error: string } {
  const merged = {
    ...base,
    ...patch,
    thresholds: { ...base.thresholds, ...(patch.thresholds ?? {}) },
    preemptiveBackup: { ...base.preemptiveBackup, ...(patch.preemptiveBackup ?? {}) },
  };
  const r = DecisionPolicySchema.safeParse(merged);
  if (!r.success) return { ok: false, error: formatIssues(r.error) };
  return { ok: true, policy: r.data };
}

/** Merges two patches (later wins, thresholds field by field). */
export function mergePatches(a: PolicyPatch | undefined, b: PolicyPatch): PolicyPatch {
  if (!a) return b;
  return {
    ...a,
    ...b,
    ...(a.thresholds || b.thresholds ? { thresholds: { ...(a.thresholds ?? {}), ...(b.thresholds ?? {}) } } : {}),
    ...(a.preemptiveBackup || b.preemptiveBackup ? { preemptiveBackup: { ...(a.preemptiveBackup ?? {}), ...(b.preemptiveBackup ?? {}) } } : {}),
  };
}

export { formatIssues };
