import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/logger';
import { killGroup } from './process';
import { alive, runs, type StackStatus } from './stack-status';

/**
 * A previous `up` that was killed (SIGKILL, crash) leaves its servers running in their own
 * process groups, holding the ports and the SQLite file. Stop them, since this state dir is ours.
 */
export async function reapLeftovers(status: StackStatus, log: Logger): Promise<void> {
  const left = status.children.filter((c) => runs(c.pid, c.match));
  if (left.length === 0) return;
  log.warn(
    { leftovers: left },
    `stopping ${left.map((c) => `${c.name} (pid ${c.pid})`).join(', ')} left running by a lepton-dr up (pid ${status.pid}) that did not shut down`,
  );
  for (const c of left) killGroup(c.pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (left.some((c) => alive(c.pid)) && Date.now() < deadline) await sleep(100);
  for (const c of left) killGroup(c.pid, 'SIGKILL');
  while (left.some((c) => alive(c.pid)) && Date.now() < deadline + 2000) await sleep(50);
}
