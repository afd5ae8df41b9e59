import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { freePort } from '../stack/ports';
import { PORT_CLASH_PATTERN, spawnServer, waitUntilReady, type ServerProcess } from '../stack/process';

/**
 * A real Prometheus (the Debian package's /usr/bin/prometheus, or $PROMETHEUS_BIN) on a free
 * loopback port, with its own config and TSDB in `dir`, scraping the given targets. Never the
 * system service: nothing on the default port 9090 is touched.
 */
export interface PrometheusServer {
  url: string;
  port: number;
  dir: string;
  configFile: string;
  process: ServerProcess;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** Config, data and log go here (created). */
  dir: string;
  /** Scrape targets (host:port). */
  targets: string[];
  jobName?: string;
  scrapeIntervalMs?: number;
  /** rule files to load (alerting and recording rules) */
  ruleFiles?: string[];
  /** Alertmanagers (host:port) that firing alerts go to */
  alertmanagers?: string[];
  port?: number;
  retention?: string;
  binary?: string;
  startTimeoutMs?: number;
}

export function prometheusBinary(): string {
  const bin = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
  if (!fs.existsSync(bin)) {
    throw new Error(
      `prometheus not found at ${bin}: install it (DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus) or set PROMETHEUS_BIN`,
    );
  }
  return bin;
}

function seconds(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

export function renderPrometheusConfig(o: Pick<PrometheusOptions, 'targets' | 'jobName' | 'scrapeIntervalMs' | 'ruleFiles' | 'alertmanagers'>): string {
  const every = seconds(o.scrapeIntervalMs ?? 5000);
  return YAML.stringify({
    global: { scrape_interval: every, evaluation_interval: every },
    ...(o.ruleFiles?.length ? { rule_files: o.ruleFiles } : {}),
    ...(o.alertmanagers?.length ? { alerting: { alertmanagers: [{ static_configs: [{ targets: o.alertmanagers }] }] } } : {}),
    scrape_configs: [{ job_name: o.jobName ?? 'lepton-demo', scrape_interval: every, scrape_timeout: every, static_configs: [{ targets: o.targets }] }],
  });
}

export async function startPrometheus(o: PrometheusOptions): Promise<PrometheusServer> {
  const binary = o.binary ?? prometheusBinary();
  fs.mkdirSync(o.dir, { recursive: true });
  const configFile = path.join(o.dir, 'prometheus.yml');
  fs.writeFileSync(configFile, renderPrometheusConfig(o));
  for (let attempt = 1; ; attempt++) {
    const port = o.port ?? (await freePort());
    const logFile = path.join(o.dir, 'prometheus.log');
    const proc = spawnServer(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(o.dir, 'data')}`,
        `--storage.tsdb.retention.time=${o.retention ?? '2d'}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
        '--log.level=warn',
      ],
      { logFile, cwd: o.dir },
    );
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntilReady(
        proc,
        'prometheus',
        async () => {
          const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
          if (!r.ok) throw new Error(`HTTP ${r.status}`);
        },
        { timeoutMs: o.startTimeoutMs ?? 30_000, intervalMs: 100 },
      );
    } catch (e) {
      await proc.stop(0);
      if (o.port === undefined && attempt < 3 && PORT_CLASH_PATTERN.test(proc.logTail(20))) continue;
      throw e;
    }
    return { url, port, dir: o.dir, configFile, process: proc, stop: () => proc.stop(3000) };
  }
}
