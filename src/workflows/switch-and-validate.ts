import type { SelectedSnapshot } from '../contracts/failover-types';
import { health, switching, undo } from './failover-options';
import type { FailoverRun } from './failover-run';

/** Switch traffic to a side (undo: back to the other one), then validate it through the traffic path. */
export async function switchAndValidate(run: FailoverRun, site: string, to: 'primary' | 'standby', snaps: SelectedSnapshot[]): Promise<void> {
  const { saga } = run;
  const back = to === 'standby' ? 'primary' : 'standby';
  saga.onUndo(`switch traffic back to the ${back}`, () => undo.switchTraffic({ site, to: back }));
  await saga.step('switch', () => switching.switchTraffic({ site, to }), {
    detail: (s) => `${s.previous} -> ${s.side} in ${s.durationMs} ms: ${s.detail}`,
  });
  await run.fault('switch');

  const traffic = await saga.step('validate', () => health.checkTraffic({ site, expect: to, snapshots: snaps }), {
    detail: (h) => `traffic path healthy on the ${to} (${h.checks.length} check(s)) in ${h.durationMs} ms`,
  });
  run.markHealthy(traffic.healthyAt);
  await run.fault('validate');
}
