import fs from 'node:fs';
import path from 'node:path';
import { fmtMiB, fmtS, median, mibPerS } from './measure';
import type { SectionOutcome } from './sections';
import type { SuiteResults } from './suite';

/** The ratio table against the targets, printed and written as JSON. */
export interface TargetRow {
  metric: string;
  ours: string;
  reference: string;
  ratio: number | undefined;
  /** ratio must be <= this */
  limit: number | undefined;
  pass: boolean | undefined;
  note?: string;
}

export function ratioRow(metric: string, ours: number, ref: number, limit: number | undefined, fmt: (n: number) => string, note?: string): TargetRow {
  const ratio = ref > 0 ? ours / ref : undefined;
  return {
    metric,
    ours: fmt(ours),
    reference: fmt(ref),
    ratio,
    limit,
    pass: limit === undefined || ratio === undefined ? undefined : ratio <= limit,
    ...(note ? { note } : {}),
  };
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export function formatTable(rows: TargetRow[], sections: SectionOutcome[]): string {
  const head = ['metric', 'ours', 'reference', 'ratio', 'target', 'result'];
  const body = rows.map((r) => [
    r.metric,
    r.ours,
    r.reference,
    r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}x`,
    r.limit === undefined ? '-' : `<= ${r.limit}x`,
    r.pass === undefined ? 'info' : r.pass ? 'PASS' : 'MISS',
  ]);
  for (const s of sections) {
    if (s.status === 'absent') continue;
    if (s.status === 'failed') {
      body.push([`${s.name}: section failed`, '-', '-', '-', '-', 'FAIL']);
      continue;
    }
    for (const r of s.rows ?? []) {
      body.push([`${s.name}: ${r.metric}`, `${r.value}${r.unit ? ` ${r.unit}` : ''}`, '-', '-', r.target ?? '-', r.pass === undefined ? 'info' : r.pass ? 'PASS' : 'MISS']);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i], i > 0 && i < 4)).join(' | ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)];
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.metric}: ${r.note}`);
  return [...out, ...(notes.length ? ['', 'notes:', ...notes] : [])].join('\n');
}

/** <name>-<time>.json and its copy latest.json ("bench"), or latest-<rest of name>.json for a partial run such as "bench-load". */
export function writeResults(dir: string, results: unknown, startedAt: Date, name = 'bench'): { file: string; latest: string } {
  fs.mkdirSync(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `${name}-${stamp}.json`);
  const text = JSON.stringify(results, null, 2) + '\n';
  fs.writeFileSync(file, text);
  const latest = path.join(dir, name === 'bench' ? 'latest.json' : `latest-${name.replace(/^bench-/, '')}.json`);
  fs.writeFileSync(latest, text);
  return { file, latest };
}

// ---- rows from the measured samples ----

export interface RowInputs {
  suite: SuiteResults;
  datasetBytes: number;
  /** read+SHA-256 ceiling (MiB/s) with as many threads as cores, same cache mode */
  ceilingMiBps: number;
  /** what the object store takes / gives from this machine (MiB/s) */
  storePutMiBps?: number;
  storeGetMiBps?: number;
}

const med = <T>(xs: T[], f: (x: T) => number | undefined): number => median(xs.map((x) => f(x) ?? NaN));

export function buildRows({ suite, datasetBytes, ceilingMiBps, storePutMiBps, storeGetMiBps }: RowInputs): TargetRow[] {
  const { restic: R, direct: D, workflow: W, change } = suite;
  const wall = (x: { wallMs: number }) => x.wallMs;
  const cpu = (x: { cpuS?: number }) => x.cpuS;
  const resticPeak = Math.max(...[...R.full, ...R.noChange, ...R.changed, ...R.restore].map((x) => x.maxRssKiB)) * 1024;
  const oursPeak = Math.max(...[...D.full, ...D.noChange, ...D.changed, ...D.restore].map((x) => x.procMaxRssKiB)) * 1024;
  const identical = D.restore.every((r) => r.verify?.identical);
  const rcData = med(R.changed, (x) => x.dataAdded);
  const rcBucket = med(R.changed, (x) => x.bucketDelta);
  const dcStats = D.changed[0]?.snapshot?.stats;
  const rows: TargetRow[] = [
    ratioRow('full backup time', med(D.full, wall), med(R.full, wall), 0.8, fmtS),
    ratioRow('no-change backup time', med(D.noChange, wall), med(R.noChange, wall), 1.0, fmtS),
    ratioRow('1%-changed backup time', med(D.changed, wall), med(R.changed, wall), undefined, fmtS),
    ratioRow('full restore time', med(D.restore, wall), med(R.restore, wall), 1.0, fmtS, identical ? undefined : 'ours NOT byte-identical, see JSON'),
    ratioRow('peak RSS (max over runs)', oursPeak, resticPeak, 1.0, fmtMiB),
    ratioRow(
      '1% change: uploaded / changed bytes',
      med(D.changed, (x) => x.bytesPut),
      change.changedBytes,
      1.1,
      fmtMiB,
      `ours = every byte PUT (CountingStore): new chunk data ${dcStats ? fmtMiB(dcStats.bytesNew) : '?'}, the rest is tree, index and work-list objects; ` +
        `restic data_added ${fmtMiB(rcData)} = ${(rcData / change.changedBytes).toFixed(2)}x (before compression), its bucket grew ${fmtMiB(rcBucket)} = ${(rcBucket / change.changedBytes).toFixed(2)}x`,
    ),
  ];
  if (W?.full.length && W.restore.length) {
    rows.push(ratioRow('workflow overhead: full backup', med(W.full, wall), med(D.full, (x) => x.engineMs), 1.15, fmtS, 'workflow start-to-result time / engine-direct time inside its process (neither pays node start-up)'));
    rows.push(ratioRow('workflow overhead: restore', med(W.restore, wall), med(D.restore, (x) => x.engineMs), 1.15, fmtS));
    rows.push(ratioRow('workflow overhead: no-change', med(W.noChange, wall), med(D.noChange, (x) => x.engineMs), undefined, fmtS));
    rows.push(ratioRow('workflow overhead: 1%-changed', med(W.changed, wall), med(D.changed, (x) => x.engineMs), undefined, fmtS));
  }
  const cpuS = (n: number) => `${n.toFixed(1)} s`;
  rows.push(ratioRow('CPU time, full backup', med(D.full, cpu), med(R.full, cpu), undefined, cpuS, 'user+sys of the process (SeaweedFS not included); less sensitive than wall time to other load on the machine'));
  rows.push(ratioRow('CPU time, restore', med(D.restore, cpu), med(R.restore, cpu), undefined, cpuS));
  const mbps = (n: number) => `${n.toFixed(0)} MiB/s`;
  rows.push(ratioRow('full backup throughput / read+SHA-256 ceiling', mibPerS(datasetBytes, med(D.full, wall)), ceilingMiBps, undefined, mbps));
  if (storePutMiBps) rows.push(ratioRow('full backup throughput / S3 PUT ceiling', mibPerS(datasetBytes, med(D.full, wall)), storePutMiBps, undefined, mbps, 'PUT ceiling = 16 MiB objects x4, nothing else running; restic reaches ' + `${(mibPerS(datasetBytes, med(R.full, wall)) / storePutMiBps).toFixed(2)}x`));
  if (storeGetMiBps) rows.push(ratioRow('full restore throughput / S3 GET ceiling', mibPerS(datasetBytes, med(D.restore, wall)), storeGetMiBps, undefined, mbps, `restic reaches ${(mibPerS(datasetBytes, med(R.restore, wall)) / storeGetMiBps).toFixed(2)}x`));
  rows.push(ratioRow('restore byte-identical (ours, every run)', identical ? 1 : 0, 1, undefined, (n) => (n ? 'yes' : 'no')));
  return rows;
}

/** One line per tool and operation: medians of wall, CPU, peak RSS (max), bytes, and the spread of wall times. */
export function formatDetails(suite: SuiteResults): string {
  const { restic: R, direct: D, workflow: W } = suite;
  const out: string[][] = [['run', 'n', 'wall (median)', 'wall min..max', 'engine', 'cpu', 'peak RSS', 'uploaded', 'bucket +', 'load1']];
  const spread = (xs: { wallMs: number }[]) => `${fmtS(Math.min(...xs.map((x) => x.wallMs)))}..${fmtS(Math.max(...xs.map((x) => x.wallMs)))}`;
  const opt = (n: number, f: (n: number) => string) => (Number.isFinite(n) ? f(n) : '-');
  const add = <T extends { wallMs: number; load1: number }>(name: string, xs: T[], engine: (x: T) => number | undefined, cpu: (x: T) => number | undefined, rssKiB: number, up: (x: T) => number | undefined, delta: (x: T) => number | undefined) => {
    if (!xs.length) return;
    out.push([
      name,
      String(xs.length),
      fmtS(med(xs, (x) => x.wallMs)),
      spread(xs),
      opt(med(xs, engine), fmtS),
      opt(med(xs, cpu), (n) => `${n.toFixed(1)} s`),
      rssKiB > 0 ? fmtMiB(rssKiB * 1024) : '-',
      opt(med(xs, up), fmtMiB),
      opt(med(xs, delta), fmtMiB),
      med(xs, (x) => x.load1).toFixed(1),
    ]);
  };
  const none = () => undefined;
  for (const [k, xs] of [['full', R.full], ['no-change', R.noChange], ['1%-changed', R.changed]] as const) add(`restic ${k}`, xs, none, (x) => x.cpuS, Math.max(...xs.map((x) => x.maxRssKiB)), (x) => x.dataAdded, (x) => x.bucketDelta);
  add('restic restore', R.restore, none, (x) => x.cpuS, Math.max(...R.restore.map((x) => x.maxRssKiB)), none, none);
  for (const [k, xs] of [['full', D.full], ['no-change', D.noChange], ['1%-changed', D.changed]] as const) add(`direct ${k}`, xs, (x) => x.engineMs, (x) => x.cpuS, Math.max(...xs.map((x) => x.procMaxRssKiB)), (x) => x.bytesPut, (x) => x.bucketDelta);
  add('direct restore', D.restore, (x) => x.engineMs, (x) => x.cpuS, Math.max(...D.restore.map((x) => x.procMaxRssKiB)), none, none);
  if (W) {
    for (const [k, xs] of [['full', W.full], ['no-change', W.noChange], ['1%-changed', W.changed]] as const) add(`workflow ${k}`, xs, none, (x) => x.workerCpuS, 0, (x) => x.bytesUploaded, (x) => x.bucketDelta);
    add('workflow restore', W.restore, none, (x) => x.workerCpuS, W.workerPeakRssKiB, none, none);
  }
  const widths = out[0].map((_, i) => Math.max(...out.map((r) => r[i].length)));
  const text = out.map((r) => r.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ')).join('\n');
  return `${text}\n(workflow cpu = the worker process only; workflow peak RSS = the worker process, shown on its restore line)`;
}
