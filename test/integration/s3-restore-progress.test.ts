import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ChunkPool } from '../../src/engine/chunker/pool';
import { backupDirect } from '../../src/engine/direct';
import { Repository } from '../../src/engine/repo/repository';
import type { RestoreProgress } from '../../src/engine/restore/run-restore-batch';
import { S3_PART_BYTES } from '../../src/engine/restore/s3-stage';
import { abortS3Restore, finishS3Restore, planS3Restore, runS3RestoreBatch } from '../../src/engine/restore/s3-restore-steps';
import { openS3Location } from '../../src/engine/source/s3-location';
import { FsStore } from '../../src/engine/store/fs-store';
import { startSeaweed } from '../helpers/seaweed';
import { serverScratch } from '../helpers/server-scratch';

/**
 * A batch staging a large object onto an S3 prefix reports its bytes part by part, so the
 * heartbeat details (and the UI) show bytes moving inside the object, not only between files.
 */

const KEY = Buffer.alloc(32, 5);
const scratch = serverScratch('ldr-s3prog-', startSeaweed);

test('an S3 restore batch reports the bytes of a multipart object as each part is sent', async () => {
  const src = path.join(scratch.tmp, 'src');
  fs.mkdirSync(src);
  const body = randomBytes(3 * S3_PART_BYTES + 4096);
  fs.writeFileSync(path.join(src, 'weights.bin'), body);
  const repo = await Repository.open(new FsStore(path.join(scratch.tmp, 'repo')), KEY, { create: true, compression: 'off' });
  const pool = new ChunkPool(1);
  const snap = await backupDirect(repo, { asset: 'ckpt', source: src, strategy: 'full' }, pool).finally(() => pool.close());
  process.env.PROG_KEY = scratch.server.accessKeyId;
  process.env.PROG_SECRET = scratch.server.secretAccessKey;
  const loc = openS3Location(
    `s3://${scratch.server.bucket}/served/`,
    { endpoint: scratch.server.endpoint, region: scratch.server.region, pathStyle: true, accessKeyIdEnv: 'PROG_KEY', secretAccessKeyEnv: 'PROG_SECRET' },
    process.env,
  );
  const restoreId = 'r-progress';
  try {
    await planS3Restore(repo, { restoreId, snapshot: { id: snap.id }, target: loc });
    const seen: RestoreProgress[] = [];
    const last = await runS3RestoreBatch(repo, loc, { restoreId, batch: 0, onProgress: (p) => seen.push(p) });
    const inside = seen.filter((p) => p.filesDone === 0).map((p) => p.bytesDone);
    assert.ok(inside.length >= 3, `progress while the object was being sent: ${JSON.stringify(inside)}`);
    assert.ok(
      inside.every((b, i) => b > 0 && b <= body.length && (i === 0 || b > inside[i - 1])),
      `bytes grow part by part: ${JSON.stringify(inside)}`,
    );
    assert.equal(last.bytesDone, body.length, 'the batch ends with every byte counted once');
    assert.equal(last.filesDone, 1);
    await finishS3Restore(repo, loc, restoreId);
  } catch (e) {
    await abortS3Restore(repo, loc, restoreId).catch(() => undefined);
    throw e;
  } finally {
    loc.client.destroy();
  }
});
