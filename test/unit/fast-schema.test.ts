import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { z } from 'zod';
import { type Fast, withFastPath } from '../../src/common/fast-schema';
import { fastPlanEntry, fastPlanPage, PlanEntrySchema, PlanPageSchema } from '../../src/engine/backup/work-plan';
import { fastIndexFile, IndexFileSchema } from '../../src/engine/repo/chunk-index';
import { BlobTupleSchema, fastBlobTuple } from '../../src/engine/repo/pack';
import { fastTreeBlob, fastTreeEntry, TreeBlobSchema, TreeEntrySchema } from '../../src/engine/repo/tree';
import { FinishBatchSchema, fastFinishBatch, fastRestoreBatch, RestoreBatchSchema } from '../../src/engine/restore/restore-plan';

const H = 'ab'.repeat(32);
const meta = { path: 'd/f', mode: 0o644, mtimeNs: '1764000000123456789' };
const full = { rawPath: 'ZC9m', uid: 1000, gid: 0, xattrs: { 'user.a': 'YQ==', 'user.b': '' } };

/** Well-formed entries of every type, with only the required fields and with every optional one (in an odd key order). */
const GOOD: Record<string, unknown>[] = [
  { type: 'file', ...meta, size: 12, chunks: [H] },
  { chunks: [H, H], size: 0, etag: '"e"', linkGroup: 3, ctimeNs: '17', ino: 99, ...full, ...meta, type: 'file' },
  { type: 'file', ...meta, size: 0, chunks: [] },
  { type: 'dir', ...meta },
  { type: 'dir', ...meta, ...full },
  { type: 'symlink', ...meta, target: '../x' },
  { type: 'symlink', ...meta, ...full, rawTarget: 'Li4veP8=', target: '../x\\xff' },
  { type: 'fifo', ...meta },
  { type: 'fifo', ...full, ...meta },
  { type: 'chardev', ...meta, major: 1, minor: 3 },
  { type: 'blockdev', ...meta, ...full, major: 8, minor: 0 },
];

/** Pending files of a plan: no chunks yet; later hard links name their leader. */
const PENDING: Record<string, unknown>[] = [
  { type: 'file', ...meta, size: 5, pending: true },
  { type: 'file', ...meta, ...full, size: 5, ino: 4, ctimeNs: '5', linkGroup: 0, pending: true, leader: 7 },
];

const WRONG: unknown[] = ['', 'x', '12a', '-1', -1, 0, 1.5, 0o10000, NaN, Infinity, -0, 2 ** 53, null, true, [], [H], ['zz'], {}, { a: 1 }, { a: 'b' }];

/** Every entry derived from `base`: each field replaced by each wrong value, dropped, set undefined, plus unknown keys. */
function variants(base: Record<string, unknown>): unknown[] {
  const out: unknown[] = [base];
  for (const k of Object.keys(base)) {
    for (const w of WRONG) out.push({ ...base, [k]: w });
    const { [k]: _dropped, ...rest } = base;
    out.push(rest, { ...base, [k]: undefined });
  }
  out.push({ ...base, extra: 1 }, { ...base, chunks: [H] }, { ...base, pending: true }, { ...base, type: 'socket' }, { ...base, type: 'constructor' });
  out.push({ ...base, xattrs: JSON.parse('{"__proto__":"x"}') as unknown }, { ...base, xattrs: Object.create(null) as unknown });
  out.push(JSON.parse(JSON.stringify({ ...base, __proto__x: 1 })) as unknown, Object.assign(Object.create(null) as object, base));
  return out;
}
const NOT_OBJECTS: unknown[] = [null, undefined, 'file', 3, [], [GOOD[0]], new Date(0)];

/** The fast check gives zod's answer: where it answers at all, the same data (and key order); through withFastPath, always zod's verdict. */
function agrees<S extends z.ZodTypeAny>(schema: S, fast: Fast<z.infer<S>>, v: unknown, label: string): boolean {
  const want = schema.safeParse(v);
  const got = fast(v);
  if (got !== undefined) {
    assert.ok(want.success, `${label}: the fast check accepts what zod refuses: ${JSON.stringify(v)}`);
    assert.deepEqual(got, want.data, label);
    assert.equal(JSON.stringify(got), JSON.stringify(want.data), `${label}: key order`);
  }
  const both = withFastPath(schema, fast).safeParse(v);
  assert.equal(both.success, want.success, label);
  if (both.success && want.success) assert.deepEqual(both.data, want.data, label);
  return got !== undefined;
}

test('fastTreeEntry accepts and refuses exactly what TreeEntrySchema does, field by field', () => {
  let cases = 0;
  let refusedByZod = 0;
  for (const base of [...GOOD, ...PENDING]) {
    for (const v of variants(base)) {
      agrees(TreeEntrySchema, fastTreeEntry, v, `tree entry #${cases++}`);
      if (!TreeEntrySchema.safeParse(v).success) refusedByZod++;
    }
  }
  for (const v of NOT_OBJECTS) agrees(TreeEntrySchema, fastTreeEntry, v, `not an entry: ${String(v)}`);
  assert.ok(cases > 1500 && refusedByZod > 1000, `${cases} cases, ${refusedByZod} refused`);
});

test('every well-formed tree entry takes the fast path (JSON as stored, in any key order)', () => {
  for (const e of GOOD) {
    assert.ok(agrees(TreeEntrySchema, fastTreeEntry, JSON.parse(JSON.stringify(e)), JSON.stringify(e)), `slow path for ${JSON.stringify(e)}`);
  }
  for (const e of PENDING) assert.equal(fastTreeEntry(e), undefined, 'a pending file is no tree entry');
});

test('fastPlanEntry agrees with PlanEntrySchema (tree entries and pending files) and takes the fast path for every good one', () => {
  let i = 0;
  for (const base of [...GOOD, ...PENDING]) {
    for (const v of variants(base)) agrees(PlanEntrySchema, fastPlanEntry, v, `plan entry #${i++}`);
    assert.ok(agrees(PlanEntrySchema, fastPlanEntry, base, JSON.stringify(base)), `slow path for ${JSON.stringify(base)}`);
  }
  for (const v of NOT_OBJECTS) agrees(PlanEntrySchema, fastPlanEntry, v, `not an entry: ${String(v)}`);
});

test('tree blobs and plan pages: the fast check agrees with the schema on the document and its entries', () => {
  const docs: [unknown, unknown][] = [
    [
      { v: 1, entries: GOOD },
      { v: 1, first: 0, entries: [...GOOD, ...PENDING] },
    ],
    [
      { v: 1, entries: [] },
      { v: 1, first: 4000, entries: [] },
    ],
    [
      { v: 2, entries: GOOD },
      { v: 1, first: -1, entries: GOOD },
    ],
    [
      { v: 1, entries: [...GOOD, { ...GOOD[0], mode: -1 }] },
      { v: 1, first: 0, entries: [...PENDING, { ...PENDING[0], leader: 'x' }] },
    ],
    [
      { v: 1, entries: GOOD, more: 1 },
      { v: 1, first: 0, entries: GOOD, more: 1 },
    ],
    [{ v: 1 }, { v: 1, first: 0 }],
    [
      { v: 1, entries: {} },
      { v: 1, first: 1.5, entries: [] },
    ],
  ];
  for (const [blob, page] of docs) {
    agrees(TreeBlobSchema, fastTreeBlob, blob, `blob ${JSON.stringify(blob).slice(0, 60)}`);
    agrees(PlanPageSchema, fastPlanPage, page, `page ${JSON.stringify(page).slice(0, 60)}`);
  }
  assert.ok(fastTreeBlob(JSON.parse(JSON.stringify(docs[0][0]))));
  assert.ok(fastPlanPage(JSON.parse(JSON.stringify(docs[0][1]))));
});

test('a refused entry is reported by the schema naming the field', () => {
  const r = withFastPath(TreeBlobSchema, fastTreeBlob).safeParse({ v: 1, entries: [GOOD[0], { ...GOOD[9], minor: -2 }] });
  assert.equal(r.success, false);
  if (!r.success) assert.deepEqual(r.error.issues[0]?.path, ['entries', 1, 'minor']);
});

test('fastBlobTuple and the index file parser agree with their schemas', () => {
  const good: unknown[] = [
    [H, 'data', 0, 10],
    [H, 'tree', 12, 0, 40],
  ];
  const tuples: unknown[] = [
    ...good,
    [H, 'data', 0],
    [H, 'data', 0, 1, 2, 3],
    [H, 'blob', 0, 1],
    ['AB'.repeat(32), 'data', 0, 1],
    [H, 'data', -1, 1],
    [H, 'data', 0, 1.5],
  ];
  for (const t of good) for (let i = 0; i < (t as unknown[]).length; i++) for (const w of WRONG) tuples.push((t as unknown[]).map((x, j) => (j === i ? w : x)));
  for (const t of [...tuples, ...NOT_OBJECTS, { 0: H }]) agrees(BlobTupleSchema, fastBlobTuple, t, `tuple ${JSON.stringify(t)}`);
  for (const t of good) assert.ok(fastBlobTuple(t), JSON.stringify(t));

  const pack = { id: H, blobs: good };
  const files: unknown[] = [
    { v: 1, packs: [pack, pack] },
    { v: 1, packs: [] },
    { v: 1, packs: [{ ...pack, extra: 1 }] },
    { v: 1, packs: [{ id: 'x', blobs: good }] },
    { v: 1, packs: [{ id: H, blobs: [...good, [H, 'data', 0]] }] },
    { v: 2, packs: [] },
    { v: 1 },
    { v: 1, packs: [pack], more: true },
  ];
  for (const f of files) agrees(IndexFileSchema, fastIndexFile, f, `index ${JSON.stringify(f).slice(0, 80)}`);
  assert.ok(fastIndexFile(JSON.parse(JSON.stringify(files[0]))));
});

test('restore batches: the fast checks agree with RestoreBatchSchema and FinishBatchSchema, item field by field', () => {
  const items: Record<string, unknown>[] = [
    { path: 'd/f', size: 12, mode: 0o644, mtimeNs: '1764000000123456789', chunks: [H] },
    { chunks: [H, H], xattrs: { 'user.a': 'YQ==' }, mtimeNs: '5', gid: -2, uid: 0, mode: 0o104755, size: 0, rawPath: 'ZC9m', path: '' },
    { path: 'e', size: 0, mode: 0, mtimeNs: '', chunks: [] },
  ];
  const doc = (its: unknown[], more: Record<string, unknown> = {}) => ({ v: 1, staging: '/s', snapshotId: 'x', asset: 'a', items: its, ...more });
  let fast = 0;
  let cases = 0;
  for (const base of items) {
    for (const item of variants(base)) {
      for (const d of [doc([item]), doc([items[0], item])]) {
        cases++;
        if (agrees(RestoreBatchSchema, fastRestoreBatch, d, `batch #${cases}`)) fast++;
        agrees(FinishBatchSchema, fastFinishBatch, d, `finish #${cases}`);
      }
    }
  }
  const docs: unknown[] = [
    doc(items),
    doc([]),
    doc(items, { v: 2 }),
    doc(items, { more: 1 }),
    doc(items, { asset: undefined }),
    { ...doc(items), staging: 3 },
    ...NOT_OBJECTS,
  ];
  for (const d of docs) {
    agrees(RestoreBatchSchema, fastRestoreBatch, d, `batch ${JSON.stringify(d)?.slice(0, 60)}`);
    agrees(FinishBatchSchema, fastFinishBatch, d, `finish ${JSON.stringify(d)?.slice(0, 60)}`);
  }
  assert.ok(cases > 200 && fast > 20, `${cases} cases, ${fast} fast`);
  // a batch as written takes the fast path, for both readers
  const stored = JSON.parse(JSON.stringify(doc(items))) as unknown;
  assert.ok(fastRestoreBatch(stored));
  assert.deepEqual(fastFinishBatch(stored), FinishBatchSchema.parse(stored));
});
