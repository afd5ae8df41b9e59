import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CHUNKER } from '../../src/engine/chunker/fastcdc';
import { ChunkPool } from '../../src/engine/chunker/pool';

/** The nice value of one thread of this process, as the kernel has it (/proc/<pid>/task/<tid>/stat, field 19). */
function threadNice(tid: number): number {
  const stat = fs.readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

test(
  'chunk worker threads run at the nice value and I/O class asked for; the process main thread keeps its own',
  { skip: os.platform() !== 'linux' },
  async () => {
    const mainBefore = os.getPriority(0);
    const want = Math.max(mainBefore, 7);
    const pool = new ChunkPool(2, { nice: want, io: 'idle' });
    try {
      const threads = await pool.priorities;
      assert.equal(threads.length, 2);
      for (const t of threads) {
        assert.deepEqual(t.warnings, []);
        assert.equal(t.nice, want);
        assert.equal(t.io, 'idle');
        assert.ok(t.tid && t.tid !== process.pid, 'a thread of its own');
        assert.equal(threadNice(t.tid), want, 'the kernel has the thread at the lower priority');
        assert.match(execFileSync('ionice', ['-p', String(t.tid)], { encoding: 'utf8' }), /^idle/);
      }
      assert.equal(os.getPriority(0), mainBefore, 'the main thread (Temporal polling, uploads) is untouched');
      assert.equal(threadNice(process.pid), mainBefore);
      assert.doesNotMatch(execFileSync('ionice', ['-p', String(process.pid)], { encoding: 'utf8' }), /^idle/);
      // and they still chunk
      const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-prio-')), 'x.bin');
      fs.writeFileSync(f, Buffer.alloc(3 * 1024 * 1024, 7));
      const r = await pool.run({ taskId: 1, segments: [{ path: f, start: 0, end: 3 * 1024 * 1024 }], params: DEFAULT_CHUNKER });
      assert.ok('chunks' in r.results[0] && r.results[0].chunks.length > 0);
      fs.rmSync(path.dirname(f), { recursive: true, force: true });
    } finally {
      await pool.close();
    }
  },
);

test('a pool asked for nothing leaves its threads as the process is', { skip: os.platform() !== 'linux' }, async () => {
  const pool = new ChunkPool(1);
  try {
    const [t] = await pool.priorities;
    assert.equal(t.nice, os.getPriority(0));
    assert.equal(t.io, 'normal');
    assert.equal(threadNice(t.tid as number), os.getPriority(0));
  } finally {
    await pool.close();
  }
});
