import fs from 'node:fs';
import path from 'node:path';
import type { Seaweed } from '../test/helpers/seaweed';
import { bucketUsage } from './bucket';
import { applyChange, type ChangeInfo, type DatasetInfo, type DatasetSpec } from './dataset';
import { EngineDirect, type EngineRun } from './engine';
import { type CachePolicy, fmtMiB, fmtS } from './measure';
import type { Compression } from '../src/engine/repo/blob-compression';
import { Restic, resticVersion, seaweedTarget, type ReferenceTool, type ResticBackup, type ResticRun } from './restic';
import { Rustic, rusticVersion } from './rustic';
import { compareTrees, describe, type TreeCheck } from './verify';
import type { WorkflowRig } from './workflow';

/**
 * The measured sequence. Every repetition has its own repositories (prefix "<tool>-<rep>"), for
 * every column: restic 0.18.1 with its defaults and with --compression off, the distribution's
 * restic and rustic when installed, lepton-dr encrypted with compression auto and plain
 * without compression, and (optionally) lepton-dr through workflows:
 *   full backup -> no-change re-run  (all tools, all reps, interleaved)
 *   apply the ~1% change
 *   1%-changed run                   (all tools, all reps)
 *   full restore of the latest snapshot into an empty folder, verified against the source
 * Each timed run starts from the same page-cache state (CachePolicy); within a repetition the
 * reference tools and lepton-dr take turns at going first (inTurn).
 */
export interface BucketInfo {
  rep: number;
  bucketBytes: number;
  bucketObjects: number;
  /** growth of the tool's prefix during this run */
  bucketDelta: number;
}

export interface WfBackup {
  wallMs: number;
  workerCpuS: number;
  load1: number;
  snapshotId: string;
  bytesRead: number;
  bytesNew: number;
  bytesUploaded: number;
  filesUnchanged: number;
}

export interface WfRestore {
  wallMs: number;
  workerCpuS: number;
  load1: number;
}

export interface ToolSamples<B, R> {
  full: (B & BucketInfo)[];
  noChange: (B & BucketInfo)[];
  changed: (B & BucketInfo)[];
  restore: (R & { rep: number; verify?: TreeCheck })[];
}

/** A reference tool's samples under its column label (e.g. "restic 0.14.0", "rustic 0.11.4"). */
export interface ReferenceSamples {
  label: string;
  samples: ToolSamples<ResticBackup, ResticRun>;
}

export interface SuiteResults {
  /** like for like, the headline: restic 0.18.1 with its defaults (encrypted, compression auto) */
  restic: ToolSamples<ResticBackup, ResticRun>;
  /** like for like: lepton-dr engine-direct, encrypted, compression auto */
  direct: ToolSamples<EngineRun, EngineRun>;
  /** the same configuration as `direct`, through Temporal */
  workflow?: ToolSamples<WfBackup, WfRestore> & { workerPeakRssKiB: number };
  /** each tool's fastest settings: restic --compression off (it always encrypts), lepton-dr plain and uncompressed */
  fastest: { restic: ToolSamples<ResticBackup, ResticRun>; direct: ToolSamples<EngineRun, EngineRun> };
  /** further columns with their defaults: the distribution's restic, rustic (when installed) */
  others: ReferenceSamples[];
  /** version line of every tool measured */
  tools: Record<string, string>;
  change: ChangeInfo;
}

export interface SuiteContext {
  seaweed: Seaweed;
  rig?: WorkflowRig;
  cache: CachePolicy;
  dataset: DatasetInfo;
  spec: DatasetSpec;
  tmp: string;
  repeat: number;
  packSizeMiB: number;
  profileDir?: string;
  log: (msg: string) => void;
  /** restic 0.18.1 (the reference), and the optional further columns */
  binaries: { restic: string; systemRestic?: string; rustic?: string };
}

const empty = <B, R>(): ToolSamples<B, R> => ({ full: [], noChange: [], changed: [], restore: [] });

interface RefRun {
  name: string;
  prefix: string;
  tool: ReferenceTool;
  samples: ToolSamples<ResticBackup, ResticRun>;
}

interface OursRun {
  name: string;
  prefix: string;
  engine: EngineDirect;
  samples: ToolSamples<EngineRun, EngineRun>;
}

export async function runSuite(c: SuiteContext): Promise<SuiteResults> {
  const sw = c.seaweed;
  const assets = c.dataset.root;
  const reps = Array.from({ length: c.repeat }, (_, i) => i);
  const target = (prefix: string) => seaweedTarget(sw, prefix, path.join(c.tmp, `${prefix}-cache`));
  const tools: Record<string, string> = {};
  const resticLabel = (bin: string) => {
    const v = resticVersion(bin);
    tools[bin] = v;
    return v.split(' compiled')[0];
  };
  const refLabel = resticLabel(c.binaries.restic);
  // per repetition: every tool and configuration on its own prefix
  const refs = reps.map((i) => {
    const list: RefRun[] = [
      { name: refLabel, prefix: `restic-${i}`, tool: new Restic(target(`restic-${i}`), c.binaries.restic, refLabel), samples: empty() },
      {
        name: `${refLabel} --compression off`,
        prefix: `restic-fast-${i}`,
        tool: new Restic(target(`restic-fast-${i}`), c.binaries.restic, refLabel, ['--compression', 'off']),
        samples: empty(),
      },
    ];
    if (c.binaries.systemRestic) {
      const label = resticLabel(c.binaries.systemRestic);
      list.push({
        name: label,
        prefix: `restic-system-${i}`,
        tool: new Restic(target(`restic-system-${i}`), c.binaries.systemRestic, label),
        samples: empty(),
      });
    }
    if (c.binaries.rustic) {
      const label = rusticVersion(c.binaries.rustic);
      tools[c.binaries.rustic] = label;
      list.push({ name: label, prefix: `rustic-${i}`, tool: new Rustic(target(`rustic-${i}`), c.binaries.rustic, label), samples: empty() });
    }
    return list;
  });
  const engine = (prefix: string, password: string | undefined, compression: Compression) =>
    new EngineDirect({
      endpoint: sw.endpoint,
      region: sw.region,
      bucket: sw.bucket,
      prefix,
      accessKeyId: sw.accessKeyId,
      secretAccessKey: sw.secretAccessKey,
      packSizeMiB: c.packSizeMiB,
      password,
      compression,
      asset: 'bench',
      workDir: path.join(c.tmp, prefix),
      nodeFlags: c.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${c.profileDir}`] : [],
    });
  const ours = reps.map((i): OursRun[] => [
    {
      name: 'engine-direct (encrypted, compression auto)',
      prefix: `direct-${i}`,
      engine: engine(`direct-${i}`, 'lepton-bench-password', 'auto'),
      samples: empty(),
    },
    { name: 'engine-direct (plain, compression off)', prefix: `direct-fast-${i}`, engine: engine(`direct-fast-${i}`, undefined, 'off'), samples: empty() },
  ]);
  for (const list of refs) for (const r of list) await r.tool.init();

  const W = c.rig ? empty<WfBackup, WfRestore>() : undefined;
  const last = new Map<string, number>();
  const bucket = async <T>(prefix: string, rep: number, r: T): Promise<T & BucketInfo> => {
    const u = await bucketUsage(sw, prefix);
    const delta = u.bytes - (last.get(prefix) ?? 0);
    last.set(prefix, u.bytes);
    return { ...r, rep, bucketBytes: u.bytes, bucketObjects: u.objects, bucketDelta: delta };
  };
  const tag = (rep: number) => (c.repeat > 1 ? ` #${rep + 1}` : '');

  const backups = async (key: 'full' | 'noChange' | 'changed') => {
    for (const i of reps) {
      const refSteps = async () => {
        for (const ref of refs[i]) {
          c.cache.prepare();
          const r = await bucket(ref.prefix, i, await ref.tool.backup(assets));
          ref.samples[key].push(r);
          c.log(
            `${ref.name} ${key}${tag(i)}: ${fmtS(r.wallMs)}, cpu ${r.cpuS?.toFixed(1)} s, RSS ${fmtMiB(r.maxRssKiB * 1024)}, data_added ${fmtMiB(r.dataAdded)}, bucket +${fmtMiB(r.bucketDelta)}`,
          );
        }
      };
      const ourSteps = async () => {
        for (const o of ours[i]) {
          c.cache.prepare();
          const d = await bucket(o.prefix, i, await o.engine.backup(assets));
          o.samples[key].push(d);
          c.log(
            `${o.name} ${key}${tag(i)}: ${fmtS(d.wallMs)} (start-up ${fmtS(d.loadMs)}, engine ${fmtS(d.engineMs)}), cpu ${d.cpuS?.toFixed(1)} s, RSS ${fmtMiB(d.procMaxRssKiB * 1024)}, put ${fmtMiB(d.bytesPut)} in ${d.objectsPut} objects, bucket +${fmtMiB(d.bucketDelta)}`,
          );
        }

        if (c.rig && W) {
          await c.rig.use(`workflow-${i}`);
          c.cache.prepare();
          const t = await c.rig.backup(assets, 'bench');
          const s = t.result;
          const w = await bucket(`workflow-${i}`, i, {
            wallMs: t.wallMs,
            workerCpuS: t.workerCpuS,
            load1: t.load1,
            snapshotId: s.id,
            bytesRead: s.bytesRead,
            bytesNew: s.bytesNew,
            bytesUploaded: s.bytesUploaded,
            filesUnchanged: s.filesUnchanged,
          });
          W[key].push(w);
          c.log(
            `workflow ${key}${tag(i)}: ${fmtS(w.wallMs)}, worker cpu ${w.workerCpuS.toFixed(1)} s, uploaded ${fmtMiB(w.bytesUploaded)}, bucket +${fmtMiB(w.bucketDelta)}`,
          );
        }
      };
      await inTurn(i, refSteps, ourSteps);
    }
  };

  await backups('full');
  await backups('noChange');
  const change = applyChange(c.dataset, c.spec);
  c.log(
    `changed ${fmtMiB(change.changedBytes)} (${(change.changedFraction * 100).toFixed(2)}%): ${fmtMiB(change.checkpoint.length)} inside ${change.checkpoint.file}, ${change.rewrittenFiles} small files rewritten, ${change.touchedFiles} touched`,
  );
  await backups('changed');

  c.log('describing the source for restore verification');
  const expected = describe(assets);
  const verdict = (v: TreeCheck) => (v.identical ? 'identical' : `NOT identical (${v.differences.slice(0, 3).join('; ')})`);
  // Every restore gets a folder of its own, all removed after the last: on ext4 (above all without
  // a journal) creating files soon after many were deleted costs more kernel time (it skips the
  // inodes of recently deleted files one by one), so removing each target before the next restore
  // made every later tool pay for the earlier ones' deletions.
  const targets: string[] = [];
  const freshTarget = () => {
    const t = path.join(c.tmp, `restore-${targets.length}`);
    targets.push(t);
    return t;
  };
  for (const i of reps) {
    const refSteps = async () => {
      for (const ref of refs[i]) {
        const target = freshTarget();
        c.cache.prepare();
        const r = await ref.tool.restore(target);
        // restic recreates the absolute source path inside the target; checking one rep is enough
        const rv = i === 0 ? compareTrees(expected, ref.tool.nestsSourcePath ? path.join(target, assets) : target) : undefined;
        ref.samples.restore.push({ ...r, rep: i, ...(rv ? { verify: rv } : {}) });
        c.log(`${ref.name} restore${tag(i)}: ${fmtS(r.wallMs)}, cpu ${r.cpuS?.toFixed(1)} s, RSS ${fmtMiB(r.maxRssKiB * 1024)}${rv ? `, ${verdict(rv)}` : ''}`);
      }
    };
    const ourSteps = async () => {
      for (const o of ours[i]) {
        const target = freshTarget();
        c.cache.prepare();
        const d = await o.engine.restore(target);
        const dv = compareTrees(expected, target);
        o.samples.restore.push({ ...d, rep: i, verify: dv });
        c.log(
          `${o.name} restore${tag(i)}: ${fmtS(d.wallMs)} (start-up ${fmtS(d.loadMs)}, engine ${fmtS(d.engineMs)}), cpu ${d.cpuS?.toFixed(1)} s, RSS ${fmtMiB(d.procMaxRssKiB * 1024)}, got ${fmtMiB(d.bytesGot)}, ${verdict(dv)}`,
        );
      }

      if (c.rig && W) {
        await c.rig.use(`workflow-${i}`);
        const target = freshTarget();
        c.cache.prepare();
        const t = await c.rig.restore(target, 'bench');
        const wv = compareTrees(expected, target);
        W.restore.push({ wallMs: t.wallMs, workerCpuS: t.workerCpuS, load1: t.load1, rep: i, verify: wv });
        c.log(`workflow restore${tag(i)}: ${fmtS(t.wallMs)}, worker cpu ${t.workerCpuS.toFixed(1)} s, ${verdict(wv)}`);
      }
    };
    await inTurn(i, refSteps, ourSteps);
  }
  for (const t of targets) fs.rmSync(t, { recursive: true, force: true });
  // merge the repetitions of each column
  const mergeRef = (k: number) => merge(refs.map((l) => l[k].samples));
  const mergeOurs = (k: number) => merge(ours.map((l) => l[k].samples));
  return {
    restic: mergeRef(0),
    direct: mergeOurs(0),
    ...(W && c.rig ? { workflow: { ...W, workerPeakRssKiB: c.rig.workerPeakRssKiB() } } : {}),
    fastest: { restic: mergeRef(1), direct: mergeOurs(1) },
    others: refs[0].slice(2).map((r, k) => ({ label: r.name, samples: mergeRef(k + 2) })),
    tools,
    change,
  };
}

/**
 * The reference tools first in even repetitions, lepton-dr first in odd ones: a run's place in
 * the sequence changes what it pays for (file-system state left by the runs before it, SeaweedFS
 * volumes filling), and a fixed order charged all of that to whichever side came second.
 */
async function inTurn(rep: number, refs: () => Promise<void>, ours: () => Promise<void>): Promise<void> {
  for (const step of rep % 2 === 0 ? [refs, ours] : [ours, refs]) await step();
}

function merge<B, R>(xs: ToolSamples<B, R>[]): ToolSamples<B, R> {
  return {
    full: xs.flatMap((x) => x.full),
    noChange: xs.flatMap((x) => x.noChange),
    changed: xs.flatMap((x) => x.changed),
    restore: xs.flatMap((x) => x.restore),
  };
}
