import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Optional benchmark sections contributed by other modules. bench/run.ts loads
 * bench/predict.ts (`benchPredict`), bench/failover.ts (`benchFailover`), bench/load.ts (`benchLoad`),
 * bench/copy.ts (`benchCopy`) and bench/scaleout.ts (`benchScaleout`) when they exist.
 *
 * Contract: the function takes a BenchContext and resolves to anything JSON-serialisable.
 * When the value has `rows: BenchRow[]`, those rows are printed in the results table and marked
 * PASS/MISS from `pass`; a flat record of numbers/strings is printed one info row per key. The
 * whole value goes into the JSON either way.
 */
export interface BenchContext {
  /** the --scale factor of this run */
  scale: number;
  /** a scratch folder for the section (removed after the run unless --keep) */
  tmpDir: string;
  /** extra command-line arguments after `--` */
  args: string[];
  /** the results folder (for files a section writes beside the JSON, e.g. a chart) */
  outDir?: string;
}

export interface BenchRow {
  metric: string;
  value: number | string;
  unit?: string;
  /** human-readable target, e.g. "<= 0.8x" */
  target?: string;
  pass?: boolean;
}

export interface SectionOutcome {
  name: string;
  status: 'ok' | 'absent' | 'failed';
  ms?: number;
  result?: unknown;
  error?: string;
  rows?: BenchRow[];
}

type SectionFn = (ctx: BenchContext) => unknown;

/**
 * Where a section works and how it logs: the context's scratch folder, else a fresh temp folder
 * (`owned`: the section removes it), and lines to stderr stamped with the seconds since this call.
 */
export function sectionScratch(ctx: Partial<BenchContext>, name: string): { dir: string; owned: boolean; log: (msg: string) => void } {
  const t0 = performance.now();
  const log = (msg: string) => void process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`);
  return ctx.tmpDir ? { dir: ctx.tmpDir, owned: false, log } : { dir: fs.mkdtempSync(path.join(os.tmpdir(), `ldr-${name}-`)), owned: true, log };
}

function loadSection(modulePath: string, exportName: string): SectionFn | undefined {
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(modulePath) as Record<string, unknown>;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // only "this very module is missing" means absent; a missing dependency inside it is a failure
    if (err.code === 'MODULE_NOT_FOUND' && err.message.includes(modulePath)) return undefined;
    throw e;
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function') throw new Error(`${modulePath} does not export a function ${exportName}()`);
  return fn as SectionFn;
}

/** `rows` when given; else a flat record of numbers and strings becomes one info row per key. */
function rowsOf(result: unknown): BenchRow[] | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const rows = (result as { rows?: unknown }).rows;
  if (Array.isArray(rows)) return rows.filter((r): r is BenchRow => typeof r === 'object' && r !== null && typeof (r as BenchRow).metric === 'string');
  const flat = Object.entries(result).filter((e): e is [string, number | string] => typeof e[1] === 'number' || typeof e[1] === 'string');
  return flat.length
    ? flat.map(([metric, value]) => ({ metric, value: typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(4)) : value }))
    : undefined;
}

export async function runSection(name: string, modulePath: string, exportName: string, ctx: BenchContext): Promise<SectionOutcome> {
  let fn: SectionFn | undefined;
  try {
    fn = loadSection(modulePath, exportName);
  } catch (e) {
    return { name, status: 'failed', error: (e as Error).stack ?? String(e) };
  }
  if (!fn) return { name, status: 'absent' };
  const t0 = performance.now();
  try {
    const result = await fn(ctx);
    return { name, status: 'ok', ms: performance.now() - t0, result, rows: rowsOf(result) };
  } catch (e) {
    return { name, status: 'failed', ms: performance.now() - t0, error: (e as Error).stack ?? String(e) };
  }
}
