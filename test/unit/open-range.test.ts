import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { zstdCompressSync } from 'node:zlib';
import { keyedCodec, plainCodec } from '../../src/engine/repo/blob-codec';
import { openRange, type OpenRangeTask } from '../../src/engine/restore/open-range';

/** A range of three compressed blobs back to back: `a` (a whole small file), then `b` and `c` (two parts of a bigger one). */
function compressedRange(): { range: Buffer; a: Buffer; b: Buffer; c: Buffer; blobs: OpenRangeTask['blobs'] } {
  const a = Buffer.from('a small file, written whole in the thread '.repeat(40));
  const b = Buffer.from('first part of a big file '.repeat(60));
  const c = Buffer.from('second part of the big file '.repeat(50));
  const stored = [a, b, c].map((p) => zstdCompressSync(p));
  let at = 0;
  const blobs = [a, b, c].map((p, i) => {
    const blob = { id: plainCodec.id(p), at, storedLength: stored[i].length, plainLength: p.length, rawLength: p.length };
    at += stored[i].length;
    return blob;
  });
  return { range: Buffer.concat(stored), a, b, c, blobs };
}

const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-open-range-'));

test('open range: a whole file gets its bytes and metadata, the parts of a bigger file land at their offsets', () => {
  const dir = scratch();
  try {
    const { range, a, b, c, blobs } = compressedRange();
    const small = path.join(dir, 'small.txt');
    const big = path.join(dir, 'big.bin');
    // the big file's second part comes first in the range: parts go where their offsets say
    const res = openRange(
      plainCodec,
      {
        taskId: 1,
        pack: 'p'.repeat(64),
        blobs,
        writes: [
          { blob: 0, file: { path: small, mode: 0o640, mtime: 1e9 } },
          { blob: 1, part: { path: big, offset: c.length } },
          { blob: 2, part: { path: big, offset: 0 } },
          { blob: 1, part: { path: Buffer.from(path.join(dir, 'copy.bin')), offset: 0 } },
        ],
      },
      range,
    );
    assert.deepEqual(res, { taskId: 1, written: 4 });
    assert.deepEqual(fs.readFileSync(small), a);
    assert.equal(fs.statSync(small).mode & 0o777, 0o640);
    assert.equal(fs.statSync(small).mtimeMs, 1e12);
    assert.deepEqual(fs.readFileSync(big), Buffer.concat([c, b]));
    assert.equal(fs.statSync(big).mode & 0o777, 0o600, 'a file of parts stays private until the caller finishes it');
    assert.deepEqual(fs.readFileSync(path.join(dir, 'copy.bin')), b, 'a blob can go to several places, by a name given as bytes too');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('open range: no byte is written, whole file or part, when a later blob of its range fails its check', () => {
  const dir = scratch();
  try {
    const { range, blobs } = compressedRange();
    const small = path.join(dir, 'small.txt');
    const big = path.join(dir, 'big.bin');
    const res = openRange(
      plainCodec,
      {
        taskId: 2,
        pack: 'p'.repeat(64),
        blobs: [blobs[0], blobs[1], { ...blobs[2], id: '0'.repeat(64) }],
        writes: [
          { blob: 0, file: { path: small, mode: 0o644, mtime: 1e9 } },
          { blob: 1, part: { path: big, offset: 0 } },
        ],
      },
      range,
    );
    assert.ok('failed' in res && res.failed === 2 && res.integrity);
    assert.equal(fs.existsSync(small), false);
    assert.equal(fs.existsSync(big), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('open range: a part that cannot be written is named by its place in the writes, with its error code', () => {
  const dir = scratch();
  try {
    const { range, a, blobs } = compressedRange();
    const small = path.join(dir, 'small.txt');
    const res = openRange(
      plainCodec,
      {
        taskId: 3,
        pack: 'p'.repeat(64),
        blobs,
        writes: [
          { blob: 0, file: { path: small, mode: 0o600, mtime: 1e9 } },
          { blob: 1, part: { path: path.join(dir, 'no-such-folder', 'big.bin'), offset: 0 } },
        ],
      },
      range,
    );
    assert.ok('writeFailed' in res && res.writeFailed === 1 && res.code === 'ENOENT');
    assert.deepEqual(fs.readFileSync(small), a, 'the writes before it are done');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('open range: in a range of blobs stored as is, each is written from the range itself, a part without truncating', () => {
  const dir = scratch();
  try {
    const a = Buffer.from('stored as is '.repeat(30));
    const b = Buffer.from('also stored as is, part of a file '.repeat(20));
    const range = Buffer.concat([a, b]);
    const blobs = [
      { id: plainCodec.id(a), at: 0, storedLength: a.length, plainLength: a.length },
      { id: plainCodec.id(b), at: a.length, storedLength: b.length, plainLength: b.length },
    ];
    const small = path.join(dir, 'small.txt');
    const big = path.join(dir, 'big.bin');
    fs.writeFileSync(big, Buffer.alloc(10, 7));
    const res = openRange(
      plainCodec,
      {
        taskId: 4,
        pack: 'p'.repeat(64),
        blobs,
        writes: [
          { blob: 0, file: { path: small, mode: 0o600, mtime: 1e9 } },
          { blob: 1, part: { path: big, offset: 4 } },
        ],
      },
      range,
    );
    assert.deepEqual(res, { taskId: 4, written: 2 });
    assert.deepEqual(fs.readFileSync(small), a);
    assert.deepEqual(fs.readFileSync(big), Buffer.concat([Buffer.alloc(4, 7), b]), 'the caller sets the size once every part is in');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('open range: encrypted blobs, decrypted into their place in the range, reach their files whole', () => {
  const dir = scratch();
  try {
    const codec = keyedCodec({ encKey: Buffer.alloc(32, 1), idKey: Buffer.alloc(32, 2) });
    const plains = [randomBytes(70_000), randomBytes(90_000), randomBytes(300)];
    const sealed = plains.map((p) => codec.encode(p));
    let at = 0;
    const blobs = plains.map((p, i) => {
      const blob = { id: codec.id(p), at, storedLength: sealed[i].length, plainLength: p.length };
      at += sealed[i].length;
      return blob;
    });
    const big = path.join(dir, 'big.bin');
    const small = path.join(dir, 'small.bin');
    const res = openRange(
      codec,
      {
        taskId: 5,
        pack: 'p'.repeat(64),
        blobs,
        writes: [
          { blob: 0, part: { path: big, offset: 0 } },
          { blob: 1, part: { path: big, offset: plains[0].length } },
          { blob: 2, file: { path: small, mode: 0o600, mtime: 1e9 } },
        ],
      },
      Buffer.concat(sealed),
    );
    assert.deepEqual(res, { taskId: 5, written: 3 });
    assert.deepEqual(fs.readFileSync(big), Buffer.concat([plains[0], plains[1]]));
    assert.deepEqual(fs.readFileSync(small), plains[2]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('open range: a blob that opens to another length than the index gives is refused before any write', () => {
  const dir = scratch();
  try {
    const { range, blobs } = compressedRange();
    const small = path.join(dir, 'small.txt');
    const big = path.join(dir, 'big.bin');
    // a plain blob stored as is: the index's length is all there is to go by, so a wrong one must not become a hole in the file
    const a = Buffer.from('stored as is '.repeat(30));
    const res = openRange(
      plainCodec,
      {
        taskId: 6,
        pack: 'p'.repeat(64),
        blobs: [blobs[0], { id: plainCodec.id(a), at: range.length, storedLength: a.length, plainLength: a.length + 1 }],
        writes: [
          { blob: 0, file: { path: small, mode: 0o600, mtime: 1e9 } },
          { blob: 1, part: { path: big, offset: 0 } },
        ],
      },
      Buffer.concat([range, a]),
    );
    assert.ok('failed' in res && res.failed === 1 && res.integrity, JSON.stringify(res));
    assert.match((res as { message: string }).message, /opens to \d+ bytes, the index says \d+/);
    assert.equal(fs.existsSync(small), false);
    assert.equal(fs.existsSync(big), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
