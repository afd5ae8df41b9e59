import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A simulated AI site exposing Prometheus metrics: disk usage creeping up slowly, a GPU whose
 * temperature follows the day, request and error counters. Deterministic (a function of time
 * and seed), with a knob that makes trouble start: the disk then fills fast towards full, the
 * GPU heats up and errors climb, which the prediction loop should forecast and act on.
 *
 *   GET    /metrics   Prometheus text format
 *   GET    /trouble   {"trouble": false} or {"trouble": true, "since": "..."}
 *   POST   /trouble   start trouble now      DELETE /trouble   stop it
 */

export interface SimulatedSiteOptions {
  seed?: number;
  /** Disk usage at the epoch of the simulation (fraction). */
  diskBase?: number;
  /** Normal disk growth per hour (fraction). */
  diskGrowthPerHour?: number;
  /** Disk growth per minute during trouble (fraction). */
  troubleDiskPerMinute?: number;
  /** GPU heating per minute during trouble (degrees C). */
  troubleGpuPerMinute?: number;
  /** Errors per second, normal and during trouble. */
  errorRate?: number;
  troubleErrorRate?: number;
}

export interface SiteValues {
  diskUsedRatio: number;
  gpuTemperatureC: number;
  errorRate: number;
  requestRate: number;
}

const DAY = 86_400_000;

/** Deterministic noise in [-1, 1] for (seed, k). */
function noise(seed: number, k: number): number {
  let x = (Math.imul(k | 0, 0x9e3779b1) ^ Math.imul(seed | 0, 0x85ebca6b) ^ Math.floor(k / 4294967296)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return (x / 4294967295) * 2 - 1;
}

export class SimulatedSite {
  private readonly o: Required<SimulatedSiteOptions>;
  private troubleSince: number | null = null;
  /** Counters are integrals of the rates from this time. */
  private readonly origin: number;

  constructor(o: SimulatedSiteOptions = {}, origin = Date.now()) {
    this.o = {
      seed: o.seed ?? 42,
      diskBase: o.diskBase ?? 0.6,
      diskGrowthPerHour: o.diskGrowthPerHour ?? 0.0005,
      troubleDiskPerMinute: o.troubleDiskPerMinute ?? 0.01,
      troubleGpuPerMinute: o.troubleGpuPerMinute ?? 0.6,
      errorRate: o.errorRate ?? 0.2,
      troubleErrorRate: o.troubleErrorRate ?? 6,
    };
    this.origin = origin;
  }

  get trouble(): { on: boolean; since: number | null } {
    return { on: this.troubleSince !== null, since: this.troubleSince };
  }

  startTrouble(at = Date.now()): void {
    this.troubleSince ??= at;
  }

  stopTrouble(): void {
    this.troubleSince = null;
  }

  /** The site's values at time t (ms). Normal behaviour is the same whatever the trouble state for t before it began. */
  at(t: number): SiteValues {
    const { seed } = this.o;
    const k = Math.floor(t / 1000);
    const sinceTrouble = this.troubleSince !== null && t >= this.troubleSince ? (t - this.troubleSince) / 60_000 : 0;
    const hours = (t - this.origin) / 3600_000;
    const disk = this.o.diskBase + this.o.diskGrowthPerHour * hours + 0.002 * noise(seed, k) + this.o.troubleDiskPerMinute * sinceTrouble;
    const phase = (2 * Math.PI * (t % DAY)) / DAY;
    const gpu = 66 + 6 * Math.sin(phase) + 0.8 * noise(seed + 1, k) + this.o.troubleGpuPerMinute * sinceTrouble;
    const errors = Math.max(0, this.o.errorRate * (1 + 0.3 * noise(seed + 2, k)) + (sinceTrouble > 0 ? this.o.troubleErrorRate : 0));
    const requests = Math.max(0, 50 + 20 * Math.sin(phase) + 3 * noise(seed + 3, k));
    return { diskUsedRatio: Math.min(1, Math.max(0, disk)), gpuTemperatureC: gpu, errorRate: errors, requestRate: requests };
  }

  /** Counter values at t: the rates integrated (per second) from the origin, without trouble before it began. */
  counters(t: number): { errorsTotal: number; requestsTotal: number } {
    const secs = Math.max(0, (t - this.origin) / 1000);
    const troubleSecs = this.troubleSince !== null && t > this.troubleSince ? (t - this.troubleSince) / 1000 : 0;
    return {
      errorsTotal: Math.floor(this.o.errorRate * secs + this.o.troubleErrorRate * troubleSecs),
      requestsTotal: Math.floor(50 * secs),
    };
  }

  /** Prometheus text format at time t. */
  exposition(t = Date.now()): string {
    const v = this.at(t);
    const c = this.counters(t);
    return [
      '# HELP demo_disk_used_ratio Fraction of the data volume in use.',
      '# TYPE demo_disk_used_ratio gauge',
      `demo_disk_used_ratio{mount="/data"} ${v.diskUsedRatio.toFixed(6)}`,
      '# HELP demo_gpu_temperature_celsius GPU temperature.',
      '# TYPE demo_gpu_temperature_celsius gauge',
      `demo_gpu_temperature_celsius{gpu="0"} ${v.gpuTemperatureC.toFixed(3)}`,
      '# HELP demo_error_rate Errors per second (instantaneous).',
      '# TYPE demo_error_rate gauge',
      `demo_error_rate ${v.errorRate.toFixed(4)}`,
      '# HELP demo_errors_total Errors served.',
      '# TYPE demo_errors_total counter',
      `demo_errors_total ${c.errorsTotal}`,
      '# HELP demo_requests_total Requests served.',
      '# TYPE demo_requests_total counter',
      `demo_requests_total ${c.requestsTotal}`,
      '# HELP demo_trouble Whether the trouble knob is on.',
      '# TYPE demo_trouble gauge',
      `demo_trouble ${this.troubleSince !== null ? 1 : 0}`,
      '',
    ].join('\n');
  }

  /**
   * Normal history (no trouble) as NAB-style CSV files, one per series, for training:
   * disk_used, gpu_temp, error_rate. Returns series -> file.
   */
  writeHistoryCsv(dir: string, from: number, to: number, stepMs: number): Record<string, string> {
    fs.mkdirSync(dir, { recursive: true });
    const saved = this.troubleSince;
    this.troubleSince = null;
    const cols: Record<string, string[]> = { disk_used: [], gpu_temp: [], error_rate: [] };
    try {
      for (let t = Math.floor(from / stepMs) * stepMs; t < to; t += stepMs) {
        const v = this.at(t);
        const ts = new Date(t).toISOString();
        cols.disk_used.push(`${ts},${v.diskUsedRatio.toFixed(6)}`);
        cols.gpu_temp.push(`${ts},${v.gpuTemperatureC.toFixed(3)}`);
        cols.error_rate.push(`${ts},${v.errorRate.toFixed(4)}`);
      }
    } finally {
      this.troubleSince = saved;
    }
    const out: Record<string, string> = {};
    for (const [series, rows] of Object.entries(cols)) {
      const file = path.join(dir, `${series}.csv`);
      fs.writeFileSync(file, `timestamp,value\n${rows.join('\n')}\n`);
      out[series] = file;
    }
    return out;
  }
}

/** The Prometheus queries that read the simulated site back as the series of writeHistoryCsv. */
export const DEMO_QUERIES = {
  disk_used: 'max(demo_disk_used_ratio)',
  gpu_temp: 'max(demo_gpu_temperature_celsius)',
  error_rate: 'max(demo_error_rate)',
} as const;

export interface MetricsEndpoint {
  url: string;
  /** host:port, for a Prometheus scrape target. */
  target: string;
  port: number;
  site: SimulatedSite;
  close(): Promise<void>;
}

export async function startMetricsEndpoint(o: { site?: SimulatedSite; port?: number; host?: string } = {}): Promise<MetricsEndpoint> {
  const site = o.site ?? new SimulatedSite();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/metrics' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(site.exposition(Date.now()));
      return;
    }
    if (url.pathname === '/trouble') {
      if (req.method === 'POST') site.startTrouble();
      else if (req.method === 'DELETE') site.stopTrouble();
      else if (req.method !== 'GET') return json(405, { error: 'GET, POST or DELETE' });
      const t = site.trouble;
      return json(200, { trouble: t.on, ...(t.since !== null ? { since: new Date(t.since).toISOString() } : {}) });
    }
    json(404, { error: 'routes: GET /metrics, GET|POST|DELETE /trouble' });
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    target: `${host}:${port}`,
    port,
    site,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
