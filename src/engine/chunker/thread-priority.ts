import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

/** How much a chunk worker thread steps back: a nice value (0-19) and an I/O class. */
export interface ChunkPriority {
  nice?: number;
  /** normal: as the process; low: best-effort, level 7; idle: only when the disk is otherwise idle */
  io?: 'normal' | 'low' | 'idle';
}

export interface AppliedPriority {
  /** the thread's kernel id (Linux), undefined elsewhere */
  tid?: number;
  /** the thread's nice value as read back */
  nice: number;
  io: 'normal' | 'low' | 'idle';
  warnings: string[];
}

const IONICE_ARGS = { low: ['-c', '2', '-n', '7'], idle: ['-c', '3'] } as const;

/**
 * Lower the calling thread's CPU and I/O priority. On Linux both are per thread: setpriority
 * with pid 0 (what os.setPriority(0, n) calls) and ioprio_set on the thread's id change this
 * thread only, not the process serving Temporal. Node cannot call ioprio_set itself, so the
 * thread runs util-linux `ionice -p <tid>` once. The I/O class only counts where the disk's
 * scheduler honours it (bfq, mq-deadline); with "none" it has no effect. Elsewhere than Linux
 * the nice value is per process, so nothing is changed and a warning says so.
 */
export function lowerThreadPriority(p: ChunkPriority = {}): AppliedPriority {
  const warnings: string[] = [];
  const io = p.io ?? 'normal';
  let tid: number | undefined;
  try {
    tid = Number(path_tail(fs.readlinkSync('/proc/thread-self')));
  } catch {
    if (p.nice || io !== 'normal') warnings.push(`chunk worker priority not lowered: per-thread priorities need Linux (${os.platform()})`);
    return { nice: os.getPriority(0), io: 'normal', warnings };
  }
  if (p.nice) os.setPriority(0, Math.max(os.getPriority(0), p.nice));
  let applied: AppliedPriority['io'] = 'normal';
  if (io !== 'normal') {
    const r = spawnSync('ionice', [...IONICE_ARGS[io], '-p', String(tid)], { encoding: 'utf8', timeout: 5_000 });
    if (r.status === 0) applied = io;
    else warnings.push(`chunk worker I/O priority not lowered: ionice ${r.error ? r.error.message : `exited ${r.status}: ${r.stderr.trim()}`}`);
  }
  return { tid, nice: os.getPriority(0), io: applied, warnings };
}

/** "12345/task/12350" -> "12350" */
function path_tail(link: string): string {
  return link.slice(link.lastIndexOf('/') + 1);
}
