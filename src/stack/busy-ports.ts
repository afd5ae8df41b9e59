import type { PortRole } from './stack-ports';
import type { StackStatus } from './stack-status';

/** A port of the stack is taken: names the port, what should be there and who seems to hold it. */
export class StackPortsBusyError extends Error {
  constructor(
    message: string,
    readonly busy: PortRole[],
  ) {
    super(message);
    this.name = 'StackPortsBusyError';
  }
}

/**
 * Why the stack cannot start: which ports are taken and by whom it seems (a running `up` on
 * this state dir, some Temporal server, or another program), and what to do about it.
 */
export function busyMessage(busy: PortRole[], owner: StackStatus | undefined, temporalAnswers: boolean, uiUrl: string): string {
  const shown = busy.slice(0, 4).map((b) => `  127.0.0.1:${b.port}  (${b.role})`);
  const lines = busy.length > shown.length ? [...shown, `  ... and ${busy.length - shown.length} more of the stack's ports`] : shown;
  const head = `cannot start the local stack: ${busy.length === 1 ? 'this port is' : 'these ports are'} already in use:\n${lines.join('\n')}`;
  if (owner) {
    return (
      `${head}\nThe local stack is already running: lepton-dr up, pid ${owner.pid}, since ${owner.startedAt} (state ${owner.stateDir}).\n` +
      `Use it as it is (Temporal UI ${owner.endpoints.uiUrl}, gRPC ${owner.endpoints.temporalAddress}, S3 ${owner.endpoints.s3Endpoint}), ` +
      `or stop it first: Ctrl-C in its terminal, or kill -INT ${owner.pid}.`
    );
  }
  if (temporalAnswers) {
    return (
      `${head}\nA Temporal server already answers there (another "lepton-dr up" with a different state dir, or a "temporal server start-dev" of your own; ` +
      `its UI would be ${uiUrl}). Stop it, or point lepton-dr at it with TEMPORAL_ADDRESS instead of starting the stack.`
    );
  }
  return `${head}\nAnother program holds ${busy.length === 1 ? 'it' : 'them'}; find it with: ss -ltnp | grep -E ':(${busy.map((b) => b.port).join('|')})\\b'`;
}
