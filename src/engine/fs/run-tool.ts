import { spawn } from 'node:child_process';

export interface ToolResult {
  /** null when the tool is not installed */
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** A running tool fed on stdin piece by piece; `end` closes stdin and waits for its result. */
export interface ToolSession {
  /** resolves once the piece is taken (backpressure); a tool that has exited takes nothing */
  write(piece: string | Buffer): Promise<void>;
  end(): Promise<ToolResult>;
  /** every stdout piece as it arrives (the result's stdout still holds all of it) */
  onStdout(fn: (piece: Buffer) => void): void;
  /** resolves when the tool has exited (or never started) */
  readonly exited: Promise<ToolResult>;
}

/**
 * Start an external tool whose stdin stays open. A missing binary is a result (code null), not
 * an exception: callers fall back and warn.
 */
export function startTool(cmd: string, args: string[]): ToolSession {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const listeners: ((piece: Buffer) => void)[] = [];
  let gone = false;
  child.stdout.on('data', (d: Buffer) => {
    out.push(d);
    for (const l of listeners) l(d);
  });
  child.stderr.on('data', (d: Buffer) => err.push(d));
  child.stdin.on('error', () => undefined);
  const exited = new Promise<ToolResult>((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      gone = true;
      if (e.code === 'ENOENT') resolve({ code: null, stdout: Buffer.alloc(0), stderr: `${cmd}: not installed` });
      else reject(e);
    });
    child.on('close', (code) => {
      gone = true;
      resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
  return {
    exited,
    onStdout: (fn) => void listeners.push(fn),
    write: (piece) =>
      gone || child.stdin.write(piece)
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            child.stdin.once('drain', resolve);
            void exited.then(
              () => resolve(),
              () => resolve(),
            );
          }),
    end: () => {
      child.stdin.end();
      return exited;
    },
  };
}

/** Run an external tool with `input` on stdin and collect its output (see startTool). */
export async function runTool(cmd: string, args: string[], input?: Buffer | string): Promise<ToolResult> {
  const t = startTool(cmd, args);
  if (input?.length) await t.write(input);
  return t.end();
}
