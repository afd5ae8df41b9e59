import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { commitBackup } from '../../src/engine/backup/commit-backup';
import { loadPlan, planBackup } from '../../src/engine/backup/plan-backup';
import { runBackupBatch } from '../../src/engine/backup/run-batch';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { writeMark } from '../../src/engine/maintenance/marks';
import { Repository } from '../../src/engine/repo/repository';
import type { SnapshotManifest } from '../../src/engine/repo/snapshot';
import type { TreeEntry } from '../../src/engine/repo/tree';
import { FsStore } from '../../src/engine/store/fs-store';
import { engineScratch } from '../helpers/engine-scratch';
import { userXattrsWork } from '../helpers/metadata-tree';
import { describeTree, makeAssetTree } from '../helpers/tree-fixture';

const scratch = engineScratch('ldr-tree-reuse-');
let seq = 0;

/** The workflow's steps with the plan looked at before the commit. */
async function backup(repo: Repository, source: string) {
  const backupId = `reuse-${++seq}`;
  const snapshotId = String(seq).padStart(32, '0');
  const summary = await planBackup(repo, { backupId, snapshotId, asset: 'reuse', source, strategy: 'incremental' });
  const plan = await loadPlan(repo, backupId);
  assert.equal(plan.v, 2);
  const reused = plan.v === 2 ? (plan.treeReuse ?? []).reduce((s, [, count]) => s + count, 0) : 0;
  for (let b = 0; b < summary.batches; b++) await runBackupBatch(repo, { backupId, batch: b, pool: scratch.pool });
  const m = await commitBackup(repo, backupId);
  return { m, reused, entries: plan.v === 2 ? plan.entryCount : 0 };
}

/** The tree ids of a backup that reuses nothing (no parent: every entry encoded) of the source as it is now. */
async function fullyEncodedIds(repo: Repository, source: string): Promise<string[]> {
  return (await backupDirect(repo, { asset: 'reuse-full', source, strategy: 'full' }, scratch.pool)).tree;
}

async function assertRestores(repo: Repository, m: SnapshotManifest, source: string, what: string): Promise<void> {
  const out = path.join(scratch.tmp, `restore-${m.id}`);
  await restoreDirect(repo, { snapshot: { id: m.id }, target: out }, scratch.pool);
  assert.deepEqual(describeTree(out), describeTree(source), `${what}: the restore holds the source's bytes and metadata`);
}

test('a no-change backup keeps its parent tree blobs without encoding them: the same ids full encoding gives, and it restores', async () => {
  const src = path.join(scratch.tmp, 'same');
  makeAssetTree(src, { largeSize: 64 * 1024, smallFiles: 1500 });
  const repo = await Repository.open(new FsStore(path.join(scratch.tmp, 'repo-same')), Buffer.alloc(32, 4), {
    create: true,
    password: 'pw',
    compression: 'auto',
  });
  const first = await backupDirect(repo, { asset: 'reuse', source: src, strategy: 'incremental' }, scratch.pool);
  assert.ok(first.tree.length > 10, 'a tree of many blobs');

  const again = await backup(repo, src);
  assert.equal(again.reused, again.entries, 'the plan finds every entry inside a parent blob it encodes to');
  assert.deepEqual(again.m.tree, first.tree);
  assert.deepEqual(again.m.tree, await fullyEncodedIds(repo, src), 'byte-identical to encoding every entry');
  await assertRestores(repo, again.m, src, 'no-change');
});

test('changes inside reused stretches are all committed: content, size, mode, mtime, xattr, new and removed files', async () => {
  const src = path.join(scratch.tmp, 'changing');
  makeAssetTree(src, { largeSize: 64 * 1024, smallFiles: 1500 });
  const repo = await Repository.open(new FsStore(path.join(scratch.tmp, 'repo-changing')), Buffer.alloc(32, 5), {
    create: true,
    password: 'pw',
    compression: 'auto',
  });
  const first = await backupDirect(repo, { asset: 'reuse', source: src, strategy: 'incremental' }, scratch.pool);
  const shard = path.join(src, 'dataset', 'shard-1');
  const sample = (i: number) => path.join(shard, `sample-${String(i).padStart(6, '0')}.bin`);
  const stat = fs.statSync(sample(700));
  // same size and mtime, other bytes: only the change key (ctime, inode) tells
  const sameShape = Buffer.alloc(stat.size, 7);
  fs.writeFileSync(sample(700), sameShape);
  fs.utimesSync(sample(700), stat.atime, stat.mtime);
  fs.appendFileSync(sample(720), 'more');
  fs.chmodSync(sample(740), 0o600);
  fs.utimesSync(sample(760), new Date('2023-05-06T07:08:09Z'), new Date('2023-05-06T07:08:09Z'));
  fs.rmSync(sample(780));
  fs.writeFileSync(path.join(shard, 'sample-000800.bin-new'), 'new file');
  const xattrs = userXattrsWork(src);
  if (xattrs) execFileSync('setfattr', ['-n', 'user.label', '-v', 'v2', sample(820)]);

  const next = await backup(repo, src);
  assert.ok(next.reused > 0 && next.reused < next.entries, `part of the tree reused (${next.reused} of ${next.entries})`);
  assert.deepEqual(next.m.tree, await fullyEncodedIds(repo, src), 'byte-identical to encoding every entry');
  const tree = new Map((await repo.loadTree(next.m)).map((e): [string, TreeEntry] => [e.path, e]));
  const before = new Map((await repo.loadTree(first)).map((e): [string, TreeEntry] => [e.path, e]));
  const at = (i: number) => `dataset/shard-1/sample-${String(i).padStart(6, '0')}.bin`;
  const file = (m: Map<string, TreeEntry>, p: string) => {
    const e = m.get(p);
    assert.ok(e?.type === 'file', `${p} is a file of the tree`);
    return e;
  };
  assert.notDeepEqual(file(tree, at(700)).chunks, file(before, at(700)).chunks, 'rewritten content');
  assert.equal(file(tree, at(720)).size, file(before, at(720)).size + 4, 'grown file');
  assert.equal(file(tree, at(740)).mode, 0o600, 'mode');
  assert.notEqual(file(tree, at(760)).mtimeNs, file(before, at(760)).mtimeNs, 'mtime');
  assert.equal(tree.has(at(780)), false, 'removed file');
  assert.ok(tree.has('dataset/shard-1/sample-000800.bin-new'), 'new file');
  if (xattrs) assert.deepEqual(file(tree, at(820)).xattrs, { 'user.label': Buffer.from('v2').toString('base64') }, 'xattr');
  await assertRestores(repo, next.m, src, 'changed');
});

test('a reusable parent blob whose only pack a prune has marked is sealed again, not relied on', async () => {
  const src = path.join(scratch.tmp, 'marked');
  makeAssetTree(src, { largeSize: 64 * 1024, smallFiles: 600 });
  const repo = await Repository.open(new FsStore(path.join(scratch.tmp, 'repo-marked')), Buffer.alloc(32, 6), { create: true, password: 'pw' });
  const first = await backupDirect(repo, { asset: 'reuse', source: src, strategy: 'incremental' }, scratch.pool);
  const index = await repo.loadIndex(true);
  const treePacks = new Set(first.tree.map((id) => index.get(id)?.pack ?? ''));
  for (const pack of treePacks) await writeMark(repo.store, pack, Date.now(), 3600_000);

  const again = await backup(repo, src);
  assert.equal(again.reused, again.entries, 'the plan still finds the parent blobs');
  assert.deepEqual(again.m.tree, first.tree, 'the same ids');
  assert.ok(again.m.stats.packsWritten >= 1, 'the tree blobs went into a new pack');
  const after = await repo.loadIndex(true);
  for (const id of again.m.tree)
    assert.ok(
      after.locations(id).some((l) => !treePacks.has(l.pack)),
      `tree blob ${id.slice(0, 12)} is in an unmarked pack`,
    );
});
