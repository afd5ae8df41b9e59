import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { parseDurationMs } from '../../src/common/schema-primitives';
import { SEARCH_ATTRIBUTE_TYPES } from '../../src/common/search-attributes';
import { loadPlanFile } from '../../src/config/load-plan';
import { TEMPORAL_ENV_NAMES } from '../../src/config/temporal-env';
import { WORKER_ENV_NAMES, workerSettings } from '../../src/worker/worker-settings';

/**
 * No Docker engine runs here, so docker-compose.yml and deploy/Dockerfile are checked as files:
 * every service, image tag, port, volume, secret and dependency; the Prometheus and Alertmanager
 * configs as the containers see them (promtool, amtool); and every environment variable the
 * application reads (found by scanning src/, not listed here) is set for the worker and bridge.
 */

const ROOT = path.join(__dirname, '..', '..', '..');
const SRC = path.join(ROOT, 'src');

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  ports?: string[];
  volumes?: string[];
  secrets?: (string | { source: string; target?: string })[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: unknown;
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string; environment?: string }>;
}

const compose = YAML.parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
const services = compose.services;

/** Compose interpolation with an empty shell: `${X:-d}` -> d, `${X:?msg}` -> a placeholder, `${X}` -> '', `$$` -> `$`. */
function interpolate(v: string): string {
  return v
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-?])([^}]*))?\}/g, (_m, _n: string, op: string | undefined, arg: string | undefined) =>
      op === '-' ? (arg ?? '') : op === '?' ? 'required' : '',
    )
    .replace(/\$\$/g, '$');
}
const envOf = (s: Service): Record<string, string> =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v ?? ''))]));
const argv = (v: string[] | string | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/));
const dependsOn = (s: Service): Record<string, { condition: string }> =>
  Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, { condition: 'service_started' }])) : (s.depends_on ?? {});
const secretRefs = (s: Service) =>
  (s.secrets ?? []).map((x) =>
    typeof x === 'string' ? { source: x, target: `/run/secrets/${x}` } : { source: x.source, target: x.target ?? `/run/secrets/${x.source}` },
  );

/** "src:target[:mode]" with src a named volume or a host path (interpolated). */
function parseVolume(v: string): { source: string; target: string; named: boolean } {
  const parts = interpolate(v).split(':');
  assert.ok(parts.length >= 2 && parts.length <= 3, `volume "${v}" is not "source:target[:mode]"`);
  const [source, target] = parts;
  assert.ok(target.startsWith('/'), `volume "${v}": target must be an absolute path`);
  return { source, target, named: !source.startsWith('.') && !source.startsWith('/') };
}

/** The ports a service listens on inside its container, as its own configuration says. */
function listensOn(s: Service): Set<number> {
  const ports = new Set<number>();
  for (const p of s.ports ?? []) ports.add(Number(p.split(':').at(-1)));
  for (const [k, v] of Object.entries(envOf(s))) {
    if (/_PORT$/.test(k) && /^\d+$/.test(v)) ports.add(Number(v));
    const hostPort = /^[\d.]+:(\d+)$/.exec(v);
    if (hostPort) ports.add(Number(hostPort[1]));
  }
  const args = [...argv(s.entrypoint), ...argv(s.command)];
  args.forEach((a, i) => {
    if (a === '--port') ports.add(Number(args[i + 1]));
    const m = /port=(\d+)$/.exec(a);
    if (m) ports.add(Number(m[1]));
  });
  return ports;
}

test('every service has a pinned, current image or a build from the repository', () => {
  assert.ok(Object.keys(services).length >= 10);
  for (const [name, s] of Object.entries(services)) {
    assert.ok(s.image || s.build, `${name}: neither image nor build`);
    if (s.build) {
      assert.ok(fs.existsSync(path.join(ROOT, s.build.context)), `${name}: build context ${s.build.context} does not exist`);
      assert.ok(
        fs.existsSync(path.join(ROOT, s.build.context, s.build.dockerfile ?? 'Dockerfile')),
        `${name}: dockerfile ${s.build.dockerfile} does not exist`,
      );
    }
    if (s.image) {
      const m = /^([a-z0-9./_-]+):([A-Za-z0-9._-]+)$/.exec(s.image);
      assert.ok(m, `${name}: image "${s.image}" has no tag`);
      assert.notEqual(m[2], 'latest', `${name}: image "${s.image}" is not pinned`);
      assert.match(m[2], /\d/, `${name}: image "${s.image}" tag is not a version`);
      assert.ok(!['temporalio/auto-setup', 'temporalio/web', 'temporalio/admin-tools-deprecated'].includes(m[1]), `${name}: ${m[1]} is deprecated`);
    }
  }
  const roles = (image: string) => Object.entries(services).filter(([, s]) => s.image?.startsWith(`${image}:`));
  for (const image of [
    'temporalio/server',
    'temporalio/admin-tools',
    'temporalio/ui',
    'postgres',
    'chrislusf/seaweedfs',
    'prom/prometheus',
    'prom/alertmanager',
  ]) {
    assert.ok(roles(image).length > 0, `no ${image} service`);
  }
  // the Temporal server starts only after an admin-tools job set up its schema
  const [[, server]] = roles('temporalio/server');
  const schemaJobs = Object.entries(dependsOn(server)).filter(
    ([d, c]) => services[d]?.image?.startsWith('temporalio/admin-tools:') && c.condition === 'service_completed_successfully',
  );
  assert.equal(schemaJobs.length, 1, 'temporalio/server must depend on an admin-tools schema job with service_completed_successfully');
  assert.ok(argv(services[schemaJobs[0][0]].entrypoint).some((a) => a.endsWith('setup-schema.sh')));
  assert.ok(services.worker.build && services.bridge.build, 'the worker and the bridge are built from deploy/Dockerfile');
  // the search attributes workflows set are registered before any worker starts
  const registrar = Object.entries(services).find(([, s]) => argv(s.command).join(' ').includes('search-attribute create'));
  assert.ok(registrar, 'no job registers the search attributes');
  const [registrarName, registrarService] = registrar;
  const script = argv(registrarService.command).join(' ');
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES))
    assert.ok(script.includes(`${name}=${type}`), `search attribute ${name}=${type} is not registered`);
  for (const app of ['worker', 'bridge']) {
    assert.equal(dependsOn(services[app])[registrarName]?.condition, 'service_completed_successfully', `${app} must wait for ${registrarName}`);
  }
});

test("the worker's graceful shutdown ends before Docker's SIGKILL", () => {
  const w = services.worker as Service & { stop_grace_period?: string };
  const grace = parseDurationMs(envOf(w).LEPTON_DR_SHUTDOWN_GRACE);
  const kill = parseDurationMs(w.stop_grace_period ?? '10s');
  assert.ok(grace !== undefined && kill !== undefined);
  assert.ok(grace < kill, `LEPTON_DR_SHUTDOWN_GRACE (${grace} ms) must be shorter than stop_grace_period (${kill} ms)`);
});

test('ports publish on loopback only, once each, and every scrape or webhook target is a port its service listens on', () => {
  const published = new Map<number, string>();
  for (const [name, s] of Object.entries(services)) {
    for (const p of s.ports ?? []) {
      const m = /^127\.0\.0\.1:(\d+):(\d+)$/.exec(p);
      assert.ok(m, `${name}: port "${p}" must be "127.0.0.1:HOST:CONTAINER"`);
      const host = Number(m[1]);
      assert.ok(host > 0 && host < 65536 && Number(m[2]) > 0 && Number(m[2]) < 65536, `${name}: port "${p}" out of range`);
      assert.ok(!published.has(host), `${name}: host port ${host} is already published by ${published.get(host)}`);
      published.set(host, name);
    }
  }
  const prom = YAML.parse(fs.readFileSync(path.join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; port: number }[] }[];
    alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  };
  const targets: [string, string][] = [];
  for (const j of prom.scrape_configs) {
    for (const sc of j.static_configs ?? []) for (const t of sc.targets) targets.push([j.job_name, t]);
    for (const d of j.dns_sd_configs ?? []) for (const n of d.names) targets.push([j.job_name, `${n}:${d.port}`]);
  }
  for (const am of prom.alerting.alertmanagers) for (const sc of am.static_configs) for (const t of sc.targets) targets.push(['alerting', t]);
  const am = YAML.parse(fs.readFileSync(path.join(ROOT, 'deploy/alertmanager/alertmanager.yml'), 'utf8')) as {
    receivers: { name: string; webhook_configs?: { url: string }[] }[];
  };
  const hooks = am.receivers.flatMap((r) => r.webhook_configs ?? []).map((w) => new URL(w.url));
  assert.ok(hooks.length > 0);
  for (const u of hooks) {
    assert.equal(u.pathname, '/webhook/alertmanager', `${u.href}: the bridge's Alertmanager route`);
    targets.push(['alertmanager webhook', u.host]);
  }
  for (const [job, t] of targets) {
    const [host, port] = t.split(':');
    assert.ok(services[host], `${job}: target ${t} is not a service`);
    assert.ok(
      listensOn(services[host]).has(Number(port)),
      `${job}: ${host} does not listen on ${port} (it listens on ${[...listensOn(services[host])].join(', ')})`,
    );
  }
  for (const job of ['worker', 'bridge'])
    assert.ok(
      targets.some(([, t]) => t.startsWith(`${job}:`)),
      `Prometheus does not scrape the ${job}`,
    );
  assert.ok(
    hooks.some((u) => u.hostname === 'bridge'),
    'Alertmanager does not route to the bridge',
  );
});

test('volumes are declared named volumes or repository paths that exist; every named volume is used', () => {
  const used = new Set<string>();
  for (const [name, s] of Object.entries(services)) {
    for (const v of s.volumes ?? []) {
      const { source, named } = parseVolume(v);
      if (named) {
        assert.ok(compose.volumes && source in compose.volumes, `${name}: volume "${source}" is not declared under volumes:`);
        used.add(source);
      } else if (!source.startsWith('./.state/')) {
        // ./.state/... defaults are data folders the operator points elsewhere; Docker creates them
        assert.ok(fs.existsSync(path.join(ROOT, source)), `${name}: ${source} does not exist in the repository`);
      }
    }
    for (const { source } of secretRefs(s)) assert.ok(compose.secrets?.[source], `${name}: secret "${source}" is not declared under secrets:`);
  }
  for (const v of Object.keys(compose.volumes ?? {})) assert.ok(used.has(v), `volume "${v}" is declared but no service mounts it`);
  // the bridge reads its token where the secret is mounted
  const bridgeArgs = argv(services.bridge.command);
  const tokenFile = bridgeArgs[bridgeArgs.indexOf('--token-file') + 1];
  assert.ok(
    secretRefs(services.bridge).some((r) => r.target === tokenFile),
    `bridge --token-file ${tokenFile} is not a mounted secret`,
  );
});

test('dependencies name existing services with conditions they can meet, and form no cycle', () => {
  for (const [name, s] of Object.entries(services)) {
    for (const [dep, { condition }] of Object.entries(dependsOn(s))) {
      const d = services[dep];
      assert.ok(d, `${name}: depends on unknown service "${dep}"`);
      assert.ok(['service_started', 'service_healthy', 'service_completed_successfully'].includes(condition), `${name} -> ${dep}: condition "${condition}"`);
      if (condition === 'service_healthy') assert.ok(d.healthcheck, `${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
      if (condition === 'service_completed_successfully')
        assert.ok(!['always', 'unless-stopped'].includes(d.restart ?? ''), `${name} waits for ${dep} to complete, but ${dep} restarts forever`);
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (n: string, trail: string[]) => {
    if (state.get(n) === 'done') return;
    assert.notEqual(state.get(n), 'visiting', `dependency cycle: ${[...trail, n].join(' -> ')}`);
    state.set(n, 'visiting');
    for (const d of Object.keys(dependsOn(services[n]))) visit(d, [...trail, n]);
    state.set(n, 'done');
  };
  for (const n of Object.keys(services)) visit(n, []);
});

/** The service's config files where its container sees them: bind mounts and secrets under a temp root. */
function stageContainerFiles(s: Service): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-compose-'));
  for (const v of s.volumes ?? []) {
    const { source, target, named } = parseVolume(v);
    if (named) continue;
    const src = path.join(ROOT, source);
    assert.ok(fs.statSync(src).isFile(), `${source} must be a file`);
    fs.mkdirSync(path.dirname(path.join(root, target)), { recursive: true });
    fs.copyFileSync(src, path.join(root, target));
  }
  for (const { target } of secretRefs(s)) {
    fs.mkdirSync(path.dirname(path.join(root, target)), { recursive: true });
    fs.writeFileSync(path.join(root, target), 'a-bridge-token-of-enough-length\n');
  }
  return root;
}
const configFlag = (s: Service) =>
  argv(s.command)
    .find((a) => a.startsWith('--config.file='))
    ?.slice('--config.file='.length);

test('Prometheus and Alertmanager configs, as mounted, pass promtool and amtool (rules included)', () => {
  const prom = services.prometheus;
  const promRoot = stageContainerFiles(prom);
  const amRoot = stageContainerFiles(services.alertmanager);
  try {
    const promConf = configFlag(prom);
    assert.ok(promConf, 'prometheus: --config.file');
    const check = spawnSync('promtool', ['check', 'config', path.join(promRoot, promConf)], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /lepton-dr-rules\.yml[\s\S]*SUCCESS: \d+ rules found/, 'the lepton-dr rules are loaded');
    const amConf = configFlag(services.alertmanager);
    assert.ok(amConf, 'alertmanager: --config.file');
    const amCheck = spawnSync('amtool', ['check-config', path.join(amRoot, amConf)], { encoding: 'utf8' });
    if (amCheck.error) throw new Error(`amtool is not installed (scripts/install-tools.sh installs prometheus-alertmanager): ${amCheck.error.message}`);
    assert.equal(amCheck.status, 0, amCheck.stdout + amCheck.stderr);
    // amtool does not open credentials files: check the webhook's token is mounted where the config reads it
    const am = YAML.parse(fs.readFileSync(path.join(amRoot, amConf), 'utf8')) as {
      receivers: { webhook_configs?: { http_config?: { authorization?: { credentials_file?: string } } }[] }[];
    };
    for (const w of am.receivers.flatMap((r) => r.webhook_configs ?? [])) {
      const f = w.http_config?.authorization?.credentials_file;
      assert.ok(f, 'the bridge refuses webhooks without its bearer token');
      assert.ok(fs.existsSync(path.resolve(path.dirname(path.join(amRoot, amConf)), f)), `alertmanager: ${f} is not mounted`);
    }
  } finally {
    fs.rmSync(promRoot, { recursive: true, force: true });
    fs.rmSync(amRoot, { recursive: true, force: true });
  }
});

/** Every environment variable name src/ reads: process.env.X, env.X, env['X'], and the settings schemas' keys. */
function envNamesReadBySource(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        const text = fs.readFileSync(p, 'utf8');
        for (const m of text.matchAll(/\b(?:process\.)?env(?:\.([A-Z][A-Z0-9_]*)\b|\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\])/g)) {
          found.set(m[1] ?? m[2], path.relative(ROOT, p));
        }
      }
    }
  };
  walk(SRC);
  for (const n of TEMPORAL_ENV_NAMES) found.set(n, 'src/config/temporal-env.ts');
  for (const n of WORKER_ENV_NAMES) found.set(n, 'src/worker/worker-settings.ts');
  return found;
}

/** Read by the application, but not settings of a container; each with why. */
const NOT_CONTAINER_SETTINGS: Record<string, string> = {
  PATH: 'set by the image',
  LEPTON_DR_STATE_DIR: 'the local stack (lepton-dr up) only',
  LEPTON_DR_TOOLS_DIR: 'the local stack only (where scripts/install-tools.sh put temporal and weed)',
  PROMETHEUS_BIN: 'the prediction demo only',
  NGINX_BIN: 'the failover demo only',
  PROMTOOL_BIN: 'predict forecast-eval only (an evaluation command, not a service)',
  LEPTON_DR_ALLOW_FAULT_INJECTION: 'tests and chaos runs only; stays unset in production',
  LOG_LEVEL: 'generic alias of LEPTON_DR_LOG_LEVEL',
  NODE_COMPILE_CACHE: "Node's own: where V8 keeps compiled code (default: the user's cache folder)",
  XDG_CACHE_HOME: 'the user cache folder of the V8 compile cache; the image user has a home',
};

/** Variables the deployed plan names: ${VAR} substitutions and keyEnv/passwordEnv/apiKeyEnv. */
function planEnvNames(file: string): string[] {
  const names = new Set<string>();
  const walk = (v: unknown, key = ''): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]);
      if (['keyEnv', 'passwordEnv', 'apiKeyEnv'].includes(key)) names.add(v);
    } else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(YAML.parse(fs.readFileSync(file, 'utf8')));
  return [...names];
}

test('every environment variable the application reads is set for the worker and the bridge', () => {
  const read = envNamesReadBySource();
  // the scan itself must work: these are read in known places
  for (const n of ['LEPTON_DR_PLAN', 'AWS_ACCESS_KEY_ID', 'LEPTON_DR_LOG_LEVEL', 'TEMPORAL_API_KEY', 'LEPTON_DR_SHUTDOWN_GRACE'])
    assert.ok(read.has(n), `scan missed ${n}`);
  for (const n of Object.keys(NOT_CONTAINER_SETTINGS)) assert.ok(read.has(n), `${n} is exempted but no longer read by src/: drop it from the list`);
  const planFile = path.join(ROOT, 'deploy/plan.yaml');
  assert.ok(
    (services.worker.volumes ?? []).some(
      (v) => parseVolume(v).source === './deploy/plan.yaml' && envOf(services.worker).LEPTON_DR_PLAN === parseVolume(v).target,
    ),
  );
  const fromPlan = planEnvNames(planFile);
  assert.ok(fromPlan.includes('LEPTON_DR_REPOSITORY_KEY'));
  const worker = envOf(services.worker);
  const bridge = envOf(services.bridge);
  const workerNeeds = [...read.keys(), ...fromPlan].filter((n) => !(n in NOT_CONTAINER_SETTINGS));
  const missingWorker = workerNeeds.filter((n) => !(n in worker));
  assert.deepEqual(
    missingWorker,
    [],
    `not set for the worker in docker-compose.yml: ${missingWorker.map((n) => `${n} (read in ${read.get(n) ?? 'deploy/plan.yaml'})`).join(', ')}`,
  );
  // the bridge is a Temporal client over the same plan: everything but the worker's own settings and the repository key
  const repoKeys = fromPlan.filter((n) => /KEY|PASSWORD/.test(n) && !n.startsWith('TEMPORAL_'));
  const bridgeNeeds = workerNeeds.filter((n) => !(WORKER_ENV_NAMES as string[]).includes(n) && !repoKeys.includes(n));
  const missingBridge = bridgeNeeds.filter((n) => !(n in bridge));
  assert.deepEqual(missingBridge, [], `not set for the bridge in docker-compose.yml: ${missingBridge.join(', ')}`);
  // and the values pass the application's own validation (the bundle path exists only in the image)
  const { LEPTON_DR_WORKFLOW_BUNDLE: bundle, ...rest } = worker;
  assert.equal(bundle, '/app/dist/workflow-bundle.js');
  const settings = workerSettings(rest);
  assert.equal(settings.metricsHost, '0.0.0.0', 'metrics must listen beyond loopback to be scraped from the prometheus container');
  const plan = loadPlanFile(planFile, { ...rest, LEPTON_DR_REPOSITORY_KEY: 'a'.repeat(64) });
  assert.equal(plan.temporal.address, 'temporal:7233');
  assert.equal(plan.temporal.tls, undefined, 'empty TEMPORAL_TLS_* values leave TLS off');
  assert.ok(
    plan.assets.every((a) => (services.worker.volumes ?? []).some((v) => parseVolume(v).target === a.source)),
    'every asset folder is mounted',
  );
});

test('deploy/Dockerfile builds the pinned Node 24, a prebuilt workflow bundle, and runs as a non-root user', () => {
  const text = fs.readFileSync(path.join(ROOT, 'deploy/Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const froms = lines.filter((l) => /^FROM\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
  const nodeVersion = /^NODE_VERSION=(\S+)$/m.exec(fs.readFileSync(path.join(ROOT, 'scripts/install-tools.sh'), 'utf8'))?.[1];
  assert.ok(nodeVersion?.startsWith('24.'), 'scripts/install-tools.sh pins Node 24');
  for (const f of froms)
    assert.match(f, new RegExp(`^node:${String(nodeVersion).replace(/\./g, '\\.')}-`), `FROM ${f}: the Node the project pins (${nodeVersion})`);
  const finalStage = text.slice(text.lastIndexOf('\nFROM '));
  const user = /^USER\s+(\S+)/m.exec(finalStage)?.[1];
  assert.ok(user && user !== 'root' && user !== '0', 'the final stage runs as a non-root user');
  assert.match(finalStage, /LEPTON_DR_WORKFLOW_BUNDLE=\/app\/dist\/workflow-bundle\.js/);
  assert.match(
    fs.readFileSync(path.join(ROOT, 'scripts/bundle-workflows.js'), 'utf8'),
    /'dist', 'workflow-bundle\.js'/,
    'the bundle the image points at is the one the build writes',
  );
  assert.match(text, /scripts\/bundle-workflows\.js/);
  assert.match(text, /scripts\/bundle-entries\.js/, 'the image runs the single-file entry points the build writes (dist/bundle/)');
  // every COPY from the build context exists and is not excluded by the dockerignore
  const ignored = fs
    .readFileSync(path.join(ROOT, 'deploy/Dockerfile.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const l of lines.filter((x) => /^COPY\s/i.test(x) && !/--from=/.test(x))) {
    const sources = l.trim().split(/\s+/).slice(1, -1);
    for (const s of sources) {
      assert.ok(fs.existsSync(path.join(ROOT, s)), `${l}: ${s} does not exist`);
      const top = s.split('/')[0];
      assert.ok(
        !ignored.some((g) => (g.endsWith('*') ? top.startsWith(g.slice(0, -1)) : top === g)),
        `${l}: ${s} is excluded by deploy/Dockerfile.dockerignore`,
      );
    }
  }
  const imageTsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/tsconfig.image.json'), 'utf8')) as { include: string[] };
  assert.deepEqual(imageTsconfig.include, ['../src/**/*.ts'], 'the image compiles src/ only (test/ is not in its context)');
});
