import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { DEFAULT_REPACK_BELOW } from '../src/config/plan-schema';
import { prune } from '../src/engine/maintenance/prune';
import { snapshotKey } from '../src/engine/repo/layout';
import { selectKept } from '../src/engine/retention';
import type { BackupResult, RestoreResult } from '../src/contracts/types';
import { failureText } from '../test/helpers/failure-text';
import type { Cluster } from './cluster';
import type { PruneClock } from './prune-clock';
import type { Ledger } from './ledger';
import type { Rng } from './rng';
import { openDirect } from './repo-access';
import type { PruneStep, Scenario } from './scenario';
import type { Source } from './sources';
import { failOrphanedShortSteps, historyTrouble, pickBatchOnlyWorker, resultOf, runningActivities, startWorkflow, type RunningActivity } from './temporal-ops';
import { compareTreeState, readTreeState } from './tree-state';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RunContext {
  cluster: Cluster;
  ledger: Ledger;
  sources: Map<string, Source>;
  clock: PruneClock;
  workDir: string;
  seed: number;
  /** a workflow not done after this long is reported stuck and terminated */
  runBudgetMs: number;
  log: (line: string) => void;
  /** seeded delays for the harness's prune reads */
  pruneLatency: Rng;
}

/** Snapshots restores of this scenario are reading: forgets by the harness leave them alone. */
const pinned = new Set<string>();

/**
 * Run one scenario: source edits first, then every action at its delay, all at once; returns
 * once every run has ended. Failures of runs are findings (not exceptions); the checker decides
 * whether data was lost.
 */
export async function runScenario(ctx: RunContext, s: Scenario): Promise<void> {
  for (const e of s.edits)
    ctx.log(
      `  edit ${e.asset}: ${ctx.sources
        .get(e.asset)
        ?.mutate(e.edits, e.revert ? 'revertLarge' : undefined)
        .join(', ')}`,
    );
  const handles: WorkflowHandle[] = [];
  const tag = `s${ctx.seed}-${s.index}`;
  const restoreSnapshots = ctx.ledger.live();
  const restoreOf = (r: Scenario['restores'][number], i: number, from = restoreSnapshots) =>
    from.length ? restore(ctx, s.index, from[r.pick % from.length][0], r.killBatchWorker, `chaos-${tag}-r${i}`, handles) : Promise.resolve();
  try {
    await Promise.all([
      ...s.backups.map((b, i) => later(b.delayMs, () => backup(ctx, s.index, b.asset, `chaos-${tag}-b${i}`, handles))),
      ...s.prunes.map((p) => later(p.delayMs, () => prunePass(ctx, s.index, p))),
      ...s.pruneWorkflows.map((p, i) => later(p.delayMs, () => pruneRun(ctx, s.index, p.graceHours, `chaos-${tag}-p${i}`, handles))),
      ...s.restores.map((r, i) => (r.killBatchWorker ? Promise.resolve() : later(r.delayMs, () => restoreOf(r, i)))),
      ...s.kills.map((k) => later(k.delayMs, async () => void (await killBatchWorker(ctx, handles, 'all', 'backupBatch', 8000)))),
      ...(s.serverRestart ? [later(s.serverRestart.delayMs, () => restartServer(ctx, s.serverRestart?.downMs ?? 1000))] : []),
    ]);
    // then the restores whose batch worker gets killed, alone, with slow pack reads: the batch
    // is caught half done (a resume cursor past 0) and finished by a new attempt on the other worker
    ctx.cluster.proxy.setSlowReads(0.3);
    for (const [i, r] of s.restores.entries()) if (r.killBatchWorker) await restoreOf(r, i, ctx.ledger.live());
  } finally {
    ctx.cluster.proxy.setSlowReads(0);
    pinned.clear();
  }
}

async function later(ms: number, fn: () => Promise<void>): Promise<void> {
  await sleep(ms);
  await fn();
}

async function backup(ctx: RunContext, scenario: number, asset: string, workflowId: string, handles: WorkflowHandle[]): Promise<void> {
  const source = ctx.sources.get(asset);
  if (!source) throw new Error(`no source for asset ${asset}`);
  // sources change only between scenarios, so this is exactly what the backup reads
  const state = readTreeState(source.root);
  ctx.ledger.counters.backupsStarted++;
  const t0 = Date.now();
  const h = await startWorkflow(ctx.cluster.client, 'backupWorkflow', workflowId, ctx.cluster.taskQueue, { asset });
  handles.push(h);
  try {
    const r = await resultOf<BackupResult>(h, ctx.runBudgetMs);
    ctx.ledger.counters.backupsOk++;
    ctx.ledger.committed(r.id, { asset, scenario, workflowId, state });
    ctx.log(`  ${workflowId}: snapshot ${r.id.slice(0, 12)} (${r.files} files, uploaded ${r.bytesUploaded} B)`);
    if (Date.now() - t0 > 60_000)
      ctx.log(`  ${workflowId} took ${Math.round((Date.now() - t0) / 1000)} s: ${(await historyTrouble(h)).join('; ') || 'no activity timed out or failed'}`);
  } catch (e) {
    await ended(ctx, scenario, h, 'backup-failed', e);
  }
}

/** A run that failed or is still running past its budget (then terminated and reported stuck). */
async function ended(
  ctx: RunContext,
  scenario: number,
  h: WorkflowHandle,
  kind: 'backup-failed' | 'restore-failed' | 'prune-failed',
  e: unknown,
): Promise<void> {
  const running = await h.describe().then(
    (d) => d.status.name === 'RUNNING',
    () => false,
  );
  if (running) {
    await h.terminate('chaos: over its time budget').catch(() => undefined);
    ctx.ledger.find(scenario, 'stuck', `${h.workflowId} still running after ${ctx.runBudgetMs} ms (terminated)`);
  } else {
    ctx.ledger.find(scenario, kind, `${h.workflowId}: ${failureText(e).split('\n')[0].slice(0, 300)}`);
  }
  ctx.log(`  ${h.workflowId}: ${running ? 'STUCK' : 'failed'}: ${failureText(e).split('\n')[0].slice(0, 200)}`);
}

async function prunePass(ctx: RunContext, scenario: number, p: PruneStep): Promise<void> {
  await ctx.clock.advance(p.advanceMs);
  try {
    // prune reads through a store with seeded latency, like a prune of a big repository: its
    // list -> read trees -> list tmp/ sequence takes long enough for backups to commit within it
    const repo = await openDirect(ctx.cluster.seaweed, ctx.cluster.keyFile, ctx.pruneLatency);
    if (p.forget) {
      const { forget } = selectKept(await repo.listSnapshots({ asset: p.forget.asset }), { keepLast: p.forget.keepLast });
      const ids = forget.map((f) => f.id).filter((id) => !pinned.has(id));
      for (const id of ids) await repo.store.delete(snapshotKey(id));
      ctx.ledger.forget(ids);
    }
    // with the plan's default repack, so repacking also races the backups
    const r = await prune(repo, { graceMs: p.graceMs, minGraceMs: 0, now: ctx.clock.now(), repackBelow: DEFAULT_REPACK_BELOW });
    ctx.ledger.counters.prunes++;
    ctx.ledger.counters.packsDeleted += r.deleted.length;
    ctx.log(
      `  prune (after waiting up to ${p.advanceMs} ms, grace ${p.graceMs} ms${p.forget ? `, forget ${p.forget.asset} keepLast ${p.forget.keepLast}` : ''}): marked ${r.marked.length}, unmarked ${r.unmarked.length}, deleted ${r.deleted.length}, repacked ${r.repacked.length}`,
    );
  } catch (e) {
    if (/no repository key/.test(String(e)) || /no repository at/.test(String(e))) return;
    ctx.ledger.find(scenario, 'prune-failed', `in-process prune: ${failureText(e).split('\n')[0].slice(0, 300)}`);
    ctx.log(`  prune failed: ${failureText(e).split('\n')[0]}`);
  }
}

interface PruneResult {
  forgotten: { asset: string; forgotten: string[] }[];
  prune: { marked: number; deleted: number };
}

async function pruneRun(ctx: RunContext, scenario: number, graceHours: number, workflowId: string, handles: WorkflowHandle[]): Promise<void> {
  const h = await startWorkflow(ctx.cluster.client, 'pruneWorkflow', workflowId, ctx.cluster.taskQueue, { graceHours, forget: true });
  handles.push(h);
  try {
    const r = await resultOf<PruneResult>(h, ctx.runBudgetMs);
    ctx.ledger.forget(r.forgotten.flatMap((f) => f.forgotten));
    ctx.ledger.counters.prunes++;
    ctx.ledger.counters.packsDeleted += r.prune.deleted;
    ctx.log(
      `  ${workflowId} (graceHours ${graceHours}): forgot ${r.forgotten.flatMap((f) => f.forgotten).length}, marked ${r.prune.marked}, deleted ${r.prune.deleted}`,
    );
  } catch (e) {
    // the forget step may have run before the failure: learn what it forgot from the history
    ctx.ledger.forget(await forgottenFromHistory(h));
    await ended(ctx, scenario, h, 'prune-failed', e);
  }
}

async function forgottenFromHistory(h: WorkflowHandle): Promise<string[]> {
  try {
    const hist = await h.fetchHistory();
    const ids: string[] = [];
    for (const e of hist.events ?? []) {
      for (const p of e.activityTaskCompletedEventAttributes?.result?.payloads ?? []) {
        const v = JSON.parse(Buffer.from(p.data ?? []).toString('utf8')) as unknown;
        if (Array.isArray(v)) for (const a of v as { forgotten?: unknown }[]) if (Array.isArray(a?.forgotten)) ids.push(...(a.forgotten as string[]));
      }
    }
    return ids;
  } catch {
    return [];
  }
}

async function restore(ctx: RunContext, scenario: number, snapshotId: string, kill: boolean, workflowId: string, handles: WorkflowHandle[]): Promise<void> {
  const exp = ctx.ledger.expected.get(snapshotId);
  if (!exp) return;
  pinned.add(snapshotId);
  const target = path.join(ctx.workDir, 'restores', workflowId);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  ctx.ledger.counters.restoresByWorkflow++;
  const h = await startWorkflow(ctx.cluster.client, 'restoreWorkflow', workflowId, ctx.cluster.taskQueue, { snapshot: snapshotId, target });
  handles.push(h);
  let killed = false;
  const killer = kill ? killBatchWorker(ctx, handles, [h], 'restoreBatch', 20_000).then((k) => void (killed = k)) : Promise.resolve();
  try {
    const r = await resultOf<RestoreResult>(h, ctx.runBudgetMs);
    await killer;
    ctx.ledger.counters.restoresByWorkflowOk++;
    if (killed) {
      ctx.ledger.counters.restoreBatchKills++;
      if (await resumedElsewhere(h)) ctx.ledger.counters.restoresResumed++;
    }
    const { diffs, mtimeDrift } = compareTreeState(exp.state, readTreeState(target));
    ctx.ledger.mtimeDrift += mtimeDrift;
    if (diffs.length)
      ctx.ledger.find(
        scenario,
        'bad-restore-reported-ok',
        `${workflowId} of snapshot ${snapshotId.slice(0, 12)} reported "${r.summary}" but: ${diffs.join('; ')}`,
      );
    ctx.log(`  ${workflowId}: restored ${snapshotId.slice(0, 12)}${diffs.length ? ` WRONG CONTENT (${diffs.length} diffs)` : ', identical'}`);
  } catch (e) {
    if (!ctx.ledger.forgotten.has(snapshotId)) await ended(ctx, scenario, h, 'restore-failed', e);
    else ctx.log(`  ${workflowId}: failed, its snapshot ${snapshotId.slice(0, 12)} was forgotten meanwhile (not a finding)`);
  } finally {
    await killer;
    fs.rmSync(target, { recursive: true, force: true });
  }
}

/** Did a restore batch finish on a later attempt than the one that was killed (so: in another worker process)? */
async function resumedElsewhere(h: WorkflowHandle): Promise<boolean> {
  try {
    const events = (await h.fetchHistory()).events ?? [];
    const batchIds = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'restoreBatch').map((e) => String(e.eventId)));
    return events.some(
      (e) => batchIds.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)) && (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1,
    );
  } catch {
    return false;
  }
}

/** Wait (up to waitMs) until a worker runs only batch activities of these runs, then kill -9 it. */
async function killBatchWorker(
  ctx: RunContext,
  handles: WorkflowHandle[],
  targets: WorkflowHandle[] | 'all',
  batchType: string,
  waitMs: number,
): Promise<boolean> {
  const started = Date.now();
  const deadline = started + waitMs;
  const seen = new Set<string>();
  while (Date.now() < deadline) {
    const pids = ctx.cluster.workerPids();
    const { acts, open } = await runningActivities(handles);
    if (open === 0 && Date.now() > started + 3000) break;
    acts.forEach((a) => seen.add(`${a.type}@${a.pid}`));
    const ids = new Set((targets === 'all' ? handles : targets).map((h) => h.workflowId));
    // a restore batch is killed once it has written something (a resume cursor past 0)
    const ready = (a: RunningActivity) => batchType !== 'restoreBatch' || Number(a.progress?.filesDone ?? 0) > 0;
    const pid = pickBatchOnlyWorker(acts, ids, batchType, pids, ready);
    if (pid !== undefined) {
      const slot = pids.indexOf(pid);
      const what = acts
        .filter((a) => a.pid === pid)
        .map((a) => a.type)
        .join(', ');
      if (!(await ctx.cluster.killWorker(pid))) return false;
      ctx.log(`  kill -9 worker ${slot} (pid ${pid}) while it runs ${what}`);
      // a short step may have been handed to it between the look and the kill
      await sleep(500);
      const failed = await failOrphanedShortSteps(ctx.cluster.client, handles, pid);
      if (failed.length) ctx.log(`  failed the killed worker's short steps so they retry now: ${failed.join(', ')}`);
      return true;
    }
    await sleep(50);
  }
  ctx.log(`  no worker ran only ${batchType} activities while its runs were open (seen: ${[...seen].join(' ') || 'nothing'}): no kill`);
  return false;
}

async function restartServer(ctx: RunContext, downMs: number): Promise<void> {
  ctx.log(`  restarting the Temporal server (down ${downMs} ms)`);
  await ctx.cluster.restartServer(downMs);
  ctx.log('  Temporal server back');
}
