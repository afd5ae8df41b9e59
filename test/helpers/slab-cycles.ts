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
 * store) of `MiB` of random weights, after a first backup of other bytes has warmed the process
 * up. Prints, as JSON, the minor page faults of the second backup per 4 KiB page of its data, and
 * whether its restore gave back the same bytes.
 * Run in a process with the work processes' malloc settings.
 */
const mib = Number(process.argv[2] ?? 96);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slab-cycles-'));
const weights = (name: string) => {
  const src = path.join(dir, name);
  fs.mkdirSync(src);
  const part = Buffer.allocUnsafe(1024 * 1024);
  for (let i = 0; i < mib; i++) fs.appendFileSync(path.join(src, 'weights.bin'), randomFillSync(part));
  return src;
};

async function main(): Promise<void> {
  const warm = weights('warm');
  const measured = weights('measured');
  const repo = await Repository.open(new FsStore(path.join(dir, 'repo')), Buffer.alloc(32, 5), { create: true, compression: 'auto', password: 'pw' });
  const pool = new ChunkPool(2);
  try {
    await backupDirect(repo, { asset: 'warm', source: warm, strategy: 'incremental' }, pool);
    const before = process.resourceUsage().minorPageFault;
    await backupDirect(repo, { asset: 'measured', source: measured, strategy: 'incremental' }, pool);
    const faults = process.resourceUsage().minorPageFault - before;
    const target = path.join(dir, 'restored');
    await restoreDirect(repo, { asset: 'measured', snapshot: { latest: true }, target }, pool);
    const restored = fs.readFileSync(path.join(target, 'weights.bin')).equals(fs.readFileSync(path.join(measured, 'weights.bin')));
    process.stdout.write(JSON.stringify({ faultsPerPage: faults / ((mib * 1024 * 1024) / 4096), restored }) + '\n');
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
