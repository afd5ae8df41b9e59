import type { FailoverMode } from '../common/failover-report';

/** When a failover fences the primary: never (drills), first, right after the approval gate, or once traffic is validated on the standby. */
export type FenceAt = 'never' | 'start' | 'after-approval' | 'after-switch';

/**
 * Fencing touches production, so with approval required it never runs before the gate: a
 * prediction-triggered failover waits at the gate with the standby restored and verified and
 * the primary untouched. Without approval: planned failovers fence where the site says
 * (fencing.at), unplanned ones first (best effort). "after-switch" stays after the switch either way.
 */
export function fenceAt(mode: FailoverMode, siteFencingAt: 'start' | 'after-switch', approvalRequired: boolean): FenceAt {
  if (mode === 'drill' || mode === 'failback') return 'never';
  if (mode === 'planned' && siteFencingAt === 'after-switch') return 'after-switch';
  return approvalRequired ? 'after-approval' : 'start';
}
