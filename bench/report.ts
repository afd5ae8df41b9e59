import fs from 'node:fs';
import path from 'node:path';
import { fmtMiB, fmtS, median, mibPerS } from './measure';
import type { SectionOutcome } from './sections';
import { RESTIC_REFERENCE_VERSION } from './restic';
import type { BucketInfo, ReferenceSamples, SuiteResults } from './suite';

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
      body.push([
        `${s.name}: ${r.metric}`,
        `${r.value}${r.unit ? ` ${r.unit}` : ''}`,
        '-',
        '-',
        r.target ?? '-',
        r.pass === undefined ? 'info' : r.pass ? 'PASS' : 'MISS',
      ]);
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

/** Peak RSS over every run of a tool (bytes), whichever way its runs record it. */
const peakOf = <T>(xs: T[], kib: (x: T) => number): number => Math.max(...xs.map(kib)) * 1024;
const allRuns = <B, R>(T: { full: B[]; noChange: B[]; changed: B[]; restore: R[] }): (B | R)[] => [...T.full, ...T.noChange, ...T.changed, ...T.restore];
const referencePeak = (R: SuiteResults['restic']) => peakOf(allRuns(R), (x) => x.maxRssKiB);

/** What sets one group of comparison rows apart: its label prefix and its targets (none: info rows). */
interface RowSettings {
  prefix: string;
  limits: { full?: number; noChange?: number; restore?: number; rss?: number };
}

/** The four timed operations, peak RSS and bucket size of one lepton-dr configuration against one reference. */
function compareRows(D: SuiteResults['direct'], R: SuiteResults['restic'], { prefix, limits }: RowSettings): TargetRow[] {
  const wall = (x: { wallMs: number }) => x.wallMs;
  const identical = D.restore.every((r) => r.verify?.identical);
  const timed = (metric: string, d: { wallMs: number }[], r: { wallMs: number }[], limit?: number, note?: string) =>
    ratioRow(`${prefix}${metric}`, med(d, wall), med(r, wall), limit, fmtS, note);
  return [
    timed('full backup time', D.full, R.full, limits.full),
    timed('no-change backup time', D.noChange, R.noChange, limits.noChange),
    timed('1%-changed backup time', D.changed, R.changed),
    timed('full restore time', D.restore, R.restore, limits.restore, identical ? undefined : 'ours NOT byte-identical, see JSON'),
    ratioRow(
      `${prefix}peak RSS (max over runs)`,
      peakOf(allRuns(D), (x) => x.procMaxRssKiB),
      referencePeak(R),
      limits.rss,
      fmtMiB,
    ),
    ratioRow(
      `${prefix}bucket after the 3 backups`,
      med(D.changed, (x) => x.bucketBytes),
      med(R.changed, (x) => x.bucketBytes),
      undefined,
      fmtMiB,
    ),
  ];
}

export function buildRows({ suite, datasetBytes, ceilingMiBps, storePutMiBps, storeGetMiBps }: RowInputs): TargetRow[] {
  const { restic: R, direct: D, workflow: W, change } = suite;
  const wall = (x: { wallMs: number }) => x.wallMs;
  const cpu = (x: { cpuS?: number }) => x.cpuS;
  const identical = D.restore.every((r) => r.verify?.identical) && suite.fastest.direct.restore.every((r) => r.verify?.identical);
  const rcData = med(R.changed, (x) => x.dataAdded);
  const rcBucket = med(R.changed, (x) => x.bucketDelta);
  const dcStats = D.changed[0]?.snapshot?.stats;
  const ref = `restic ${RESTIC_REFERENCE_VERSION}`;
  // the headline: both encrypted, both compressing (restic's default auto); targets of issue 10
  const rows: TargetRow[] = [
    ...compareRows(D, R, { prefix: '', limits: { full: 0.7, noChange: 0.8, restore: 0.8, rss: 1.0 } }),
    ratioRow(
      '1% change: bucket growth / changed bytes',
      med(D.changed, (x) => x.bucketDelta),
      change.changedBytes,
      1.1,
      fmtMiB,
      `ours: every byte PUT ${fmtMiB(med(D.changed, (x) => x.bytesPut))} (new chunk data ${dcStats ? fmtMiB(dcStats.bytesNew) : '?'} before compression; the rest is tree, index and work-list objects, some deleted after); ` +
        `restic data_added ${fmtMiB(rcData)} = ${(rcData / change.changedBytes).toFixed(2)}x (before compression), its bucket grew ${fmtMiB(rcBucket)} = ${(rcBucket / change.changedBytes).toFixed(2)}x`,
    ),
  ];
  if (W?.full.length && W.restore.length) {
    rows.push(
      ratioRow(
        'worker process peak RSS',
        W.workerPeakRssKiB * 1024,
        referencePeak(R),
        1.0,
        fmtMiB,
        `the Temporal worker over all its workflow runs, against ${ref}'s peak`,
      ),
    );
    const overhead: [string, { wallMs: number }[], { engineMs: number }[], number | undefined, string | undefined][] = [
      ['full backup', W.full, D.full, 1.15, 'workflow start-to-result time / engine-direct time inside its process (neither pays node start-up)'],
      ['restore', W.restore, D.restore, 1.15, undefined],
      ['no-change', W.noChange, D.noChange, undefined, undefined],
      ['1%-changed', W.changed, D.changed, undefined, undefined],
    ];
    for (const [op, w, d, limit, note] of overhead)
      rows.push(
        ratioRow(
          `workflow overhead: ${op}`,
          med(w, wall),
          med(d, (x) => x.engineMs),
          limit,
          fmtS,
          note,
        ),
      );
  }
  // each tool at its fastest: lepton-dr plain and uncompressed, restic --compression off (restic cannot turn encryption off)
  rows.push(...compareRows(suite.fastest.direct, suite.fastest.restic, { prefix: 'fastest: ', limits: {} }));
  // further columns: lepton-dr's headline configuration against each tool's defaults
  for (const o of suite.others) rows.push(...compareRows(D, o.samples, { prefix: `vs ${o.label}: `, limits: {} }));
  const cpuS = (n: number) => `${n.toFixed(1)} s`;
  rows.push(
    ratioRow(
      'CPU time, full backup',
      med(D.full, cpu),
      med(R.full, cpu),
      undefined,
      cpuS,
      'user+sys of the process (SeaweedFS not included); less sensitive than wall time to other load on the machine',
    ),
  );
  rows.push(ratioRow('CPU time, restore', med(D.restore, cpu), med(R.restore, cpu), undefined, cpuS));
  const mbps = (n: number) => `${n.toFixed(0)} MiB/s`;
  rows.push(ratioRow('full backup throughput / read+SHA-256 ceiling', mibPerS(datasetBytes, med(D.full, wall)), ceilingMiBps, undefined, mbps));
  if (storePutMiBps)
    rows.push(
      ratioRow(
        'full backup throughput / S3 PUT ceiling',
        mibPerS(datasetBytes, med(D.full, wall)),
        storePutMiBps,
        undefined,
        mbps,
        'PUT ceiling = 16 MiB objects x4, nothing else running; restic reaches ' + `${(mibPerS(datasetBytes, med(R.full, wall)) / storePutMiBps).toFixed(2)}x`,
      ),
    );
  if (storeGetMiBps)
    rows.push(
      ratioRow(
        'full restore throughput / S3 GET ceiling',
        mibPerS(datasetBytes, med(D.restore, wall)),
        storeGetMiBps,
        undefined,
        mbps,
        `restic reaches ${(mibPerS(datasetBytes, med(R.restore, wall)) / storeGetMiBps).toFixed(2)}x`,
      ),
    );
  rows.push(ratioRow('restore byte-identical (ours, every run)', identical ? 1 : 0, 1, undefined, (n) => (n ? 'yes' : 'no')));
  return rows;
}

/** One line per tool and operation: medians of wall, CPU, peak RSS (max), bytes, and the spread of wall times. */
export function formatDetails(suite: SuiteResults): string {
  const { restic: R, direct: D, workflow: W } = suite;
  const out: string[][] = [['run', 'n', 'wall (median)', 'wall min..max', 'engine', 'cpu', 'peak RSS', 'uploaded', 'bucket +', 'load1']];
  const spread = (xs: { wallMs: number }[]) => `${fmtS(Math.min(...xs.map((x) => x.wallMs)))}..${fmtS(Math.max(...xs.map((x) => x.wallMs)))}`;
  const opt = (n: number, f: (n: number) => string) => (Number.isFinite(n) ? f(n) : '-');
  const add = <T extends { wallMs: number; load1: number }>(
    name: string,
    xs: T[],
    engine: (x: T) => number | undefined,
    cpu: (x: T) => number | undefined,
    rssKiB: number,
    up: (x: T) => number | undefined,
    delta: (x: T) => number | undefined,
  ) => {
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
  /** the three backups and the restore of one tool; `settings` says how its runs record engine time, RSS and bytes */
  const tool = <B extends { wallMs: number; load1: number; cpuS?: number }, Rs extends { wallMs: number; load1: number; cpuS?: number }>(
    name: string,
    T: { full: (B & BucketInfo)[]; noChange: (B & BucketInfo)[]; changed: (B & BucketInfo)[]; restore: Rs[] },
    settings: { engine: (x: B | Rs) => number | undefined; rssKiB: (x: B | Rs) => number; uploaded: (x: B) => number | undefined },
  ) => {
    for (const [k, xs] of [
      ['full', T.full],
      ['no-change', T.noChange],
      ['1%-changed', T.changed],
    ] as const)
      add(
        `${name} ${k}`,
        xs,
        settings.engine,
        (x) => x.cpuS,
        Math.max(...xs.map(settings.rssKiB)),
        settings.uploaded,
        (x) => x.bucketDelta,
      );
    add(`${name} restore`, T.restore, settings.engine, (x) => x.cpuS, Math.max(...T.restore.map(settings.rssKiB)), none, none);
  };
  const ref = (name: string, T: ReferenceSamples['samples']) => tool(name, T, { engine: none, rssKiB: (x) => x.maxRssKiB, uploaded: (x) => x.dataAdded });
  const ours = (name: string, T: SuiteResults['direct']) =>
    tool(name, T, { engine: (x) => x.engineMs, rssKiB: (x) => x.procMaxRssKiB, uploaded: (x) => x.bytesPut });
  ref('restic', R);
  ours('direct', D);
  ref('restic --compression off', suite.fastest.restic);
  ours('direct plain, off', suite.fastest.direct);
  for (const o of suite.others) ref(o.label, o.samples);
  if (W) {
    for (const [k, xs] of [
      ['full', W.full],
      ['no-change', W.noChange],
      ['1%-changed', W.changed],
    ] as const)
      add(
        `workflow ${k}`,
        xs,
        none,
        (x) => x.workerCpuS,
        0,
        (x) => x.bytesUploaded,
        (x) => x.bucketDelta,
      );
    add('workflow restore', W.restore, none, (x) => x.workerCpuS, W.workerPeakRssKiB, none, none);
  }
  const widths = out[0].map((_, i) => Math.max(...out.map((r) => r[i].length)));
  const text = out.map((r) => r.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ')).join('\n');
  return `${text}\n(restic = ${RESTIC_REFERENCE_VERSION}, defaults; direct = lepton-dr engine-direct, encrypted, compression auto; workflow = the same through Temporal, cpu = the worker process only, peak RSS = the worker process, shown on its restore line; "uploaded" = restic's data_added before compression, lepton-dr's bytes PUT)`;
}
