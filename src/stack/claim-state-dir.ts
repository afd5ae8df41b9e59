import type { Logger } from '../common/logger';
import { busyMessage, StackPortsBusyError } from './busy-ports';
import { busyPorts } from './ports';
import { reapLeftovers } from './reap-leftovers';
import type { LocalStackEndpoints } from './stack-endpoints';
import type { LocalStackPaths } from './stack-paths';
import { portRoles, type LocalStackPorts } from './stack-ports';
import { readStackStatus, removeStackStatus, runs } from './stack-status';
import { temporalReady } from './temporal-server';

/**
 * Makes the state dir and the ports ours before anything starts: refuses if another `up` runs
 * on this state dir or a port is taken (StackPortsBusyError saying by whom), and stops the
 * leftovers of an `up` that was killed.
 */
export async function claimStateDir(paths: LocalStackPaths, ports: LocalStackPorts, ep: LocalStackEndpoints, log: Logger): Promise<void> {
  const roles = portRoles(ports);
  const previous = readStackStatus(paths.statusFile);
  if (previous && (previous.pid === process.pid || runs(previous.pid, 'node'))) {
    const busy = await busyPorts(roles);
    throw new StackPortsBusyError(busyMessage(busy.length ? busy : roles.slice(0, 1), previous, false, ep.uiUrl), busy);
  }
  if (previous) {
    await reapLeftovers(previous, log);
    removeStackStatus(paths.statusFile);
  }
  const busy = await busyPorts(roles);
  if (busy.length) {
    const temporalAnswers =
      busy.some((b) => b.port === ports.temporal) &&
      (await temporalReady(ep.temporalAddress, ep.namespace).then(
        () => true,
        () => false,
      ));
    throw new StackPortsBusyError(busyMessage(busy, undefined, temporalAnswers, ep.uiUrl), busy);
  }
}
