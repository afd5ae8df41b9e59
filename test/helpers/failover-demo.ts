import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { renderUpstream, SIDE_PATH, UPSTREAM_TEMPLATE } from '../../src/demo/nginx';
import type { FailoverReport } from '../../src/common/failover-report';
import { triggerFailback, triggerFailover } from '../../src/cli/failover-trigger';
import type { FailbackInput, FailoverInput } from '../../src/contracts/failover-inputs';
import { failureText } from './failure-text';
import { startModelServerProcess, writeLinearModel, type ModelServerProcess } from './model-server';
import { startTestNginx, type TestNginx } from './nginx';
import type { TestStack } from './stack';
import { writeRandomFile } from './tree-fixture';

/**
 * The demo site of the failover tests: a primary and a standby model server (real processes),
 * a real nginx in front of them with the file+reload switcher, asset "model" backed up from the
 * primary's folder. Models: v0 = the standby's stale model, v1 = the snapshot, v2 = what the
 * primary serves after the snapshot (so a traffic check tells the sides apart).
 */
export interface DemoSite {
  name: string;
  dir: string;
  primary: ModelServerProcess;
  standby: ModelServerProcess;
  nginx: TestNginx;
  primaryDir: string;
  standbyDir: string;
  drillDir: string;
  sha: { v0: string; v1: string; v2: string };
  snapshotId: string;
  /** The site entry as written into the plan. */
  config(overrides?: Record<string, unknown>): Record<string, unknown>;
  stop(): Promise<void>;
}

export interface DemoOptions {
  name?: string;
  /** Extra bytes in the model folder (makes the restore take time); default 256 KiB. */
  weightsBytes?: number;
}

const V0 = [0.5, 0.5, 0.5];
const V1 = [1, 2, 3];
const V2 = [2, 3, 4];

export function siteConfig(
  d: Pick<DemoSite, 'primary' | 'standby' | 'nginx' | 'primaryDir' | 'standbyDir' | 'drillDir'>,
  name: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const check = (url: string, extra: Record<string, unknown> = {}) => ({ url, timeoutMs: 1000, withinMs: 5000, intervalMs: 20, ...extra });
  const action = (url: string) => ({ type: 'http', method: 'POST', url, timeoutMs: 2000 });
  const model = { asset: 'model', path: 'model.json' };
  return {
    name,
    primary: {
      upstream: `127.0.0.1:${d.primary.port}`,
      restore: [{ asset: 'model', targetDir: d.primaryDir }],
      health: [check(`${d.primary.url}/health`, { name: 'primary-serves-model', bodyEqualsSha256Of: model })],
      fence: action(`${d.primary.url}/admin/fence`),
      unfence: action(`${d.primary.url}/admin/unfence`),
      afterRestore: action(`${d.primary.url}/admin/reload`),
    },
    standby: {
      upstream: `127.0.0.1:${d.standby.port}`,
      restore: [{ asset: 'model', targetDir: d.standbyDir }],
      health: [check(`${d.standby.url}/health`, { name: 'standby-serves-snapshot-model', bodyEqualsSha256Of: model })],
      afterRestore: action(`${d.standby.url}/admin/reload`),
    },
    switcher: {
      type: 'file-reload',
      file: d.nginx.paths.upstream,
      template: UPSTREAM_TEMPLATE,
      check: { argv: d.nginx.testArgv, timeoutMs: 10_000 },
      reload: { argv: d.nginx.reloadArgv, timeoutMs: 10_000 },
      confirm: { url: `${d.nginx.url}${SIDE_PATH}`, bodyEquals: '{{side}}', intervalMs: 20, withinMs: 10_000 },
      settleMs: 250,
    },
    trafficChecks: [check(`${d.nginx.url}/health`, { name: 'entry-point-serves-snapshot-model', bodyEqualsSha256Of: model })],
    objectives: { rtoSeconds: 60, rpoSeconds: 3600 },
    approval: { required: true, timeout: '30s', onTimeout: 'abort' },
    // the demo model server's fence refuses traffic: fence once traffic is on the standby
    fencing: { at: 'after-switch', drainMs: 200 },
    drill: { targetDir: d.drillDir },
    ...overrides,
  };
}

/** Add assets and sites to the stack's plan file (before the workers start). */
export function extendPlan(stack: TestStack, assets: Record<string, unknown>[], sites: Record<string, unknown>[]): void {
  const plan = YAML.parse(fs.readFileSync(stack.planFile, 'utf8')) as { assets: unknown[]; sites?: unknown[] };
  plan.assets = [...(plan.assets ?? []), ...assets];
  plan.sites = [...(plan.sites ?? []), ...sites];
  fs.writeFileSync(stack.planFile, YAML.stringify(plan));
}

/** Model servers and nginx for a demo site; call extendPlan + start a worker + backupDemo afterwards. */
export async function startDemo(stack: TestStack, o: DemoOptions = {}): Promise<Omit<DemoSite, 'snapshotId'>> {
  const name = o.name ?? 'demo';
  const dir = path.join(stack.dir, `site-${name}`);
  const primaryDir = path.join(dir, 'primary', 'model');
  const standbyDir = path.join(dir, 'standby', 'model');
  const drillDir = path.join(dir, 'drill');
  const v1 = writeLinearModel(path.join(primaryDir, 'model.json'), V1, 0.5);
  writeRandomFile(path.join(primaryDir, 'weights.bin'), o.weightsBytes ?? 256 * 1024, 7);
  const v0 = writeLinearModel(path.join(standbyDir, 'model.json'), V0, 0);
  const v2 = writeLinearModel(path.join(dir, 'v2', 'model.json'), V2, 1);
  const [primary, standby] = await Promise.all([
    startModelServerProcess({ model: path.join(primaryDir, 'model.json'), name: 'primary' }),
    startModelServerProcess({ model: path.join(standbyDir, 'model.json'), name: 'standby' }),
  ]);
  const nginx = await startTestNginx(`127.0.0.1:${primary.port}`);
  const d = { name, dir, primary, standby, nginx, primaryDir, standbyDir, drillDir, sha: { v0, v1, v2 } };
  return {
    ...d,
    config: (overrides) => siteConfig(d, name, overrides),
    stop: async () => {
      await nginx.cleanup();
      await Promise.all([primary.stop(), standby.stop()]);
    },
  };
}

const post = async (url: string) => {
  const r = await fetch(url, { method: 'POST' });
  await r.text();
  return r.status;
};

/** Back up the primary's v1 model (the snapshot failovers restore), then make the primary serve v2. */
export async function backupDemo(stack: TestStack, d: Omit<DemoSite, 'snapshotId'>): Promise<string> {
  const r = (await stack.client.workflow.execute('backupWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `backup-${d.name}`,
    args: [{ asset: 'model' }],
  })) as { id: string };
  await setPrimaryModel(d, 'v2');
  return r.id;
}

export async function setPrimaryModel(d: Pick<DemoSite, 'primaryDir' | 'dir' | 'primary'>, v: 'v1' | 'v2'): Promise<void> {
  if (v === 'v2') fs.copyFileSync(path.join(d.dir, 'v2', 'model.json'), path.join(d.primaryDir, 'model.json'));
  else writeLinearModel(path.join(d.primaryDir, 'model.json'), V1, 0.5);
  await post(`${d.primary.url}/admin/reload`);
}

export async function text(url: string): Promise<{ status: number; body: string; by: string }> {
  const r = await fetch(url);
  return { status: r.status, body: (await r.text()).trim(), by: r.headers.get('x-served-by') ?? '?' };
}

export async function modelStatus(server: ModelServerProcess): Promise<{ fenced: boolean; sha256: string | null }> {
  const r = await fetch(`${server.url}/admin/status`);
  return (await r.json()) as { fenced: boolean; sha256: string | null };
}

/** Entries next to a live target (the target itself plus anything a failover left behind). */
export function siblings(target: string): string[] {
  return fs.readdirSync(path.dirname(target)).sort();
}

/** Put the site back in its initial state (traffic on the primary serving v2, unfenced; standby on v0). */
export async function resetDemo(d: DemoSite): Promise<void> {
  const file = d.nginx.paths.upstream;
  const state = `${file}.state.json`;
  const current = fs.existsSync(state) ? (JSON.parse(fs.readFileSync(state, 'utf8')) as { side: string }).side : 'primary';
  if (current !== 'primary') {
    fs.writeFileSync(file, renderUpstream(`127.0.0.1:${d.primary.port}`, 'primary'));
    fs.rmSync(state, { force: true });
    d.nginx.reload();
    await waitFor('nginx to route to the primary', async () =>
      (await (await fetch(`${d.nginx.url}${SIDE_PATH}`)).text()).trim() === 'primary' ? true : undefined,
    );
    // nginx's old workers go on accepting new connections for 100 ms after the new ones start
    await new Promise((r) => setTimeout(r, 250));
  }
  await post(`${d.primary.url}/admin/unfence`);
  await setPrimaryModel(d, 'v2');
  fs.rmSync(d.standbyDir, { recursive: true, force: true });
  writeLinearModel(path.join(d.standbyDir, 'model.json'), V0, 0);
  await post(`${d.standby.url}/admin/reload`);
  fs.rmSync(d.drillDir, { recursive: true, force: true });
}

export interface RunOutcome {
  report: FailoverReport;
  ok: boolean;
  error?: string;
  handle: WorkflowHandle;
}

/** The report of a finished run: its result, or the details of its failure. */
export async function outcomeOf(handle: WorkflowHandle): Promise<RunOutcome> {
  try {
    const report = (await handle.result()) as FailoverReport;
    return { report, ok: true, handle };
  } catch (e) {
    if (e instanceof WorkflowFailedError) {
      const details = (e.cause as { details?: unknown[] } | undefined)?.details;
      const report = details?.[0] as FailoverReport | undefined;
      if (report) return { report, ok: false, error: failureText(e), handle };
    }
    (e as Error).message = failureText(e);
    throw e;
  }
}

export async function runFailover(stack: TestStack, input: FailoverInput): Promise<RunOutcome> {
  const t = await triggerFailover(stack.client, stack.taskQueue, input);
  return outcomeOf(t.handle);
}

export async function runFailback(stack: TestStack, input: FailbackInput): Promise<RunOutcome> {
  const t = await triggerFailback(stack.client, stack.taskQueue, input);
  return outcomeOf(t.handle);
}

/** Poll `probe` until it returns a value (bounded). */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
