import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { z } from 'zod';
import { IntegrityError } from '../../src/common/errors';
import { decompressBlob } from '../../src/engine/repo/open-blob';
import { parseSignedJson } from '../../src/engine/repo/signed-doc';
import { decodeTreeBlob } from '../../src/engine/repo/tree';

// A few KiB of gzip or zstd can claim gigabytes: these bombs are 24 copies of one compressed
// frame (gzip members and zstd frames both concatenate) of 64 MiB of zeros, 1.5 GiB inflated.
const SLICE = 64 * 1024 * 1024;
const COPIES = 24;
const gzipBomb = () => Buffer.concat(Array<Buffer>(COPIES).fill(gzipSync(Buffer.alloc(SLICE), { level: 9 })));
const key = Buffer.alloc(32, 7);
const refused = (pattern: RegExp) => (e: unknown) => e instanceof IntegrityError && pattern.test(e.message);

test('a signed document that declares more than 1 GiB is refused before anything is inflated', () => {
  // in a child process, so its peak memory is the bomb's alone
  const signedDoc = path.join(__dirname, '../../src/engine/repo/signed-doc.js');
  const probe = `
    const { zstdCompressSync } = require('node:zlib');
    const { parseSignedJson } = require(${JSON.stringify(signedDoc)});
    const frame = zstdCompressSync(Buffer.alloc(${SLICE}));
    const header = Buffer.alloc(40);
    Buffer.from([0x89, 0x4c, 0x53, 0x01]).copy(header);
    header.writeUInt32BE(0xffffffff, 36);
    const doc = Buffer.concat([header, ...Array(${COPIES}).fill(frame)]);
    const before = process.resourceUsage().maxRSS;
    let message = 'read';
    try { parseSignedJson(Buffer.alloc(32, 7), 'tmp/bomb.json', doc, { safeParse: (v) => ({ success: true, data: v }) }); }
    catch (e) { message = e.message; }
    console.log(JSON.stringify({ message, docBytes: doc.length, grewMiB: (process.resourceUsage().maxRSS - before) / 1024 }));`;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { message: string; docBytes: number; grewMiB: number };
  assert.ok(out.docBytes < 100 * 1024, `the bomb is ${out.docBytes} bytes`);
  assert.match(out.message, /tmp\/bomb\.json: not a readable signed document \(declares 4294967295 bytes, over the 1 GiB a document may hold\)/);
  assert.ok(out.grewMiB < 256, `reading it grew the peak RSS by ${out.grewMiB} MiB`);
});

test('a signed document in the old gzipped envelope that inflates past 1 GiB is refused at the limit', () => {
  const Any = z.unknown();
  assert.throws(
    () => parseSignedJson(key, 'tmp/old-bomb.json', gzipBomb(), Any),
    refused(/tmp\/old-bomb\.json: not a readable signed document \(inflates to more than the 1 GiB a document may hold\)/),
  );
});

test('a current signed document whose frame inflates past its declared length is refused', () => {
  const header = Buffer.alloc(40);
  Buffer.from([0x89, 0x4c, 0x53, 0x01]).copy(header);
  header.writeUInt32BE(1000, 36);
  const doc = Buffer.concat([header, zstdCompressSync(Buffer.alloc(1 << 20))]);
  assert.throws(
    () => parseSignedJson(key, 'tmp/long.json', doc, z.unknown()),
    refused(/not a readable signed document \(inflates to more than the 1000 bytes it declares\)/),
  );
});

test('a tree blob that inflates past 1 GiB is refused as corrupt, naming where it is', () => {
  assert.throws(
    () => decodeTreeBlob(gzipBomb(), 'snapshot s1 tree: chunk abc'),
    refused(/snapshot s1 tree: chunk abc: inflates to more than 1 GiB \(stored data is corrupt\)/),
  );
});

test('a compressed blob whose index entry claims more than 1 GiB is refused before it is inflated', () => {
  const frame = zstdCompressSync(Buffer.alloc(SLICE));
  const bomb = Buffer.concat(Array<Buffer>(COPIES).fill(frame));
  assert.throws(
    () => decompressBlob(bomb, COPIES * SLICE, 'chunk abc in pack def'),
    refused(/chunk abc in pack def: the index says it inflates to 1610612736 bytes, over 1 GiB/),
  );
  // within the limit, a wrong length is still caught by the exact-length check
  assert.throws(() => decompressBlob(frame, 1000, 'chunk abc'), refused(/chunk abc: does not decompress/));
});
