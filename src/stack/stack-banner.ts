import { LOCAL_STACK } from '../config/local-stack';
import type { LocalStackEndpoints } from './stack-endpoints';
import type { WorkerSupervisor } from './worker-process';

/** The lines printed once the stack is up. */
export function stackBanner(s: LocalStackEndpoints & { worker?: WorkerSupervisor }): string {
  return [
    '',
    'lepton-dr local stack is up',
    `  Temporal UI    ${s.uiUrl}`,
    `  Temporal gRPC  ${s.temporalAddress}  (namespace ${s.namespace})`,
    `  S3 endpoint    ${s.s3Endpoint}  (bucket ${s.bucket}, key ${LOCAL_STACK.accessKeyId})`,
    `  worker         ${s.worker ? `pid ${s.worker.pid ?? '-'}, restarted if it dies` : 'not started (--no-worker)'}`,
    `  logs           ${s.logDir}`,
    `  state          ${s.stateDir}`,
    'Press Ctrl-C to stop everything (state is kept for the next start).',
    '',
  ].join('\n');
}
