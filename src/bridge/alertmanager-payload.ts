import { z } from 'zod';

/**
 * Prometheus Alertmanager webhook payload, version 4 (webhook_config receivers):
 * https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 * Every field of the format is required; unknown extra fields are ignored (stripped).
 */
const LabelsSchema = z.record(z.string(), z.string());
/**
 * Canonical UTC with milliseconds: the loop keys deliveries by startsAt and compares startsAt
 * strings, and Go's RFC 3339 drops trailing zeros of the fraction ("…05.12Z" for "…05.120Z") and may
 * carry an offset, so the same instant must always be spelled the same way.
 */
const TimeSchema = z
  .string()
  .datetime({ offset: true, message: 'must be an RFC 3339 time' })
  .transform((s) => new Date(s).toISOString());

export const AlertmanagerAlertSchema = z.object({
  status: z.enum(['firing', 'resolved'], { errorMap: () => ({ message: "must be 'firing' or 'resolved'" }) }),
  labels: LabelsSchema,
  annotations: LabelsSchema,
  startsAt: TimeSchema,
  /** "0001-01-01T00:00:00Z" while firing. */
  endsAt: TimeSchema,
  generatorURL: z.string(),
  fingerprint: z.string().min(1, 'must not be empty').max(128),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlertSchema>;

export const AlertmanagerPayloadSchema = z.object({
  version: z.literal('4', { errorMap: () => ({ message: 'must be "4" (Alertmanager webhook payload version 4)' }) }),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().nonnegative(),
  status: z.enum(['firing', 'resolved'], { errorMap: () => ({ message: "must be 'firing' or 'resolved'" }) }),
  receiver: z.string(),
  groupLabels: LabelsSchema,
  commonLabels: LabelsSchema,
  commonAnnotations: LabelsSchema,
  externalURL: z.string(),
  alerts: z.array(AlertmanagerAlertSchema).max(10_000),
});
export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayloadSchema>;
