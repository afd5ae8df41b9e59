import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { freePort } from '../../src/stack/ports';
import { PORT_CLASH_PATTERN, spawnServer, waitUntilReady, type ServerProcess } from '../../src/stack/process';

/**
 * A real Prometheus Alertmanager (Debian package `prometheus-alertmanager`) on a free loopback
 * port, gossip off, its config and storage in `dir`, routing every alert to a webhook with a
 * bearer token (group_wait and group_interval small, so tests see notifications in seconds).
 */
export interface Alertmanager {
  url: string;
  process: ServerProcess;
  /** POST /api/v2/alerts. */
  post(alerts: Record<string, unknown>[]): Promise<void>;
  /** GET /api/v2/alerts (active). */
  alerts(filter?: string): Promise<{ labels: Record<string, string>; status: { state: string }; endsAt: string }[]>;
  stop(): Promise<void>;
}

export function alertmanagerBinary(): string {
  const bin = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';
  if (!fs.existsSync(bin)) throw new Error(`alertmanager not found at ${bin}: apt-get install -y --no-install-recommends prometheus-alertmanager`);
  return bin;
}

export async function startAlertmanager(o: {
  dir: string;
  webhookUrl: string;
  token?: string;
  groupWait?: string;
  groupInterval?: string;
}): Promise<Alertmanager> {
  fs.mkdirSync(o.dir, { recursive: true });
  const configFile = path.join(o.dir, 'alertmanager.yml');
  fs.writeFileSync(
    configFile,
    YAML.stringify({
      route: {
        receiver: 'bridge',
        group_by: ['alertname', 'dr_site'],
        group_wait: o.groupWait ?? '1s',
        group_interval: o.groupInterval ?? '1s',
        repeat_interval: '1h',
      },
      receivers: [
        {
          name: 'bridge',
          webhook_configs: [
            { url: o.webhookUrl, send_resolved: true, ...(o.token ? { http_config: { authorization: { type: 'Bearer', credentials: o.token } } } : {}) },
          ],
        },
      ],
    }),
  );
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = spawnServer(
      alertmanagerBinary(),
      [
        `--config.file=${configFile}`,
        `--storage.path=${path.join(o.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=info',
      ],
      { logFile: path.join(o.dir, 'alertmanager.log'), cwd: o.dir },
    );
    try {
      await waitUntilReady(
        proc,
        'alertmanager',
        async () => {
          const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
          if (!r.ok) throw new Error(`HTTP ${r.status}`);
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    } catch (e) {
      await proc.stop(0);
      if (attempt < 3 && PORT_CLASH_PATTERN.test(proc.logTail(20))) continue;
      throw e;
    }
    return {
      url,
      process: proc,
      async post(alerts) {
        const r = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
        if (!r.ok) throw new Error(`alertmanager POST /api/v2/alerts: HTTP ${r.status} ${await r.text()}`);
      },
      async alerts(filter) {
        const r = await fetch(`${url}/api/v2/alerts${filter ? `?filter=${encodeURIComponent(filter)}` : ''}`);
        return (await r.json()) as { labels: Record<string, string>; status: { state: string }; endsAt: string }[];
      },
      stop: () => proc.stop(3000),
    };
  }
}
