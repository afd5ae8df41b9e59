import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_PACK_SIZE_MIB } from '../src/engine/repo/pack';
import { startSeaweed, type Seaweed } from '../test/helpers/seaweed';
import { bucketUsage } from './bucket';
import { datasetSpec, generateDataset, generateFileTree, writeRandom, XorShift } from './dataset';
import { EngineDirect } from './engine';
import { CachePolicy, fmtMiB, fmtS, MiB } from './measure';
import { Canvas } from './png';
import { Restic, resticBinary, seaweedTarget } from './restic';
import type { BenchContext, BenchRow } from './sections';

/**
 * The cost curve (`npm run bench -- --only curve -- --points P,P,...`): time and peak RSS of
 * restic 0.18.1 and lepton-dr engine-direct (both encrypted, compression auto) as the work grows.
 * Points: `scale:S` (the suite's asset set at scale S), `checkpoint:G` (one G GiB file of random
 * tensors, then a second version with 2 % of its tensors rewritten, as fine-tuning produces),
 * `files:N` (a dataset tree of N small files). Per point and tool: full backup, no-change,
 * (checkpoint: the changed version and the bucket growth), restore. Writes curve-<time>.md and
 * curve-<time>.png (time and RSS against the point) into the results folder.
 */
const DEFAULT_POINTS = 'scale:0.05,scale:0.2,checkpoint:0.25,files:5000';
const TENSOR_BYTES = 16 * MiB;

interface Point {
  name: string;
  make(root: string): { bytes: number; files: number; change?: () => number };
}

function parsePoint(p: string): Point {
  const [kind, v] = p.split(':');
  const n = Number(v);
  if (!(n > 0)) throw new Error(`curve point ${p}: needs a positive number after the colon`);
  if (kind === 'scale')
    return {
      name: p,
      make: (root) => {
        const d = generateDataset(root, datasetSpec(n));
        return { bytes: d.bytes, files: d.files };
      },
    };
  if (kind === 'checkpoint')
    return {
      name: p,
      make: (root) => {
        const size = Math.round(n * 1024 * MiB);
        fs.mkdirSync(root, { recursive: true });
        const file = path.join(root, 'model.safetensors');
        writeRandom(file, size, 4242);
        return { bytes: size, files: 1, change: () => rewriteTensors(file, size, 0.02) };
      },
    };
  if (kind === 'files') return { name: p, make: (root) => generateFileTree(root, n) };
  throw new Error(`curve point ${p}: kind must be scale, checkpoint or files`);
}

/** Rewrite `fraction` of the file's tensors (TENSOR_BYTES regions) in place with new random bytes; returns the bytes changed. */
function rewriteTensors(file: string, size: number, fraction: number): number {
  const tensors = Math.max(1, Math.floor(size / TENSOR_BYTES));
  const pick = Math.max(1, Math.round(tensors * fraction));
  const rng = new XorShift(777);
  const buf = Buffer.allocUnsafeSlow(Math.min(TENSOR_BYTES, size));
  const fd = fs.openSync(file, 'r+');
  let changed = 0;
  try {
    for (let k = 0; k < pick; k++) {
      const at = Math.floor((tensors * (k + 0.5)) / pick) * TENSOR_BYTES;
      const len = Math.min(buf.length, size - at);
      rng.fill(buf);
      fs.writeSync(fd, buf, 0, len, at);
      changed += len;
    }
  } finally {
    fs.closeSync(fd);
  }
  return changed;
}

interface Sample {
  point: string;
  tool: 'restic' | 'lepton-dr';
  op: string;
  wallMs: number;
  rssKiB: number;
  growthBytes?: number;
}

async function measurePoint(sw: Seaweed, tmp: string, point: Point, resticBin: string, log: (m: string) => void, engineOnly: boolean): Promise<Sample[]> {
  const root = path.join(tmp, 'data');
  fs.rmSync(root, { recursive: true, force: true });
  const info = point.make(root);
  log(`curve ${point.name}: ${info.files} files, ${fmtMiB(info.bytes)}`);
  const cache = new CachePolicy(root);
  const tag = point.name.replace(/[^a-z0-9]/gi, '-');
  const restic = new Restic(seaweedTarget(sw, `curve-restic-${tag}`, path.join(tmp, `cache-${tag}`)), resticBin, 'restic');
  const { cacheDir: _unused, ...direct } = seaweedTarget(sw, `curve-direct-${tag}`, '');
  const engine = new EngineDirect({
    ...direct,
    packSizeMiB: DEFAULT_PACK_SIZE_MIB,
    password: 'lepton-bench-password',
    compression: 'auto',
    asset: 'curve',
    workDir: path.join(tmp, `direct-${tag}`),
  });
  if (!engineOnly) await restic.init();
  const out: Sample[] = [];
  const add = (tool: Sample['tool'], op: string, r: { wallMs: number }, rssKiB: number, growthBytes?: number) => {
    out.push({ point: point.name, tool, op, wallMs: r.wallMs, rssKiB, ...(growthBytes !== undefined ? { growthBytes } : {}) });
    log(`  ${tool} ${op}: ${fmtS(r.wallMs)}, RSS ${fmtMiB(rssKiB * 1024)}${growthBytes !== undefined ? `, bucket +${fmtMiB(growthBytes)}` : ''}`);
  };
  const both = async (op: string) => {
    for (const [tool, prefix, run] of [
      ['restic', `curve-restic-${tag}`, () => restic.backup(root).then((r) => ({ wallMs: r.wallMs, rss: r.maxRssKiB }))],
      ['lepton-dr', `curve-direct-${tag}`, () => engine.backup(root).then((r) => ({ wallMs: r.wallMs, rss: r.procMaxRssKiB }))],
    ] as const) {
      if (engineOnly && tool === 'restic') continue;
      const before = (await bucketUsage(sw, prefix)).bytes;
      cache.prepare();
      const r = await run();
      add(tool, op, r, r.rss, op === 'changed' ? (await bucketUsage(sw, prefix)).bytes - before : undefined);
    }
  };
  await both('backup');
  await both('no-change');
  if (info.change) {
    const changed = info.change();
    log(`  changed ${fmtMiB(changed)} (${((changed / info.bytes) * 100).toFixed(1)} %)`);
    await both('changed');
  }
  for (const tool of engineOnly ? (['lepton-dr'] as const) : (['restic', 'lepton-dr'] as const)) {
    const into = path.join(tmp, `restore-${tag}-${tool}`);
    cache.prepare();
    const r =
      tool === 'restic'
        ? await restic.restore(into).then((x) => ({ wallMs: x.wallMs, rss: x.maxRssKiB }))
        : await engine.restore(into).then((x) => ({ wallMs: x.wallMs, rss: x.procMaxRssKiB }));
    add(tool, 'restore', r, r.rss);
    fs.rmSync(into, { recursive: true, force: true });
  }
  fs.rmSync(root, { recursive: true, force: true });
  return out;
}

const COLORS: Record<string, [number, number, number]> = {
  'restic backup': [31, 119, 180],
  'lepton-dr backup': [214, 39, 40],
  'restic no-change': [120, 170, 220],
  'lepton-dr no-change': [250, 140, 130],
  'restic restore': [44, 160, 44],
  'lepton-dr restore': [148, 103, 189],
};

/** Two panels, time (s) and peak RSS (MiB) per point, one line per tool and operation. */
function chart(samples: Sample[], points: string[]): Buffer {
  const W = 900;
  const H = 380;
  const c = new Canvas(W, H * 2 + 40);
  const panel = (top: number, title: string, value: (s: Sample) => number) => {
    const left = 70;
    const right = W - 200;
    const bottom = top + H - 40;
    const max = Math.max(1e-9, ...samples.map(value)) * 1.1;
    const x = (i: number) => left + (points.length === 1 ? 0 : ((right - left) * i) / (points.length - 1));
    const y = (v: number) => bottom - ((bottom - top - 20) * v) / max;
    c.text(left, top, title, [0, 0, 0]);
    c.line(left, bottom, right, bottom, [0, 0, 0]);
    c.line(left, top + 20, left, bottom, [0, 0, 0]);
    for (let k = 0; k <= 4; k++) {
      const v = (max * k) / 4;
      c.line(left - 4, y(v), left, y(v), [0, 0, 0]);
      c.text(4, y(v) - 5, v >= 100 ? v.toFixed(0) : v.toFixed(1), [0, 0, 0]);
    }
    points.forEach((p, i) => c.text(x(i) - 20, bottom + 8, p.replace('checkpoint', 'ckpt'), [0, 0, 0], 1));
    let legend = top + 24;
    for (const [series, col] of Object.entries(COLORS)) {
      const pts = points.map((p) => samples.find((s) => s.point === p && `${s.tool} ${s.op}` === series));
      for (let i = 1; i < pts.length; i++) {
        const a = pts[i - 1];
        const b = pts[i];
        if (a && b) c.line(x(i - 1), y(value(a)), x(i), y(value(b)), col, 3);
      }
      pts.forEach((s, i) => s && c.rect(x(i) - 3, y(value(s)) - 3, 7, 7, col));
      c.rect(right + 20, legend, 14, 8, col);
      c.text(right + 40, legend - 1, series, [0, 0, 0], 1);
      legend += 16;
    }
  };
  panel(10, 'time s', (s) => s.wallMs / 1000);
  panel(H + 30, 'peak rss mib', (s) => s.rssKiB / 1024);
  return c.png();
}

function table(samples: Sample[], points: string[]): string {
  const lines = ['| point | operation | restic time | lepton-dr time | ratio | restic RSS | lepton-dr RSS | ratio |', '|---|---|---|---|---|---|---|---|'];
  for (const p of points)
    for (const op of ['backup', 'no-change', 'changed', 'restore']) {
      const r = samples.find((s) => s.point === p && s.op === op && s.tool === 'restic');
      const o = samples.find((s) => s.point === p && s.op === op && s.tool === 'lepton-dr');
      if (!o) continue;
      if (!r) {
        lines.push(`| ${p} | ${op} | - | ${fmtS(o.wallMs)} | - | - | ${fmtMiB(o.rssKiB * 1024)} | - |`);
        continue;
      }
      const growth = op === 'changed' ? ` (bucket +${fmtMiB(r.growthBytes ?? 0)} / +${fmtMiB(o.growthBytes ?? 0)})` : '';
      lines.push(
        `| ${p} | ${op}${growth} | ${fmtS(r.wallMs)} | ${fmtS(o.wallMs)} | ${(o.wallMs / r.wallMs).toFixed(2)}x | ${fmtMiB(r.rssKiB * 1024)} | ${fmtMiB(o.rssKiB * 1024)} | ${(o.rssKiB / r.rssKiB).toFixed(2)}x |`,
      );
    }
  return lines.join('\n');
}

export async function benchCurve(ctx: BenchContext): Promise<{ rows: BenchRow[]; samples: Sample[]; table: string; png?: string }> {
  const i = ctx.args.indexOf('--points');
  const points = (i >= 0 ? ctx.args[i + 1] : DEFAULT_POINTS).split(',').map(parsePoint);
  // --engine-only: the engine's runs alone (memory slopes between points; restic's figures come from a run with it)
  const engineOnly = ctx.args.includes('--engine-only');
  const resticBin = resticBinary() ?? (engineOnly ? '' : undefined);
  if (resticBin === undefined) throw new Error('restic 0.18.1 is not in the tools folder: run bash scripts/bench-tools.sh once');
  const log = (m: string) => console.log(`[curve] ${m}`);
  const sw = await startSeaweed({ bucket: 'curve', accessKeyId: 'curve-key', secretAccessKey: 'curve-secret' });
  const samples: Sample[] = [];
  try {
    for (const p of points) samples.push(...(await measurePoint(sw, ctx.tmpDir, p, resticBin, log, engineOnly)));
  } finally {
    await sw.stop();
  }
  const names = points.map((p) => p.name);
  const md = table(samples, names);
  let png: string | undefined;
  if (ctx.outDir) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    fs.mkdirSync(ctx.outDir, { recursive: true });
    png = path.join(ctx.outDir, `curve-${stamp}.png`);
    fs.writeFileSync(png, chart(samples, names));
    fs.writeFileSync(path.join(ctx.outDir, `curve-${stamp}.md`), `${md}\n\n![cost curve](${path.basename(png)})\n`);
  }
  console.log(md);
  const rows: BenchRow[] = [];
  for (const p of names)
    for (const op of ['backup', 'no-change', 'changed', 'restore']) {
      const r = samples.find((s) => s.point === p && s.op === op && s.tool === 'restic');
      const o = samples.find((s) => s.point === p && s.op === op && s.tool === 'lepton-dr');
      if (r && o) rows.push({ metric: `${p} ${op}: time / restic`, value: Number((o.wallMs / r.wallMs).toFixed(2)), unit: 'x' });
      if (r && o) rows.push({ metric: `${p} ${op}: peak RSS / restic`, value: Number((o.rssKiB / r.rssKiB).toFixed(2)), unit: 'x' });
    }
  return { rows, samples, table: md, ...(png ? { png } : {}) };
}
