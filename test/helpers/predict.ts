import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import YAML from 'yaml';
import type { Client } from '@temporalio/client';
import type { TestStack } from './stack';

/** Test helpers of the prediction loop and the bridge. */

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Adds assets and sites to the stack's plan file (before workers start). */
export function addToPlan(stack: TestStack, o: { assets?: Record<string, unknown>[]; sites?: Record<string, unknown>[] }): void {
  const plan = YAML.parse(fs.readFileSync(stack.planFile, 'utf8')) as { assets?: unknown[]; sites?: unknown[] };
  plan.assets = [...(plan.assets ?? []), ...(o.assets ?? [])];
  plan.sites = [...(plan.sites ?? []), ...(o.sites ?? [])];
  fs.writeFileSync(stack.planFile, YAML.stringify(plan));
}

export interface CaptureServer {
  url: string;
  requests: { path: string; headers: http.IncomingHttpHeaders; body: unknown }[];
  /** Status to answer with (default 200). */
  status: number;
  close(): Promise<void>;
}

/** A loopback HTTP server recording JSON posts (webhook receiver). */
export async function startCaptureServer(): Promise<CaptureServer> {
  const cap: CaptureServer = {
    url: '',
    requests: [],
    status: 200,
    close: () => new Promise((r) => srv.close(() => r())),
  };
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep text
      }
      cap.requests.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(cap.status, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  cap.url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return cap;
}

/** Workflow ids of runs matching a visibility query. */
export async function listIds(client: Client, query: string): Promise<string[]> {
  const out: string[] = [];
  for await (const w of client.workflow.list({ query })) out.push(w.workflowId);
  return out;
}

/** Rising samples ending one second ago: `n` points from `from` to `to`, one per second. */
export function rising(series: string, n: number, from: number, to: number, endAt = Date.now() - 1000): { series: string; t: number; v: number }[] {
  return Array.from({ length: n }, (_, i) => ({ series, t: endAt - (n - 1 - i) * 1000, v: from + ((to - from) * i) / Math.max(1, n - 1) }));
}
