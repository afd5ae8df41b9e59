import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { ChunkPool } from '../../src/engine/chunker/pool';

/** A temp folder and a two-thread chunk pool for the tests of one file; filled in by `before`, removed by `after`. */
export interface EngineScratch {
  readonly tmp: string;
  readonly pool: ChunkPool;
}

export function engineScratch(prefix: string): EngineScratch {
  const scratch: { tmp: string; pool?: ChunkPool } = { tmp: '' };
  before(() => {
    scratch.tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    scratch.pool = new ChunkPool(2);
  });
  after(async () => {
    await scratch.pool?.close();
    if (scratch.tmp) fs.rmSync(scratch.tmp, { recursive: true, force: true });
  });
  return {
    get tmp() {
      return scratch.tmp;
    },
    get pool() {
      if (!scratch.pool) throw new Error('engineScratch: pool used before the before() hook ran');
      return scratch.pool;
    },
  };
}
