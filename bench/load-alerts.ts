import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { spawnServer, type ServerProcess } from '../test/helpers/child';
import type { Seaweed } from '../test/helpers/seaweed';
import type { TemporalDev } from '../test/helpers/temporal';
import { freePort } from '../src/stack/ports';
import { predictionWorkflowId } from '../src/contracts/prediction-inputs';
import { predictionStatusQuery, type PredictionStatus } from '../src/contracts/prediction-messages';
import { percentile } from './measure';
import { workerLaunch } from '../src/stack/worker-process';
import { WORKER_MAIN, workerEnv, workerStarted, writeBenchPlan } from './workflow';

/**
 * Alertmanager notifications to the bridge at a fixed rate (open loop: each delivery is sent at
 * its time whatever the earlier ones are doing, at most `maxInFlight` outstanding), loopback only,
 * with the bridge's bearer token. The bridge (a `lepton-dr bridge` process) turns each one into
 * an `alert` signal to the site's prediction loop. Every `repeatEvery`-th delivery repeats the
 * previous one exactly, as Alertmanager does when it re-notifies: the loop must count it as a
 * duplicate. At the end the loop's own counters must account for every delivery.
 */
export interface WorkflowTaskStats {
  completed: number;
  failed: number;
  timedOut: number;
  signals: number;
  /** started to completed */
  durationMs: { p50: number; p99: number; max: number };
  historyEvents: number;
  historyBytes: number;
}

/** From one run's history: its workflow tasks (started -> completed) and signals. */
export async function workflowTaskStats(handle: WorkflowHandle): Promise<WorkflowTaskStats> {
  const evs = (await handle.fetchHistory()).events ?? [];
  const startedAt = new Map<string, number>();
  const durations: number[] = [];
  let failed = 0;
  let timedOut = 0;
  let signals = 0;
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? Number(t.seconds) * 1000 + (t.nanos ?? 0) / 1e6 : NaN);
  for (const e of evs) {
    if (e.workflowTaskStartedEventAttributes) startedAt.set(String(e.eventId), ms(e.eventTime));
    const done = e.workflowTaskCompletedEventAttributes;
    if (done) durations.push(ms(e.eventTime) - (startedAt.get(String(done.startedEventId)) ?? NaN));
    if (e.workflowTaskFailedEventAttributes) failed++;
    if (e.workflowTaskTimedOutEventAttributes) timedOut++;
    if (e.workflowExecutionSignaledEventAttributes) signals++;
  }
  const d = await handle.describe();
  return {
    completed: durations.length,
    failed,
    timedOut,
    signals,
    durationMs: { p50: percentile(durations, 50), p99: percentile(durations, 99), max: Math.max(...durations.filter(Number.isFinite)) },
    historyEvents: evs.length,
    historyBytes: d.raw.workflowExecutionInfo?.historySizeBytes ? Number(d.raw.workflowExecutionInfo.historySizeBytes) : NaN,
  };
}

export interface AlertLoadRun {
  ratePerS: number;
  seconds: number;
  sent: number;
  /** deliveries not sent because maxInFlight were outstanding (the bridge fell behind) */
  notSent: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  /** deliveries answered / (first send to last answer) */
  achievedPerS: number;
  /** send to response (the bridge answers after the signal is accepted by Temporal) */
  latencyMs: { p50: number; p99: number; max: number };
  repeats: number;
  /** answered repeats whose original was answered too: what the loop must count as duplicates */
  expectedDuplicates: number;
  /** the loop's alertStats once it has them all (or at the deadline); null: it did not answer the status query */
  loop: { received: number; duplicates: number; runs: number; iteration: number } | null;
  loopError?: string;
  /** workflow tasks of the loop's latest run: how long the worker took on them, how many failed or timed out */
  tasks: WorkflowTaskStats;
  /** last answer to the loop holding every alert */
  drainMs: number;
  allReceived: boolean;
}

interface Ctx {
  seaweed: Seaweed;
  temporal: TemporalDev;
  client: Client;
  dir: string;
  bundle: string;
  packSizeMiB: number;
  ratePerS: number;
  seconds: number;
  repeatEvery?: number;
  maxInFlight?: number;
  log: (msg: string) => void;
}

const CLI_MAIN = path.join(WORKER_MAIN, '..', 'cli.js');
const SITE = 'load';

/** An Alertmanager webhook body (payload version 4) with one alert for the site. */
function notification(i: number, startsAt: string): string {
  const labels = { alertname: 'LoadTest', dr_site: SITE, severity: 'info', dr_risk: '0.1', instance: `node-${i % 50}` };
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="LoadTest", instance="node-${i % 50}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'lepton-dr',
    groupLabels: { alertname: 'LoadTest' },
    commonLabels: labels,
    commonAnnotations: { summary: `load test alert ${i}` },
    externalURL: 'http://127.0.0.1:9093',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: { summary: `load test alert ${i}` },
        startsAt,
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://127.0.0.1:9090/graph',
        fingerprint: `load${String(i).padStart(8, '0')}`,
      },
    ],
  });
}

function post(url: URL, body: string, token: string, agent: http.Agent): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
        res.on('error', (e) => resolve({ error: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ error: `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}` }));
    req.end(body);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export async function runAlertLoad(c: Ctx): Promise<AlertLoadRun> {
  const repeatEvery = c.repeatEvery ?? 10;
  const maxInFlight = c.maxInFlight ?? 500;
  const taskQueue = `lepton-load-${process.pid}-alerts`;
  const prediction = { interval: '30s', step: '1s', lag: 0, sinks: { log: true } };
  const planFile = writeBenchPlan({
    seaweed: c.seaweed,
    temporal: c.temporal,
    dir: c.dir,
    prefix: 'load-alerts',
    taskQueue,
    packSizeMiB: c.packSizeMiB,
    sites: [{ name: SITE, prediction }],
  });
  const token = randomBytes(24).toString('hex');
  const procs: ServerProcess[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  try {
    const wlog = path.join(c.dir, 'worker-load-alerts.log');
    fs.writeFileSync(wlog, '');
    const launch = workerLaunch(WORKER_MAIN, planFile, { ...workerEnv(c.seaweed, planFile, c.bundle), LEPTON_DR_LOG_LEVEL: 'info' });
    const worker = spawnServer(process.execPath, launch.args, { logFile: wlog, env: launch.env });
    procs.push(worker);
    await workerStarted(worker);
    const port = await freePort();
    const bridge = spawnServer(process.execPath, [CLI_MAIN, '--plan', planFile, 'bridge', '--port', String(port)], {
      logFile: path.join(c.dir, 'bridge.log'),
      env: { ...workerEnv(c.seaweed, planFile), LEPTON_DR_BRIDGE_TOKEN: token, LEPTON_DR_LOG_LEVEL: 'warn' },
    });
    procs.push(bridge);
    const base = `http://127.0.0.1:${port}`;
    await until('the bridge', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 30_000);

    // the loop runs before the load (a site's loop runs for months); the deliveries only signal it
    const loop = c.client.workflow.getHandle(predictionWorkflowId(SITE));
    await c.client.workflow.start('predictionWorkflow', { taskQueue, workflowId: loop.workflowId, args: [{ site: SITE }] });
    await until('the loop to run its first iteration', async () => ((await loop.query(predictionStatusQuery)).iteration >= 1 ? true : undefined), 60_000);
    c.log(`load: bridge ${base}, loop ${loop.workflowId} running; ${c.ratePerS} deliveries/s for ${c.seconds} s`);

    const url = new URL(`${base}/webhook/alertmanager`);
    const total = Math.round(c.ratePerS * c.seconds);
    const startsAt = new Date().toISOString();
    const latencies: number[] = [];
    const errorSamples: string[] = [];
    let inFlight = 0;
    let sent = 0;
    let notSent = 0;
    let ok = 0;
    let errors = 0;
    let repeats = 0;
    /** alert number -> deliveries of it answered 200 */
    const answered = new Map<number, number>();
    let lastAnswer = 0;
    const pending: Promise<void>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / c.ratePerS;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      if (inFlight >= maxInFlight) {
        notSent++;
        continue;
      }
      const repeat = i % repeatEvery === repeatEvery - 1;
      const alertNo = repeat ? i - 1 : i;
      const body = notification(alertNo, startsAt);
      if (repeat) repeats++;
      inFlight++;
      sent++;
      const s = performance.now();
      pending.push(
        post(url, body, token, agent).then((r) => {
          inFlight--;
          lastAnswer = performance.now();
          if (r.status === 200) {
            ok++;
            answered.set(alertNo, (answered.get(alertNo) ?? 0) + 1);
            latencies.push(lastAnswer - s);
          } else {
            errors++;
            if (errorSamples.length < 5) errorSamples.push(r.error ?? `HTTP ${r.status}`);
          }
        }),
      );
    }
    await Promise.all(pending);
    const spanMs = lastAnswer - t0;
    const expectedDuplicates = [...answered.values()].reduce((n, k) => n + k - 1, 0);

    // every answered delivery is one alert in the loop (a repeat counts as received and duplicate)
    let status: PredictionStatus | null = null;
    let loopError: string | undefined;
    let allReceived = true;
    try {
      status = await until(
        'the loop to hold every delivery',
        async () => {
          const st = await loop.query(predictionStatusQuery);
          return st.alertStats.received >= ok ? st : undefined;
        },
        120_000,
      );
    } catch (e) {
      allReceived = false;
      loopError = (e as Error).message;
      status = await loop.query(predictionStatusQuery).catch((q: Error) => {
        loopError += `; status query: ${q.message}`;
        return null;
      });
    }
    const drainMs = performance.now() - lastAnswer;
    const tasks = await workflowTaskStats(loop);
    await loop.terminate('load bench done');
    return {
      ratePerS: c.ratePerS,
      seconds: c.seconds,
      sent,
      notSent,
      ok,
      errors,
      errorSamples,
      achievedPerS: ok / (spanMs / 1000),
      latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) },
      repeats,
      expectedDuplicates,
      loop: status ? { received: status.alertStats.received, duplicates: status.alertStats.duplicates, runs: status.runs, iteration: status.iteration } : null,
      ...(loopError ? { loopError } : {}),
      tasks,
      drainMs,
      allReceived: allReceived && status?.alertStats.received === ok,
    };
  } finally {
    agent.destroy();
    for (const p of procs.reverse()) await p.stop(5000);
  }
}
