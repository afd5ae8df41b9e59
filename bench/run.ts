import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PACK_SIZE_MIB } from '../src/engine/repo/pack';
import { startSeaweed, type Seaweed } from '../test/helpers/seaweed';
import { readHashCeiling, storeCeiling, type CeilingResult, type StoreCeilingResult } from './ceiling';
import { S3Store } from '../src/engine/store/s3-store';
import { datasetSpec, generateDataset } from './dataset';
import { CachePolicy, fmtMiB, fmtS, hasGnuTime } from './measure';
import { buildRows, formatDetails, formatTable, writeResults, type TargetRow } from './report';
import { RESTIC_REFERENCE_VERSION, resticBinary, resticVersion, systemResticBinary } from './restic';
import { rusticBinary } from './rustic';
import { runSection, type SectionOutcome } from './sections';
import { runSuite } from './suite';
import { startWorkflowRig, type WorkflowRig } from './workflow';

/**
 * `npm run bench [-- --scale N] [--repeat N] [--no-workflow] [--profile] [--keep] [--out DIR]`
 *
 * Generates a synthetic AI asset set, then measures restic 0.18.1 (the reference; installed by
 * scripts/bench-tools.sh with rustic), the distribution's restic and rustic when present,
 * lepton-dr engine-direct and lepton-dr through Temporal workflows against one SeaweedFS: full backup, no-change re-run,
 * 1%-changed run, full restore, peak RSS, CPU time; plus the read+SHA-256 ceiling. Prints the
 * ratios against the targets and writes bench-results/bench-<timestamp>.json and latest.json.
 */
interface Args {
  scale: number;
  repeat: number;
  keep: boolean;
  workflow: boolean;
  profile: boolean;
  out?: string;
  packSizeMiB: number;
  /** parts to run: the measured suite and the optional sections (default all) */
  only: Set<Part>;
  rest: string[];
}

const PARTS = ['suite', 'predict', 'failover', 'load', 'gentle', 'curve', 'copy', 'scaleout'] as const;
type Part = (typeof PARTS)[number];
const SECTIONS: [Exclude<Part, 'suite'>, string, string][] = [
  ['predict', './predict', 'benchPredict'],
  ['failover', './failover', 'benchFailover'],
  ['load', './load', 'benchLoad'],
  ['gentle', './gentle', 'benchGentle'],
  ['curve', './curve', 'benchCurve'],
  ['copy', './copy', 'benchCopy'],
  ['scaleout', './scaleout', 'benchScaleout'],
];

const USAGE = `usage: node dist/bench/run.js [options] [-- args for optional sections]
  --scale N          data set size factor (default 1: 3 x 200 MiB checkpoints, 20k small files, ~770 MiB)
  --repeat N         repeat every measurement N times on fresh repositories, report medians (default 1)
  --no-workflow      skip the Temporal measurements
  --profile          write V8 CPU profiles of the engine-direct runs next to the results
  --pack-size-mib N  pack size for lepton-dr (default 16, like the plan file's default and restic's)
  --only P[,P]       run only these parts: suite (restic / engine / workflow), predict, failover, load,
                     gentle, curve, copy, scaleout (default all); e.g. --only load -- --seconds 10 --backups 20 (load: --backups N,
                     --files N, --workers 1,2, --rate N, --seconds N; gentle: --rate N, --upload-mib N,
                     --threads N, --nice N, --io normal|low|idle, --baseline-s N); --only curve -- --points
                     scale:1,scale:4,checkpoint:8,files:1000000 [--engine-only] (the cost curve; small points by default);
                     copy: second-region copy against rclone copy
  --keep             keep the temp folder (data set, logs)
  --out DIR          results folder (default <project>/bench-results)`;

function parseArgs(argv: string[]): Args {
  const a: Args = { scale: 1, repeat: 1, keep: false, workflow: true, profile: false, packSizeMiB: DEFAULT_PACK_SIZE_MIB, only: new Set(PARTS), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    const num = (name: string) => {
      const n = Number(argv[++i]);
      if (!(n > 0)) throw new Error(`${name} needs a positive number`);
      return n;
    };
    if (v === '--scale') a.scale = num('--scale');
    else if (v === '--repeat') a.repeat = Math.round(num('--repeat'));
    else if (v === '--keep') a.keep = true;
    else if (v === '--no-workflow') a.workflow = false;
    else if (v === '--profile') a.profile = true;
    else if (v === '--pack-size-mib') a.packSizeMiB = num('--pack-size-mib');
    else if (v === '--out') a.out = argv[++i];
    else if (v === '--only') {
      const names = String(argv[++i]).split(',');
      const bad = names.filter((n) => !(PARTS as readonly string[]).includes(n));
      if (bad.length) throw new Error(`--only: unknown part ${bad.join(', ')} (parts: ${PARTS.join(', ')})`);
      a.only = new Set(names as Part[]);
    } else if (v === '--') {
      a.rest = argv.slice(i + 1);
      break;
    } else if (v === '--help' || v === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${v}\n${USAGE}`);
  }
  return a;
}

/** The folder holding package.json above this file (works from dist/bench and dist-bench/bench). */
function projectRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return process.cwd();
}

interface SuitePart {
  rows: TargetRow[];
  /** JSON fields of the measured suite */
  json: Record<string, unknown>;
  /** lines printed before the table and the details after it */
  header: string;
  details: string;
  benchMs: number;
}

/** restic, engine-direct and workflows on the generated asset set, with the ceilings. */
async function measuredSuite(args: Args, tmp: string, profileDir: string | undefined, log: (msg: string) => void): Promise<SuitePart> {
  const t0 = performance.now();
  const resticBin = resticBinary();
  if (!resticBin) throw new Error(`restic ${RESTIC_REFERENCE_VERSION} is not in the tools folder: run bash scripts/bench-tools.sh once`);
  const resticVer = resticVersion(resticBin);
  const binaries = { restic: resticBin, systemRestic: systemResticBinary(), rustic: rusticBinary() };
  if (!binaries.rustic) console.log('rustic is not in the tools folder (bash scripts/bench-tools.sh): its column is left out');

  let seaweed: Seaweed | undefined;
  let rig: WorkflowRig | undefined;
  try {
    const spec = datasetSpec(args.scale);
    const assets = path.join(tmp, 'assets');
    log(`generating the asset set (scale ${args.scale}) in ${assets}`);
    const ds = generateDataset(assets, spec);
    log(
      `  ${ds.files} files, ${fmtMiB(ds.bytes)} (checkpoints ${fmtMiB(ds.checkpointBytes)}, small files ${fmtMiB(ds.smallBytes)}, configs ${fmtMiB(ds.configBytes)}) in ${fmtS(ds.generateMs)}`,
    );
    const cache = new CachePolicy(assets);
    log(
      `page cache: ${cache.mode === 'cold' ? 'dropped before every timed run (cold)' : 'cannot be dropped here; every timed run starts warm (source read just before)'}`,
    );

    seaweed = await startSeaweed({ bucket: 'bench', accessKeyId: 'bench-key', secretAccessKey: 'bench-secret' });
    log(`SeaweedFS at ${seaweed.endpoint}`);
    if (args.workflow) {
      rig = await startWorkflowRig({ seaweed, dir: path.join(tmp, 'workflow'), root: tmp, packSizeMiB: args.packSizeMiB });
      log(`Temporal at ${rig.temporal.address} in ${fmtS(rig.startupMs)}`);
    }

    // the physical ceiling: read + SHA-256 only
    const ceiling: Record<string, CeilingResult> = {};
    const threads = Math.max(2, os.availableParallelism());
    for (const n of [1, threads]) {
      cache.prepare();
      ceiling[`${cache.mode}-${n}`] = await readHashCeiling(assets, n);
    }
    ceiling[`warm-${threads}`] = await readHashCeiling(assets, threads);
    for (const [k, c] of Object.entries(ceiling)) log(`ceiling read+SHA-256 ${k} thread(s): ${c.mibPerS.toFixed(0)} MiB/s (${fmtS(c.ms)})`);
    // the store's own ceiling, on a prefix of its own
    const s3 = new S3Store({
      endpoint: seaweed.endpoint,
      region: seaweed.region,
      bucket: seaweed.bucket,
      prefix: 'ceiling',
      forcePathStyle: true,
      credentials: { accessKeyId: seaweed.accessKeyId, secretAccessKey: seaweed.secretAccessKey },
    });
    const storeCeil: StoreCeilingResult[] = [];
    try {
      storeCeil.push(...(await storeCeiling(s3, { totalMiB: Math.max(64, Math.round(256 * Math.min(1, args.scale))), objectMiB: 16, concurrency: 4 })));
    } finally {
      s3.destroy();
    }
    for (const c of storeCeil) log(`ceiling S3 ${c.op} ${c.objectMiB} MiB objects x${c.concurrency}: ${c.mibPerS.toFixed(0)} MiB/s`);

    const suite = await runSuite({
      seaweed,
      rig,
      cache,
      dataset: ds,
      spec,
      tmp,
      repeat: args.repeat,
      packSizeMiB: args.packSizeMiB,
      profileDir,
      log,
      binaries,
    });
    if (rig) {
      await rig.stop();
      rig = undefined;
    }
    await seaweed.stop();
    seaweed = undefined;
    const rows = buildRows({
      suite,
      datasetBytes: ds.bytes,
      ceilingMiBps: ceiling[`${cache.mode}-${threads}`].mibPerS,
      storePutMiBps: storeCeil.find((c) => c.op === 'PUT')?.mibPerS,
      storeGetMiBps: storeCeil.find((c) => c.op === 'GET')?.mibPerS,
    });
    return {
      rows,
      benchMs: performance.now() - t0,
      json: {
        scale: args.scale,
        repeat: args.repeat,
        cacheMode: cache.mode,
        measuring: {
          wall: 'spawn to exit for restic and engine-direct (node start-up included); start to result for workflows',
          rss: hasGnuTime ? '/usr/bin/time %M of the process' : '/proc/PID/status VmHWM polled every 20 ms',
          cpu: hasGnuTime ? '/usr/bin/time %U+%S' : 'not measured (no /usr/bin/time)',
        },
        tools: { restic: resticVer, ...suite.tools, leptonPackSizeMiB: args.packSizeMiB },
        dataset: { ...ds, spec },
        change: suite.change,
        ceiling,
        storeCeiling: storeCeil,
        runs: suite,
        targets: rows,
      },
      header: `lepton-dr bench: scale ${args.scale}, ${ds.files} files, ${fmtMiB(ds.bytes)}, ${args.repeat} run(s) each (medians), ${os.cpus().length} cores, ${cache.mode} page cache, ${resticVer.split(' compiled')[0]}`,
      details: formatDetails(suite),
    };
  } finally {
    await rig?.stop().catch(() => undefined);
    await seaweed?.stop().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const t0 = performance.now();
  const log = (msg: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${msg}`);
  const outDir = args.out ? path.resolve(args.out) : path.join(projectRoot(), 'bench-results');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-bench-'));
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const profileDir = args.profile ? path.join(outDir, `profiles-${stamp}`) : undefined;
  try {
    const suite = args.only.has('suite') ? await measuredSuite(args, tmp, profileDir, log) : undefined;

    // optional sections contributed by other modules
    const sections: SectionOutcome[] = [];
    for (const [name, mod, fn] of SECTIONS) {
      if (!args.only.has(name)) continue;
      const dir = path.join(tmp, `section-${name}`);
      fs.mkdirSync(dir, { recursive: true });
      const s = await runSection(name, mod, fn, { scale: args.scale, tmpDir: dir, args: args.rest, outDir });
      sections.push(s);
      log(`section ${name}: ${s.status}${s.ms !== undefined ? ` in ${fmtS(s.ms)}` : ''}${s.error ? `\n${s.error}` : ''}`);
    }

    const totalMs = performance.now() - t0;
    const results = {
      version: 1,
      startedAt: startedAt.toISOString(),
      totalMs,
      parts: [...args.only],
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model,
        memBytes: os.totalmem(),
        node: process.version,
        kernel: os.release(),
        load1AtEnd: os.loadavg()[0],
      },
      ...(suite ? { benchMs: suite.benchMs, ...suite.json } : {}),
      sections,
      ...(profileDir ? { profileDir } : {}),
    };
    const written = writeResults(outDir, results, startedAt, args.only.has('suite') ? 'bench' : `bench-${[...args.only].join('-')}`);

    console.log('');
    console.log(suite?.header ?? `lepton-dr bench: ${[...args.only].join(', ')}, ${os.cpus().length} cores`);
    console.log('');
    console.log(formatTable(suite?.rows ?? [], sections));
    if (suite) {
      console.log('');
      console.log(suite.details);
    }
    console.log('');
    console.log(`bench took ${fmtS(totalMs)}; results in ${written.file} (and ${path.basename(written.latest)})`);
    if (profileDir) console.log(`CPU profiles of the engine-direct runs in ${profileDir}`);
  } finally {
    if (!args.keep) fs.rmSync(tmp, { recursive: true, force: true });
    else console.log(`kept ${tmp}`);
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
