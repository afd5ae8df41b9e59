import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { looksIncompressible, MIN_SAMPLE } from '../../src/engine/repo/incompressible';
import { compressBlobSync, storedRaw } from '../../src/engine/repo/zstd-blob';

/** deterministic bytes that look random (xorshift32) */
function randomish(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 24;
  }
  return out;
}

/** bfloat16 values of small normal-ish weights, as a fine-tuned checkpoint holds */
function bf16Weights(n: number): Buffer {
  const src = randomish(n * 2, 99);
  const out = Buffer.alloc(n * 2);
  const f = Buffer.alloc(4);
  for (let i = 0; i < n; i++) {
    const u = (src[2 * i] + src[2 * i + 1] + src[(2 * i + 7) % src.length]) / 255 - 1.5;
    f.writeFloatLE(u * 0.02);
    out.writeUInt16LE(f.readUInt16LE(2), 2 * i);
  }
  return out;
}

const zstdRatio = (b: Buffer) => zlib.zstdCompressSync(b, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } }).length / b.length;

test('random bytes are recognised as incompressible, and zstd agrees', () => {
  for (const [n, seed] of [
    [16384, 1],
    [32768, 2],
    [1024, 3],
    [MIN_SAMPLE, 4],
  ]) {
    const b = randomish(n, seed);
    assert.equal(looksIncompressible(b), true, `${n} random bytes`);
    assert.ok(zstdRatio(b) > 0.97, 'zstd would not have made them worth compressing');
  }
});

test('random-looking bytes with a repeat at an odd offset still go to zstd, which shrinks them', () => {
  const block = randomish(700, 7);
  const b = Buffer.concat([randomish(5001, 8), block, randomish(3003, 9), block, randomish(7000, 10)]);
  assert.equal(looksIncompressible(b), false);
  assert.ok(zstdRatio(b) < 0.97);
  const tiled = Buffer.concat(Array<Buffer>(16).fill(randomish(1024, 11)));
  assert.equal(looksIncompressible(tiled), false);
});

test('text, weights and short samples are never skipped', () => {
  const text = Buffer.from('layer.0.attention.weight: bf16 [4096, 4096] offset 0x1000\n'.repeat(300));
  assert.equal(looksIncompressible(text), false);
  assert.equal(looksIncompressible(bf16Weights(8192)), false);
  assert.equal(looksIncompressible(randomish(MIN_SAMPLE - 1, 5)), false);
});

test('a large random blob is stored raw without a zstd call; a compressible one is compressed', (t) => {
  let calls = 0;
  const real = zlib.zstdCompressSync;
  t.mock.method(zlib, 'zstdCompressSync', (...args: Parameters<typeof real>) => {
    calls++;
    return real(...args);
  });
  assert.equal(storedRaw(randomish(1 << 20, 12), 'auto'), true);
  assert.equal(storedRaw(randomish(8000, 13), 'auto'), true);
  assert.equal(calls, 0);
  const tiled = Buffer.concat(Array<Buffer>(256).fill(randomish(4096, 14)));
  const packed = compressBlobSync(tiled, 'auto');
  assert.equal(packed.rawLength, tiled.length);
  assert.ok(packed.data.length < tiled.length / 10);
  assert.ok(calls > 0);
});

test('probing many random chunks leaves no pile of dead zstd contexts in memory', () => {
  // in a child process, so the figure is these probes' alone; before the JS test each probe
  // left about 17 KiB of native memory that only a GC frees, and few JS objects to start one
  const zstdBlob = path.join(__dirname, '../../src/engine/repo/zstd-blob.js');
  const probe = `
    const { storedRaw } = require(${JSON.stringify(zstdBlob)});
    const { randomBytes } = require('node:crypto');
    const big = randomBytes(8 << 20);
    const before = process.memoryUsage().external;
    let peak = 0;
    for (let i = 0; i < 3000; i++) {
      const at = (i * 2731) % (big.length - (256 << 10));
      storedRaw(big.subarray(at, at + (256 << 10)), 'auto');
      peak = Math.max(peak, process.memoryUsage().external - before);
    }
    console.log(peak);
  `;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const peakMiB = Number(r.stdout.trim()) / (1 << 20);
  assert.ok(peakMiB < 8, `external memory grew by ${peakMiB.toFixed(1)} MiB`);
});
