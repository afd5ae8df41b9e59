import os from 'node:os';
import path from 'node:path';
import { WorkerPool } from '../../common/worker-pool';
import type { FsPath } from '../fs/raw-path';
import type { WholeFile, WholeFilesResult, WholeFilesTask } from './whole-files';

/** Files sent to a writer thread together: at most this many bytes ... */
const GROUP_BYTES = 4 * 1024 * 1024;
/** ... or this many files */
const GROUP_FILES = 128;

let shared: WorkerPool<WholeFilesTask, WholeFilesResult> | undefined;
// one set of threads per process, shared by every batch; idle threads do not keep it alive
const writers = () => (shared ??= new WorkerPool(path.join(__dirname, 'whole-files-worker.js'), Math.max(2, os.availableParallelism())));

type Meta = Omit<WholeFile, 'abs' | 'off' | 'len'>;

/**
 * Collects one-blob files and hands them to the writer threads in groups, their bytes copied
 * into one transferred buffer per group (a blob's buffer may be a view of a larger one, which a
 * transfer would detach). `written` runs for each file once it is on disk; `finish` waits for
 * all of them and throws the first failure.
 */
export class WholeFileWriter {
  private files: WholeFile[] = [];
  private parts: Buffer[] = [];
  private after: (() => Promise<void> | void)[] = [];
  private bytes = 0;
  private readonly sent: Promise<void>[] = [];

  add(abs: FsPath, data: Buffer, meta: Meta, written: () => Promise<void> | void): void {
    this.files.push({ abs, off: this.bytes, len: data.length, ...meta });
    this.parts.push(data);
    this.after.push(written);
    this.bytes += data.length;
    if (this.bytes >= GROUP_BYTES || this.files.length >= GROUP_FILES) this.send();
  }

  async finish(): Promise<void> {
    this.send();
    await Promise.all(this.sent);
  }

  private send(): void {
    if (!this.files.length) return;
    const data = Buffer.allocUnsafeSlow(this.bytes);
    let at = 0;
    for (const p of this.parts) at += p.copy(data, at);
    const files = this.files;
    const after = this.after;
    this.files = [];
    this.parts = [];
    this.after = [];
    this.bytes = 0;
    const p = writers()
      .run({ files, data: data.buffer as ArrayBuffer }, [data.buffer as ArrayBuffer])
      .then(async (results) => {
        const bad = results.findIndex((r) => r !== undefined);
        if (bad >= 0) {
          const r = results[bad] as { error: string; code?: string };
          throw Object.assign(new Error(r.error), r.code ? { code: r.code } : {});
        }
        for (const a of after) await a();
      });
    // a batch that stops early (a bad blob) may never await it: no unhandled rejection
    p.catch(() => undefined);
    this.sent.push(p);
  }
}
