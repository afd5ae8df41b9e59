import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { toSeconds } from '../../src/engine/fs/mtimes';

test('a restored mtime lands on the recorded microsecond on this Node.js', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-utimes-'));
  try {
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, 'x');
    for (const ns of ['1704164645678000000', '1704164645678123456', '1796114394999999999', '1000000000000000000']) {
      const s = toSeconds(ns);
      fs.utimesSync(file, s, s);
      assert.equal(fs.statSync(file, { bigint: true }).mtimeNs / 1000n, BigInt(ns) / 1000n, `mtime ${ns}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
