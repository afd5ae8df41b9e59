import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ChunkPool } from '../../src/engine/chunker/pool';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { Repository } from '../../src/engine/repo/repository';
import { FsStore } from '../../src/engine/store/fs-store';
import { BAD_NAME, describeMeta, makeTortureTree, userXattrsWork } from '../helpers/metadata-tree';

let tmp: string;
let pool: ChunkPool;
let xattrs: boolean;
const key = Buffer.alloc(32, 9);

before(() => {
  // under the project's tmp on disk, not a tmpfs that may refuse user xattrs
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-meta-'));
  pool = new ChunkPool(2);
  xattrs = userXattrsWork(tmp);
});
after(async () => {
  await pool.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const diff = (a: Map<string, unknown>, b: Map<string, unknown>) => {
  const out: string[] = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = JSON.stringify(a.get(k));
    const y = JSON.stringify(b.get(k));
    if (x !== y) out.push(`${Buffer.from(k, 'hex').toString('latin1') || '<root>'}:\n  source   ${x}\n  restored ${y}`);
  }
  return out;
};

test('torture tree: owners, setuid, hard links, FIFO, device, non-UTF-8 names, ns mtimes, xattrs, root metadata', async (t) => {
  assert.equal(process.getuid?.(), 0, 'this test creates devices and foreign owners: run it as root');
  if (!xattrs) t.diagnostic(`the filesystem at ${tmp} refuses user xattrs (or getfattr/setfattr are missing): xattrs are not checked`);
  const src = path.join(tmp, 'src');
  makeTortureTree(src, { xattrs });
  const repo = await Repository.open(new FsStore(path.join(tmp, 'repo')), key, { create: true, packSize: 4 * 1024 * 1024 });
  const s1 = await backupDirect(repo, { asset: 'meta', source: src, strategy: 'incremental' }, pool);
  assert.equal(s1.stats.warnings, 0);
  assert.equal(s1.stats.skipped, 0, 'FIFOs and devices are entries now, not skipped');
  assert.equal(s1.stats.specials, 2);
  const tree = await repo.loadTree(s1);
  const linked = tree.filter((e) => e.type === 'file' && e.linkGroup !== undefined).map((e) => e.path);
  assert.deepEqual(linked, ['hardlinks/a.bin', 'hardlinks/b.bin', 'hardlinks/sub/c.bin']);
  assert.ok(tree.some((e) => e.rawPath === BAD_NAME.toString('base64')), 'the exact bytes of a name that is not UTF-8 are stored');
  assert.ok(s1.stats.bytesRead < 300_000, `a hard-link group is read once (read ${s1.stats.bytesRead} bytes)`);

  const out = path.join(tmp, 'out');
  const outcome = await restoreDirect(repo, { asset: 'meta', snapshot: { latest: true }, target: out });
  assert.deepEqual(outcome.warnings ?? [], []);
  assert.deepEqual(diff(describeMeta(src, { xattrs }), describeMeta(out, { xattrs })), []);
});

test('incremental: a changed owner or mode is recorded although the bytes are reused', async () => {
  const src = path.join(tmp, 'inc');
  fs.mkdirSync(src);
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(src, `f${i}`), `file ${i}`);
  const repo = await Repository.open(new FsStore(path.join(tmp, 'repo-inc')), key, { create: true });
  const s1 = await backupDirect(repo, { asset: 'inc', source: src, strategy: 'incremental' }, pool);
  fs.chownSync(path.join(src, 'f1'), 4242, 4343);
  fs.chmodSync(path.join(src, 'f2'), 0o4700);
  const s2 = await backupDirect(repo, { asset: 'inc', source: src, strategy: 'incremental' }, pool);
  assert.equal(s2.parent, s1.id);
  assert.equal(s2.stats.chunksNew, 0, 'no new data chunk for metadata changes');
  assert.equal(s2.stats.filesUnchanged, 18, 'only the two files whose ctime moved are read again');
  const tree = new Map((await repo.loadTree(s2)).map((e) => [e.path, e]));
  assert.deepEqual([tree.get('f1')?.uid, tree.get('f1')?.gid], [4242, 4343]);
  assert.equal(tree.get('f2')?.mode, 0o4700);
  const out = path.join(tmp, 'inc-out');
  await restoreDirect(repo, { asset: 'inc', snapshot: { latest: true }, target: out });
  const st = fs.statSync(path.join(out, 'f1'));
  assert.deepEqual([st.uid, st.gid], [4242, 4343]);
  assert.equal(fs.statSync(path.join(out, 'f2')).mode & 0o7777, 0o4700);
});
