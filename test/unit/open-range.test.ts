import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { zstdCompressSync } from 'node:zlib';
import { plainCodec } from '../../src/engine/repo/blob-codec';
import { openRange, type OpenRangeTask } from '../../src/engine/restore/open-range';

/** A range of two compressed blobs back to back: `a` (a whole small file) then `b` (part of a bigger one). */
function compressedRange(): { range: Buffer; a: Buffer; b: Buffer; blobs: OpenRangeTask['blobs'] } {
  const a = Buffer.from('a small file, written whole in the thread '.repeat(40));
  const b = Buffer.from('part of a big file, written by the caller '.repeat(60));
  const sa = zstdCompressSync(a);
  const sb = zstdCompressSync(b);
  const blobs = [
    { id: plainCodec.id(a), at: 0, storedLength: sa.length, plainLength: a.length, rawLength: a.length },
    { id: plainCodec.id(b), at: sa.length, storedLength: sb.length, plainLength: b.length, rawLength: b.length },
  ];
  return { range: Buffer.concat([sa, sb]), a, b, blobs };
}

const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-open-range-'));

test('open range: a written-only blob reaches its file and does not come back; the others come back', () => {
  const dir = scratch();
  try {
    const { range, a, b, blobs } = compressedRange();
    const file = path.join(dir, 'small.txt');
    const res = openRange(
      plainCodec,
      {
        taskId: 1,
        pack: 'p'.repeat(64),
        blobs: [{ ...blobs[0], writtenOnly: true }, blobs[1]],
        writes: [{ blob: 0, file: { path: file, mode: 0o640, mtime: 1e9 } }],
      },
      range,
    );
    assert.ok('data' in res);
    assert.equal(res.at[0], -1);
    assert.equal(res.data.byteLength, b.length, 'only the plaintext the caller needs is copied back');
    assert.deepEqual(Buffer.from(res.data, res.at[1], b.length), b);
    assert.deepEqual(fs.readFileSync(file), a);
    assert.equal(fs.statSync(file).mode & 0o777, 0o640);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('open range: no file is written when a later blob of its range fails its check', () => {
  const dir = scratch();
  try {
    const { range, blobs } = compressedRange();
    const file = path.join(dir, 'small.txt');
    const bad = { ...blobs[1], id: '0'.repeat(64) };
    const res = openRange(
      plainCodec,
      {
        taskId: 2,
        pack: 'p'.repeat(64),
        blobs: [{ ...blobs[0], writtenOnly: true }, bad],
        writes: [{ blob: 0, file: { path: file, mode: 0o644, mtime: 1e9 } }],
      },
      range,
    );
    assert.ok('failed' in res && res.failed === 1 && res.integrity);
    assert.equal(fs.existsSync(file), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('open range: in a range of blobs stored as is, a written-only blob is not copied back into it either', () => {
  const dir = scratch();
  try {
    const a = Buffer.from('stored as is '.repeat(30));
    const b = Buffer.from('also stored as is, needed back '.repeat(20));
    const range = Buffer.concat([a, b]);
    const file = path.join(dir, 'small.txt');
    const blobs = [
      { id: plainCodec.id(a), at: 0, storedLength: a.length, plainLength: a.length, writtenOnly: true },
      { id: plainCodec.id(b), at: a.length, storedLength: b.length, plainLength: b.length },
    ];
    const res = openRange(plainCodec, { taskId: 3, pack: 'p'.repeat(64), blobs, writes: [{ blob: 0, file: { path: file, mode: 0o600, mtime: 1e9 } }] }, range);
    assert.ok('data' in res);
    assert.equal(res.at[0], -1);
    assert.deepEqual(Buffer.from(res.data, res.at[1], b.length), b);
    assert.deepEqual(fs.readFileSync(file), a);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
