import { spawn } from 'node:child_process';

export interface ToolResult {
  /** null when the tool is not installed */
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Run an external tool with `input` on stdin and collect its output. A missing binary is a
 * result (code null), not an exception: callers fall back and warn.
 */
export function runTool(cmd: string, args: string[], input?: Buffer | string): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => undefined);
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') resolve({ code: null, stdout: Buffer.alloc(0), stderr: `${cmd}: not installed` });
      else reject(e);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(input ?? '');
  });
}
