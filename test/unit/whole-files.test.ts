import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { WholeFileWriter } from '../../src/engine/restore/whole-file-writer';
import { writeWholeFiles } from '../../src/engine/restore/whole-files';

test('one-blob files: bytes, mode and mtime written; a file that cannot be written is reported and the others still land', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-whole-'));
  try {
    const data = Buffer.from('hello world');
    const res = writeWholeFiles({
      data: data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer,
      files: [
        { abs: path.join(dir, 'a'), off: 0, len: 5, mode: 0o640, mtime: 1000.5 },
        { abs: path.join(dir, 'missing', 'b'), off: 5, len: 1, mode: 0o644, mtime: 1 },
        { abs: Buffer.from(path.join(dir, 'c')), off: 6, len: 5, mode: 0o400, mtime: 2000.25 },
      ],
    });
    assert.equal(res[0], undefined);
    assert.equal(res[1]?.code, 'ENOENT');
    assert.equal(res[2], undefined);
    assert.equal(fs.readFileSync(path.join(dir, 'a'), 'utf8'), 'hello');
    assert.equal(fs.statSync(path.join(dir, 'a')).mode & 0o777, 0o640);
    assert.equal(fs.statSync(path.join(dir, 'a')).mtimeMs, 1000500);
    assert.equal(fs.readFileSync(path.join(dir, 'c'), 'utf8'), 'world');
    // an earlier attempt left it read-only: rewritten whole
    const again = Buffer.from('WORLD');
    assert.deepEqual(
      writeWholeFiles({
        data: again.buffer.slice(again.byteOffset, again.byteOffset + 5) as ArrayBuffer,
        files: [{ abs: path.join(dir, 'c'), off: 0, len: 5, mode: 0o400, mtime: 1 }],
      }),
      [undefined],
    );
    assert.equal(fs.readFileSync(path.join(dir, 'c'), 'utf8'), 'WORLD');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the writer threads write groups of files and report each only once it is on disk; the first failure is thrown', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-whole-'));
  try {
    const w = new WholeFileWriter();
    const written: number[] = [];
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    for (let i = 0; i < 300; i++) {
      // a view into a larger buffer, as blobs of a fetched range are
      const bytes = i % 100 === 0 ? big : big.subarray(i, i + 1 + (i % 50));
      w.add(path.join(dir, `f${i}`), bytes, { mode: 0o600, mtime: 1 }, () => {
        assert.equal(fs.statSync(path.join(dir, `f${i}`)).size, bytes.length);
        written.push(i);
      });
    }
    await w.finish();
    assert.equal(written.length, 300);
    assert.equal(big[0], 7, "the caller's buffers are copied, not detached");

    const bad = new WholeFileWriter();
    bad.add(path.join(dir, 'no', 'such'), Buffer.from('x'), { mode: 0o600, mtime: 1 }, () => assert.fail('not written'));
    await assert.rejects(bad.finish(), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
