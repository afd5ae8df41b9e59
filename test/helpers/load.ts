import http from 'node:http';

/** A steady request load through the traffic entry point, counting failures (bounded in count and time). */
export interface LoadStats {
  requests: number;
  failed: number;
  /** Retried once because a reused keep-alive socket was closed under them (RFC 9112 9.3.1). */
  retried: number;
  errors: string[];
  servedBy: Record<string, number>;
}

export interface GetResult {
  status?: number;
  by?: string;
  error?: string;
  reusedSocketClosed?: boolean;
}

/** One GET; never throws: failures come back as `error`, and `reusedSocketClosed` marks a retryable keep-alive reset. */
export function get(url: string, agent: http.Agent, timeoutMs: number): Promise<GetResult> {
  return new Promise((resolve) => {
    let gotResponse = false;
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      gotResponse = true;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, by: String(res.headers['x-served-by'] ?? '?') }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      resolve({ error: `${code} ${e.message}`, reusedSocketClosed: req.reusedSocket && !gotResponse && (code === 'ECONNRESET' || code === 'EPIPE') });
    });
  });
}

export interface Load {
  stop(): Promise<LoadStats>;
}

/**
 * `lanes` sequential request loops (half keep-alive, half fresh connections) until stop() or the
 * bounds; with `ratePerLane`, each lane paces itself to that many requests per second (steady
 * load), else it sends back to back (saturation).
 */
export function startLoad(url: string, o: { lanes?: number; maxMs?: number; maxRequests?: number; ratePerLane?: number } = {}): Load {
  let stopped = false;
  const total: LoadStats = { requests: 0, failed: 0, retried: 0, errors: [], servedBy: {} };
  const lane = async (keepAlive: boolean) => {
    const agent = new http.Agent({ keepAlive, maxSockets: 1 });
    const t0 = performance.now();
    let n = 0;
    while (!stopped && total.requests < (o.maxRequests ?? 200_000) && performance.now() - t0 < (o.maxMs ?? 120_000)) {
      let r = await get(url, agent, 3000);
      if (r.reusedSocketClosed) {
        total.retried++;
        r = await get(url, agent, 3000);
      }
      total.requests++;
      if (r.status !== 200) {
        total.failed++;
        if (total.errors.length < 10) total.errors.push(r.error ?? `HTTP ${r.status} from ${r.by}`);
      } else total.servedBy[r.by!] = (total.servedBy[r.by!] ?? 0) + 1;
      if (o.ratePerLane) {
        const wait = t0 + (++n * 1000) / o.ratePerLane - performance.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      }
    }
    agent.destroy();
  };
  const lanes = Array.from({ length: o.lanes ?? 2 }, (_, i) => lane(i % 2 === 0));
  return {
    async stop() {
      stopped = true;
      await Promise.all(lanes);
      return total;
    },
  };
}
