import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { commitBackup } from '../../src/engine/backup/commit-backup';
import { loadPlan, planBackup } from '../../src/engine/backup/plan-backup';
import { runBackupBatch } from '../../src/engine/backup/run-batch';
import { ChunkPool } from '../../src/engine/chunker/pool';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { collectReferences } from '../../src/engine/maintenance/references';
import { backupTmpPrefix, snapshotKey } from '../../src/engine/repo/layout';
import { Repository } from '../../src/engine/repo/repository';
import { FsStore } from '../../src/engine/store/fs-store';
import { describeTree, makeAssetTree } from '../helpers/tree-fixture';

let tmp: string;
let pool: ChunkPool;
const key = Buffer.alloc(32, 9);

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-paged-'));
  pool = new ChunkPool(2);
});
after(async () => {
  await pool.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Plan, run every batch, commit: the steps the workflow runs, with the plan's page size chosen. */
async function backupPaged(repo: Repository, source: string, backupId: string, pageEntries: number) {
  const snapshotId = backupId
    .replace(/[^0-9a-f]/g, '')
    .padEnd(32, '0')
    .slice(0, 32);
  const plan = await planBackup(repo, { backupId, snapshotId, asset: 'paged', source, strategy: 'incremental', pageEntries, batchFiles: 9 });
  const keys = (await repo.store.list(backupTmpPrefix(backupId))).map((o) => o.key);
  for (let b = 0; b < plan.batches; b++) await runBackupBatch(repo, { backupId, batch: b, pool });
  return { plan, keys, snapshot: await commitBackup(repo, backupId) };
}

test('a large plan is paged into signed entry documents and the commit streams them into the same snapshot as one page', async () => {
  const src = path.join(tmp, 'src');
  makeAssetTree(src, { largeFiles: 1, largeSize: 2 * 1024 * 1024, smallFiles: 40 });
  fs.linkSync(path.join(src, 'configs', 'train.yaml'), path.join(src, 'zz-hard-link'));
  const repo = await Repository.open(new FsStore(path.join(tmp, 'repo')), key, { create: true, packSize: 4 * 1024 * 1024 });

  const paged = await backupPaged(repo, src, 'aaaa-paged', 7);
  const entries = paged.snapshot.stats.files + paged.snapshot.stats.dirs + paged.snapshot.stats.symlinks;
  const pages = paged.keys.filter((k) => /\/entries-\d+\.json$/.test(k));
  assert.equal(pages.length, Math.ceil(entries / 7), `${entries} entries in pages of 7`);
  assert.ok(paged.plan.batches > 1);

  const repo2 = await Repository.open(new FsStore(path.join(tmp, 'repo2')), key, { create: true, packSize: 4 * 1024 * 1024 });
  const onePage = await backupPaged(repo2, src, 'bbbb-one-page', 1_000_000);
  assert.equal(onePage.keys.filter((k) => /\/entries-\d+\.json$/.test(k)).length, 1);
  assert.deepEqual(paged.snapshot.tree, onePage.snapshot.tree, 'the same tree blobs, whatever the page size');
  assert.equal(paged.snapshot.stats.files, onePage.snapshot.stats.files);
  assert.deepEqual(await repo.store.list(backupTmpPrefix('aaaa-paged')), [], 'the work list, pages included, is gone after the commit');

  const out = path.join(tmp, 'out');
  await restoreDirect(repo, { snapshot: { id: paged.snapshot.id }, target: out });
  assert.deepEqual(describeTree(out), describeTree(src));
  assert.equal(fs.statSync(path.join(out, 'zz-hard-link')).nlink, 2, 'a hard link on a later page still links to its leader');
});

test('a paged plan of an incremental backup keeps the chunks it reuses from prune, and its retry reads the stored counts', async () => {
  const src = path.join(tmp, 'src-incr');
  makeAssetTree(src, { largeFiles: 1, largeSize: 1024 * 1024, smallFiles: 30, seed: 5 });
  const repo = await Repository.open(new FsStore(path.join(tmp, 'repo-incr')), key, { create: true, packSize: 4 * 1024 * 1024 });
  const first = await backupDirect(repo, { asset: 'paged', source: src, strategy: 'incremental' }, pool);

  const backupId = 'cccc-incr';
  const plan = await planBackup(repo, { backupId, snapshotId: 'c'.repeat(32), asset: 'paged', source: src, strategy: 'incremental', pageEntries: 5 });
  assert.equal(plan.filesToRead, 0, 'nothing changed: every file reuses its parent chunks');
  assert.equal(plan.files, first.stats.files);
  const stored = await loadPlan(repo, backupId);
  assert.equal(stored.v, 2);
  assert.ok(!('entries' in stored), 'the plan document holds no entries');
  assert.deepEqual(await planBackup(repo, { backupId, snapshotId: 'c'.repeat(32), asset: 'paged', source: src, strategy: 'incremental' }), plan);

  // the parent goes (forgotten): only the paged plan still names the chunks the backup will reuse
  await repo.store.delete(snapshotKey(first.id));
  const refs = await collectReferences(repo);
  const reused = (await repo.loadTree(first)).flatMap((e) => (e.type === 'file' ? e.chunks : []));
  assert.ok(reused.length > 0);
  for (const c of reused) assert.ok(refs.refs.has(c), `chunk ${c.slice(0, 12)} of the plan's pages is kept`);

  const m = await commitBackup(repo, backupId);
  assert.equal(m.stats.filesUnchanged, first.stats.files);
  assert.deepEqual(m.tree, first.tree);
});
