import { planKey } from '../../src/engine/repo/layout';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chunkSegments } from '../../src/engine/chunker/chunk-segments';
import { DEFAULT_CHUNKER } from '../../src/engine/chunker/fastcdc';
import { ChunkPool } from '../../src/engine/chunker/pool';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { commitBackup } from '../../src/engine/backup/commit-backup';
import { writeSignedJson } from '../../src/engine/repo/signed-doc';
import { setExactMtimes } from '../../src/engine/fs/mtimes';
import { readXattrs, writeXattrs } from '../../src/engine/fs/xattrs';
import { Repository } from '../../src/engine/repo/repository';
import { FsStore } from '../../src/engine/store/fs-store';
import { runAs } from '../helpers/as-user';
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
  assert.ok(
    tree.some((e) => e.rawPath === BAD_NAME.toString('base64')),
    'the exact bytes of a name that is not UTF-8 are stored',
  );
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

const NOBODY = 65534;

test('a vanished entry and an unreadable folder are warnings, not a failed backup', async () => {
  const src = path.join(tmp, 'warn');
  fs.mkdirSync(path.join(src, 'locked'), { recursive: true });
  fs.writeFileSync(path.join(src, 'locked', 'inside'), 'x');
  fs.chmodSync(path.join(src, 'locked'), 0o700);
  fs.writeFileSync(path.join(src, 'kept.txt'), 'kept');
  fs.writeFileSync(path.join(src, 'vanishing.txt'), 'gone before its lstat');
  fs.chmodSync(src, 0o755);
  const repoDir = path.join(tmp, 'repo-warn');
  fs.mkdirSync(repoDir);
  fs.chownSync(repoDir, NOBODY, NOBODY);
  fs.chmodSync(tmp, 0o755);

  // the folder: a non-root scan meets EACCES on a root-only folder
  const r = runAs<{ warnings: string[]; warningCount: number; stats: { warnings: number; files: number } }>(
    NOBODY,
    `const { Repository } = require(DIST + '/src/engine/repo/repository');
     const { FsStore } = require(DIST + '/src/engine/store/fs-store');
     const { planBackup } = require(DIST + '/src/engine/backup/plan-backup');
     const { runBackupBatch } = require(DIST + '/src/engine/backup/run-batch');
     const { commitBackup } = require(DIST + '/src/engine/backup/commit-backup');
     const repo = await Repository.open(new FsStore(args.repoDir), Buffer.alloc(32, 3), { create: true });
     const plan = await planBackup(repo, { backupId: 'b1', snapshotId: 'a'.repeat(32), asset: 'w', source: args.src, strategy: 'full' });
     for (let i = 0; i < plan.batches; i++) await runBackupBatch(repo, { backupId: 'b1', batch: i });
     const m = await commitBackup(repo, 'b1');
     return { warnings: plan.warnings, warningCount: plan.warningCount, stats: m.stats };`,
    { repoDir, src },
  );
  assert.equal(r.warningCount, 1, JSON.stringify(r.warnings));
  assert.match(r.warnings[0], /^locked: folder not readable.*EACCES/);
  assert.equal(r.stats.warnings, 1);
  assert.equal(r.stats.files, 2);

  // the file: deleted between readdir and lstat (the race made deterministic)
  const lstat = fs.lstatSync;
  const racing = ((p: fs.PathLike, o?: fs.StatSyncOptions) => {
    if (String(p).endsWith('vanishing.txt')) fs.rmSync(p);
    return lstat(p, o);
  }) as typeof fs.lstatSync;
  const mutableFs = fs as { lstatSync: typeof fs.lstatSync };
  mutableFs.lstatSync = racing;
  let m;
  try {
    const repo = await Repository.open(new FsStore(path.join(tmp, 'repo-warn2')), key, { create: true });
    m = await backupDirect(repo, { asset: 'w', source: src, strategy: 'full' }, pool);
  } finally {
    mutableFs.lstatSync = lstat;
  }
  assert.equal(m.stats.warnings, 1, 'vanished');
  assert.equal(m.stats.files, 2, 'kept.txt and locked/inside');
});

test('restoring without root drops setuid/setgid, restores no owner, warns, and still restores the rest', async () => {
  const src = path.join(tmp, 'nonroot-src');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'suid'), 'x');
  fs.chownSync(path.join(src, 'suid'), 1000, 1000);
  fs.chmodSync(path.join(src, 'suid'), 0o4755);
  fs.mkdirSync(path.join(src, 'sgid-dir'));
  fs.chmodSync(path.join(src, 'sgid-dir'), 0o2775);
  fs.writeFileSync(path.join(src, 'plain'), 'y');
  fs.chmodSync(path.join(src, 'plain'), 0o640);
  fs.writeFileSync(path.join(src, 'readonly-with-xattr'), 'z');
  if (xattrs) execFileSync('setfattr', ['-n', 'user.note', '-v', 'kept', path.join(src, 'readonly-with-xattr')]);
  fs.chmodSync(path.join(src, 'readonly-with-xattr'), 0o444);
  const repoDir = path.join(tmp, 'repo-nonroot');
  const repo = await Repository.open(new FsStore(repoDir), key, { create: true });
  await backupDirect(repo, { asset: 'nr', source: src, strategy: 'full' }, pool);
  fs.cpSync(repoDir, `${repoDir}-ro`, { recursive: true });
  const outParent = path.join(tmp, 'nonroot-out');
  fs.mkdirSync(outParent);
  for (const d of [outParent, `${repoDir}-ro`])
    for (const f of [d, ...fs.readdirSync(d, { recursive: true }).map((n) => path.join(d, String(n)))]) fs.chownSync(f, NOBODY, NOBODY);
  const out = path.join(outParent, 'out');
  const r = runAs<{ warnings?: string[] }>(
    NOBODY,
    `const { Repository } = require(DIST + '/src/engine/repo/repository');
     const { FsStore } = require(DIST + '/src/engine/store/fs-store');
     const { planRestore } = require(DIST + '/src/engine/restore/plan-restore');
     const { runRestoreBatch } = require(DIST + '/src/engine/restore/run-restore-batch');
     const { finishRestore } = require(DIST + '/src/engine/restore/finish-restore');
     const repo = await Repository.open(new FsStore(args.repoDir), Buffer.from(args.key, 'hex'));
     const plan = await planRestore(repo, { restoreId: 'r1', snapshot: { latest: true }, asset: 'nr', target: args.out });
     for (let i = 0; i < plan.batches; i++) await runRestoreBatch(repo, { restoreId: 'r1', batch: i });
     await finishRestore(repo, 'r1');
     return plan;`,
    { repoDir: `${repoDir}-ro`, key: key.toString('hex'), out },
  );
  assert.ok(
    r.warnings?.some((w) => /setuid\/setgid bits dropped on 2 entries/.test(w)),
    JSON.stringify(r.warnings),
  );
  const st = fs.statSync(path.join(out, 'suid'));
  assert.equal(st.mode & 0o7777, 0o755, 'a setuid bit is never given to the restoring user');
  assert.equal(st.uid, NOBODY);
  assert.equal(fs.statSync(path.join(out, 'sgid-dir')).mode & 0o7777, 0o775);
  assert.equal(fs.statSync(path.join(out, 'plain')).mode & 0o7777, 0o640);
  assert.equal(fs.readFileSync(path.join(out, 'plain'), 'utf8'), 'y');
  assert.equal(fs.statSync(path.join(out, 'readonly-with-xattr')).mode & 0o7777, 0o444);
  if (xattrs)
    assert.equal(
      execFileSync('getfattr', ['--only-values', '-n', 'user.note', path.join(out, 'readonly-with-xattr')], { encoding: 'utf8' }),
      'kept',
      'a read-only file still gets its user xattrs without root',
    );
});

test('a file replaced by a FIFO after the scan fails its read as changed instead of hanging the worker', () => {
  const fifo = path.join(tmp, 'became-a-fifo');
  execFileSync('mkfifo', [fifo]);
  const r = chunkSegments({ taskId: 0, segments: [{ path: fifo, start: 0, end: 10 }], params: DEFAULT_CHUNKER });
  assert.deepEqual(
    r.results.map((x) => ('code' in x ? x.code : 'ok')),
    ['CHANGED'],
  );
});

test('a snapshot in the older format (no owners, no root metadata) still restores, and root never makes its setuid file setuid-root', async () => {
  const repo = await Repository.open(new FsStore(path.join(tmp, 'repo-old')), key, { create: true });
  const backupId = 'old-format';
  const snapshotId = 'b'.repeat(32);
  // the exact plan shape the previous version wrote: no uid/gid, no rawPath, no root, no warnings
  await writeSignedJson(repo, planKey(backupId), {
    v: 1,
    backupId,
    snapshotId,
    asset: 'old',
    source: '/nowhere',
    host: 'h',
    tags: [],
    strategy: 'full',
    startedAt: new Date().toISOString(),
    entries: [
      { type: 'dir', path: 'bin', mode: 0o750, mtimeNs: '1600000000000000000' },
      { type: 'file', path: 'bin/tool', mode: 0o4755, mtimeNs: '1600000000000000000', size: 0, chunks: [] },
      { type: 'symlink', path: 'tool', mode: 0o777, mtimeNs: '1600000000000000000', target: 'bin/tool' },
    ],
    batches: 0,
    filesUnchanged: 0,
    skipped: 0,
  });
  const m = await commitBackup(repo, backupId);
  assert.equal(m.root, undefined);
  const out = path.join(tmp, 'old-out');
  await restoreDirect(repo, { snapshot: { id: snapshotId }, target: out });
  const tool = fs.statSync(path.join(out, 'bin', 'tool'));
  assert.equal(tool.mode & 0o7777, 0o755, 'no recorded owner: the setuid bit is dropped');
  assert.equal(fs.statSync(path.join(out, 'bin')).mode & 0o7777, 0o750);
  assert.equal(fs.readlinkSync(path.join(out, 'tool')), 'bin/tool');
  assert.equal(fs.statSync(path.join(out, 'bin')).mtimeMs, 1600000000000);
});

test('without python3 or the attr tools, mtimes stay exact to the microsecond and xattrs are skipped, each with a warning', async () => {
  const f = path.join(tmp, 'no-tools');
  fs.writeFileSync(f, 'x');
  const pathBefore = process.env.PATH;
  process.env.PATH = path.join(tmp, 'empty-bin');
  try {
    assert.match((await setExactMtimes([{ abs: f, mtimeNs: '1700000000123456789' }])) ?? '', /python3 is not installed: 1 mtimes restored to the microsecond/);
    assert.match((await readXattrs(tmp)).warning ?? '', /getfattr is not installed/);
    assert.match((await writeXattrs([{ abs: Buffer.from(f), attrs: { 'user.a': 'AA==' } }])) ?? '', /setfattr is not installed/);
  } finally {
    process.env.PATH = pathBefore;
  }
  assert.equal(await setExactMtimes([{ abs: f, mtimeNs: '1700000000123456789' }]), undefined);
  assert.equal(fs.statSync(f, { bigint: true }).mtimeNs, 1700000000123456789n);
});
