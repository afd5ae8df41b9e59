import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChunkPool } from '../../src/engine/chunker/pool';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { Repository } from '../../src/engine/repo/repository';
import { FsStore } from '../../src/engine/store/fs-store';

/**
 * A full backup as the engine runs one (two chunk threads, encrypted, compression auto, a file
 * store) of `MiB` of random weights, after a first backup of other bytes, then its restore.
 * Prints, as JSON, what the process still holds once both are done: the bytes of ArrayBuffers of
 * its main thread after a full GC and how far its resident set grew from before the chunk threads
 * started; and whether the restore gave back the same bytes. Run with --expose-gc, in a
 * process with the work processes' malloc settings.
 */
const mib = Number(process.argv[2] ?? 96);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-buffers-'));
const weights = (name: string) => {
  const src = path.join(dir, name);
  fs.mkdirSync(src);
  const part = Buffer.allocUnsafe(1024 * 1024);
  for (let i = 0; i < mib; i++) fs.appendFileSync(path.join(src, 'weights.bin'), randomFillSync(part));
  return src;
};

/** VmRSS of this process (all its threads), bytes */
const residentBytes = () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;

async function main(): Promise<void> {
  const warm = weights('warm');
  const measured = weights('measured');
  const repo = await Repository.open(new FsStore(path.join(dir, 'repo')), Buffer.alloc(32, 5), { create: true, compression: 'auto', password: 'pw' });
  const pool = new ChunkPool(2);
  const rss0 = residentBytes();
  try {
    await backupDirect(repo, { asset: 'warm', source: warm, strategy: 'incremental' }, pool);
    await backupDirect(repo, { asset: 'measured', source: measured, strategy: 'incremental' }, pool);
    const target = path.join(dir, 'restored');
    await restoreDirect(repo, { asset: 'measured', snapshot: { latest: true }, target }, pool);
    (globalThis as { gc?: () => void }).gc?.();
    const heldBytes = process.memoryUsage().arrayBuffers;
    const grownBytes = residentBytes() - rss0;
    const restored = fs.readFileSync(path.join(target, 'weights.bin')).equals(fs.readFileSync(path.join(measured, 'weights.bin')));
    process.stdout.write(JSON.stringify({ heldBytes, grownBytes, restored }) + '\n');
  } finally {
    await pool.close();
  }
}

main()
  .catch((e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
