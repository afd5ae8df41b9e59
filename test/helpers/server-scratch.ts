import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';

/** A server started once for the tests of one file, and a temp folder beside it; filled in by `before`, both gone after `after`. */
export interface ServerScratch<S> {
  readonly tmp: string;
  readonly server: S;
}

export function serverScratch<S extends { stop(): Promise<void> }>(prefix: string, start: () => Promise<S>): ServerScratch<S> {
  const scratch: { tmp: string; server?: S } = { tmp: '' };
  before(async () => {
    scratch.server = await start();
    scratch.tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  after(async () => {
    await scratch.server?.stop();
    if (scratch.tmp) fs.rmSync(scratch.tmp, { recursive: true, force: true });
  });
  return {
    get tmp() {
      return scratch.tmp;
    },
    get server() {
      if (!scratch.server) throw new Error('serverScratch: server used before the before() hook ran');
      return scratch.server;
    },
  };
}
