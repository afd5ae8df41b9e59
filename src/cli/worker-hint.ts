import { stateDir } from '../config/local-stack';
import { localStackPaths } from '../stack/stack-paths';
import { alive, readStackStatus, type StackWorkerStatus } from '../stack/stack-status';

const norm = (address: string) => address.replace(/^localhost:/, '127.0.0.1:');

function workerLine(w: StackWorkerStatus): string {
  const e = w.lastExit;
  if (e?.quick) {
    return `  its ${w.name} cannot start: ${e.cause ?? `exited (${e.exit})`} (last try ${e.at}, ${w.restarts} restarts so far; log ${w.log})`;
  }
  return `  its ${w.name} ${w.pid ? `runs as pid ${w.pid}` : 'is between restarts'}; if it polls another task queue, its plan differs from yours (log ${w.log})`;
}

/**
 * What the local stack on this state dir knows about its workers, when it serves the Temporal
 * address the CLI uses: where they log and why the last start failed (from its status file).
 */
export function localStackWorkerHint(temporalAddress: string, state = stateDir()): string | undefined {
  const status = readStackStatus(localStackPaths(state).statusFile);
  if (!status || !alive(status.pid) || norm(status.endpoints.temporalAddress) !== norm(temporalAddress)) return undefined;
  const head = `the local stack (lepton-dr up, pid ${status.pid}, state ${status.stateDir}) serves this Temporal;`;
  if (status.workers.length === 0) return `${head}\n  it runs no worker (started with --no-worker): run \`lepton-dr worker\``;
  return [head, ...status.workers.map(workerLine)].join('\n');
}
