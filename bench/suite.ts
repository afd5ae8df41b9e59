import fs from 'node:fs';
import path from 'node:path';
import type { Seaweed } from '../test/helpers/seaweed';
import { bucketUsage } from './bucket';
import { applyChange, type ChangeInfo, type DatasetInfo, type DatasetSpec } from './dataset';
import { EngineDirect, type EngineRun } from './engine';
import { type CachePolicy, fmtMiB, fmtS } from './measure';
import { Restic, type ResticBackup, type ResticRun } from './restic';
import { compareTrees, describe, type TreeCheck } from './verify';
import type { WorkflowRig } from './workflow';

/**
 * The measured sequence. Every repetition has its own repositories (prefix "<tool>-<rep>"):
 *   full backup -> no-change re-run  (all tools, all reps, interleaved)
 *   apply the ~1% change
 *   1%-changed run                   (all tools, all reps)
 *   full restore of the latest snapshot into an empty folder, verified against the source
 * Each timed run starts from the same page-cache state (CachePolicy).
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

export interface SuiteResults {
  restic: ToolSamples<ResticBackup, ResticRun>;
  direct: ToolSamples<EngineRun, EngineRun>;
  workflow?: ToolSamples<WfBackup, WfRestore> & { workerPeakRssKiB: number };
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
}

const empty = <B, R>(): ToolSamples<B, R> => ({ full: [], noChange: [], changed: [], restore: [] });

export async function runSuite(c: SuiteContext): Promise<SuiteResults> {
  const sw = c.seaweed;
  const assets = c.dataset.root;
  const reps = Array.from({ length: c.repeat }, (_, i) => i);
  const restics = reps.map(
    (i) => new Restic({ endpoint: sw.endpoint, bucket: sw.bucket, prefix: `restic-${i}`, accessKeyId: sw.accessKeyId, secretAccessKey: sw.secretAccessKey, region: sw.region, cacheDir: path.join(c.tmp, `restic-cache-${i}`) }),
  );
  const directs = reps.map(
    (i) =>
      new EngineDirect({
        endpoint: sw.endpoint,
        region: sw.region,
        bucket: sw.bucket,
        prefix: `direct-${i}`,
        accessKeyId: sw.accessKeyId,
        secretAccessKey: sw.secretAccessKey,
        packSizeMiB: c.packSizeMiB,
        asset: 'bench',
        workDir: path.join(c.tmp, `direct-${i}`),
        nodeFlags: c.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${c.profileDir}`] : [],
      }),
  );
  for (const r of restics) await r.init();

  const R = empty<ResticBackup, ResticRun>();
  const D = empty<EngineRun, EngineRun>();
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
      c.cache.prepare();
      const r = await bucket(`restic-${i}`, i, await restics[i].backup(assets));
      R[key].push(r);
      c.log(`restic ${key}${tag(i)}: ${fmtS(r.wallMs)}, cpu ${r.cpuS?.toFixed(1)} s, RSS ${fmtMiB(r.maxRssKiB * 1024)}, data_added ${fmtMiB(r.dataAdded)}, bucket +${fmtMiB(r.bucketDelta)}`);

      c.cache.prepare();
      const d = await bucket(`direct-${i}`, i, await directs[i].backup(assets));
      D[key].push(d);
      c.log(`engine-direct ${key}${tag(i)}: ${fmtS(d.wallMs)} (engine ${fmtS(d.engineMs)}), cpu ${d.cpuS?.toFixed(1)} s, RSS ${fmtMiB(d.procMaxRssKiB * 1024)}, put ${fmtMiB(d.bytesPut)} in ${d.objectsPut} objects, bucket +${fmtMiB(d.bucketDelta)}`);

      if (c.rig && W) {
        await c.rig.use(`workflow-${i}`);
        c.cache.prepare();
        const t = await c.rig.backup(assets, 'bench');
        const s = t.result;
        const w = await bucket(`workflow-${i}`, i, { wallMs: t.wallMs, workerCpuS: t.workerCpuS, load1: t.load1, snapshotId: s.id, bytesRead: s.bytesRead, bytesNew: s.bytesNew, bytesUploaded: s.bytesUploaded, filesUnchanged: s.filesUnchanged });
        W[key].push(w);
        c.log(`workflow ${key}${tag(i)}: ${fmtS(w.wallMs)}, worker cpu ${w.workerCpuS.toFixed(1)} s, uploaded ${fmtMiB(w.bytesUploaded)}, bucket +${fmtMiB(w.bucketDelta)}`);
      }
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
  for (const i of reps) {
    const target = path.join(c.tmp, `restore-${i}`);
    c.cache.prepare();
    const r = await restics[i].restore(target);
    // restic recreates the absolute source path inside the target; checking one rep is enough
    const rv = i === 0 ? compareTrees(expected, path.join(target, assets)) : undefined;
    R.restore.push({ ...r, rep: i, ...(rv ? { verify: rv } : {}) });
    fs.rmSync(target, { recursive: true, force: true });
    c.log(`restic restore${tag(i)}: ${fmtS(r.wallMs)}, cpu ${r.cpuS?.toFixed(1)} s, RSS ${fmtMiB(r.maxRssKiB * 1024)}${rv ? `, ${verdict(rv)}` : ''}`);

    c.cache.prepare();
    const d = await directs[i].restore(target);
    const dv = compareTrees(expected, target);
    D.restore.push({ ...d, rep: i, verify: dv });
    fs.rmSync(target, { recursive: true, force: true });
    c.log(`engine-direct restore${tag(i)}: ${fmtS(d.wallMs)} (engine ${fmtS(d.engineMs)}), cpu ${d.cpuS?.toFixed(1)} s, RSS ${fmtMiB(d.procMaxRssKiB * 1024)}, got ${fmtMiB(d.bytesGot)}, ${verdict(dv)}`);

    if (c.rig && W) {
      await c.rig.use(`workflow-${i}`);
      c.cache.prepare();
      const t = await c.rig.restore(target, 'bench');
      const wv = compareTrees(expected, target);
      W.restore.push({ wallMs: t.wallMs, workerCpuS: t.workerCpuS, load1: t.load1, rep: i, verify: wv });
      fs.rmSync(target, { recursive: true, force: true });
      c.log(`workflow restore${tag(i)}: ${fmtS(t.wallMs)}, worker cpu ${t.workerCpuS.toFixed(1)} s, ${verdict(wv)}`);
    }
  }
  return { restic: R, direct: D, ...(W && c.rig ? { workflow: { ...W, workerPeakRssKiB: c.rig.workerPeakRssKiB() } } : {}), change };
}
