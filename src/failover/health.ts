import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { BadInputError, NotFoundError } from '../common/errors';
import { logger } from '../common/logger';
import { describeFetchError } from './actions';
import type { HealthCheck, SnapshotFileRef } from './health-check-schema';
import type { RestoreTarget } from './site-schema';

/**
 * HTTP health checks: status + body expectations, each retried until it passes or its
 * `withinMs` window closes. Checks are run in parallel; the report says when each first passed,
 * which is the "healthy at" instant RTO is measured to.
 */

/** A check whose body expectation is concrete (snapshot references already turned into hashes). */
export interface ResolvedHealthCheck {
  name: string;
  url: string;
  method: 'GET' | 'HEAD' | 'POST';
  headers: Record<string, string>;
  expectStatus: number;
  bodyEquals?: string;
  bodyContains?: string;
  timeoutMs: number;
  withinMs: number;
  intervalMs: number;
}

export interface HealthAttempt {
  ok: boolean;
  status?: number;
  /** First 200 characters of the body. */
  body?: string;
  durationMs: number;
  error?: string;
}

export interface HealthCheckResult {
  name: string;
  url: string;
  ok: boolean;
  attempts: number;
  /** Human-readable expectation, e.g. "200, body = 3f2a…". */
  expected: string;
  /** The last attempt (the passing one when ok). */
  last: HealthAttempt;
  /** ISO time of the first passing attempt. */
  healthyAt?: string;
  durationMs: number;
}

export interface HealthReport {
  ok: boolean;
  /** ISO time when the last check first passed: all checks healthy from then on. */
  healthyAt?: string;
  startedAt: string;
  durationMs: number;
  results: HealthCheckResult[];
}

/** Supplies the hex SHA-256 a `bodyEqualsSha256Of` check expects. */
export interface ExpectedBodyResolver {
  sha256Of(ref: SnapshotFileRef): Promise<string>;
}

export function snapshotFileKey(ref: SnapshotFileRef): string {
  return `${ref.asset}/${ref.path}`;
}

/** Hashes from a map "asset/path" -> hex (e.g. read from the snapshot manifest by the caller). */
export function mapResolver(hashes: Readonly<Record<string, string>>): ExpectedBodyResolver {
  return {
    async sha256Of(ref) {
      const h = hashes[snapshotFileKey(ref)];
      if (!h) throw new NotFoundError(`no SHA-256 recorded for ${snapshotFileKey(ref)} in the chosen snapshot`);
      return h.toLowerCase();
    },
  };
}

/**
 * Hash the file as restored on disk (<targetDir of asset>/<path>). Sound after a verified
 * restore: the restore checked every byte against the snapshot.
 */
export function restoredFilesResolver(targets: readonly RestoreTarget[]): ExpectedBodyResolver {
  return {
    async sha256Of(ref) {
      const t = targets.find((x) => x.asset === ref.asset);
      if (!t) throw new BadInputError(`asset "${ref.asset}" has no restore target (${targets.map((x) => x.asset).join(', ') || 'none'})`);
      return sha256File(path.join(t.targetDir, ref.path));
    },
  };
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new NotFoundError(`${file} does not exist`) : e))
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')));
  });
}

export async function resolveHealthChecks(checks: readonly HealthCheck[], resolver?: ExpectedBodyResolver): Promise<ResolvedHealthCheck[]> {
  return Promise.all(
    checks.map(async (c) => {
      let bodyEquals = c.bodyEquals;
      if (c.bodyEqualsSha256Of) {
        if (!resolver) throw new BadInputError(`health check ${c.name ?? c.url} expects a snapshot checksum but no snapshot was given`);
        bodyEquals = await resolver.sha256Of(c.bodyEqualsSha256Of);
      }
      return {
        name: c.name ?? c.url,
        url: c.url,
        method: c.method,
        headers: c.headers,
        expectStatus: c.expectStatus,
        bodyEquals,
        bodyContains: c.bodyContains,
        timeoutMs: c.timeoutMs,
        withinMs: c.withinMs,
        intervalMs: c.intervalMs,
      };
    }),
  );
}

function short(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

export function describeExpectation(c: ResolvedHealthCheck): string {
  const parts = [`status ${c.expectStatus}`];
  if (c.bodyEquals !== undefined) parts.push(`body = "${short(c.bodyEquals, 64)}"`);
  if (c.bodyContains !== undefined) parts.push(`body contains "${short(c.bodyContains, 64)}"`);
  return parts.join(', ');
}

/** One attempt, bounded by the check's timeout (and the caller's signal). */
export async function probeOnce(c: ResolvedHealthCheck, signal?: AbortSignal): Promise<HealthAttempt> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(c.timeoutMs);
  const sig = signal ? AbortSignal.any([timeout, signal]) : timeout;
  const ms = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(c.url, { method: c.method, headers: c.headers, signal: sig, redirect: 'manual' });
    const body = c.method === 'HEAD' ? '' : await res.text();
    const errors: string[] = [];
    if (res.status !== c.expectStatus) errors.push(`status ${res.status}, expected ${c.expectStatus}`);
    const trimmed = body.trim();
    if (c.bodyEquals !== undefined && trimmed !== c.bodyEquals.trim())
      errors.push(`body "${short(trimmed, 80)}" differs from expected "${short(c.bodyEquals.trim(), 80)}"`);
    if (c.bodyContains !== undefined && !body.includes(c.bodyContains)) errors.push(`body does not contain "${short(c.bodyContains, 80)}"`);
    return { ok: errors.length === 0, status: res.status, body: short(body), durationMs: ms(), error: errors.length ? errors.join('; ') : undefined };
  } catch (e) {
    return { ok: false, durationMs: ms(), error: timeout.aborted ? `timed out after ${c.timeoutMs} ms` : describeFetchError(e) };
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface WaitHealthyOptions {
  signal?: AbortSignal;
  /** Called after every attempt (activities heartbeat here). */
  onAttempt?: (name: string, attempt: number, a: HealthAttempt) => void;
  /** Override every check's `withinMs` (e.g. "one shot" = 0). */
  withinMs?: number;
}

/** Retry one check until it passes or its window closes. */
export async function waitForCheck(c: ResolvedHealthCheck, opts: WaitHealthyOptions = {}): Promise<HealthCheckResult> {
  const started = performance.now();
  const within = opts.withinMs ?? c.withinMs;
  const deadline = started + within;
  let attempts = 0;
  let last: HealthAttempt;
  for (;;) {
    attempts++;
    last = await probeOnce(c, opts.signal);
    opts.onAttempt?.(c.name, attempts, last);
    if (last.ok || opts.signal?.aborted) break;
    const wait = Math.min(c.intervalMs, deadline - performance.now());
    if (wait <= 0) break;
    await sleep(wait, opts.signal);
    if (opts.signal?.aborted) break;
  }
  return {
    name: c.name,
    url: c.url,
    ok: last.ok,
    attempts,
    expected: describeExpectation(c),
    last,
    healthyAt: last.ok ? new Date().toISOString() : undefined,
    durationMs: Math.round(performance.now() - started),
  };
}

/** Run all checks in parallel, each retried within its window. ok when every check passed. */
export async function waitUntilHealthy(checks: readonly ResolvedHealthCheck[], opts: WaitHealthyOptions = {}): Promise<HealthReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const results = await Promise.all(checks.map((c) => waitForCheck(c, opts)));
  const ok = results.every((r) => r.ok);
  const healthyAt = ok
    ? results.length
      ? results
          .map((r) => r.healthyAt!)
          .sort()
          .at(-1)
      : startedAt.toISOString()
    : undefined;
  const report: HealthReport = { ok, healthyAt, startedAt: startedAt.toISOString(), durationMs: Math.round(performance.now() - t0), results };
  const log = logger().child({ component: 'failover.health' });
  if (ok) log.info({ checks: results.length, durationMs: report.durationMs }, 'health checks passed');
  else log.warn({ failed: results.filter((r) => !r.ok).map((r) => ({ name: r.name, attempts: r.attempts, error: r.last.error })) }, 'health checks failed');
  return report;
}

/** "2/3 checks failed: model-checksum: body ... differs ...; ..." for errors and reports. */
export function describeHealthFailure(report: HealthReport): string {
  const failed = report.results.filter((r) => !r.ok);
  return `${failed.length}/${report.results.length} health check(s) failed: ${failed
    .map((r) => `${r.name}: ${r.last.error ?? 'failed'} after ${r.attempts} attempt(s)`)
    .join('; ')}`;
}
