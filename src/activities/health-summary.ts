import type { HealthReport } from '../failover/health';
import type { HealthSummary } from '../contracts/failover-types';

/** What the workflow and the report keep of a health run: per check, the outcome, attempts and time. */
export function healthSummary(r: HealthReport, filesVerified: string[] = []): HealthSummary {
  return {
    ok: r.ok,
    ...(r.healthyAt ? { healthyAt: r.healthyAt } : {}),
    durationMs: r.durationMs,
    checks: r.results.map((c) => ({
      name: c.name,
      ok: c.ok,
      attempts: c.attempts,
      durationMs: c.durationMs,
      ...(c.last.error ? { error: c.last.error } : {}),
    })),
    filesVerified,
  };
}
