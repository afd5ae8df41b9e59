/**
 * Minimal client for the Prometheus HTTP API `query_range` (global fetch, timeout, zod-validated
 * response) returning samples per series. Long ranges are split so no request asks for more
 * than `maxPointsPerRequest` points per series (Prometheus refuses more than 11,000).
 */
import { z } from 'zod';
import { BadInputError, LeptonError } from '../../common/errors';
import { formatZodError, parseOrThrow } from '../../common/zod-errors';
import type { Sample } from '../series';

export const prometheusConfigSchema = z
  .object({
    /** Base URL, e.g. http://prometheus:9090 (a path prefix is kept). */
    url: z.string().url(),
    timeoutMs: z.number().int().positive().default(10_000),
    headers: z.record(z.string(), z.string()).default({}),
    maxPointsPerRequest: z.number().int().positive().max(11_000).default(10_000),
  })
  .strict();
export type PrometheusConfig = z.input<typeof prometheusConfigSchema>;

export const queryRangeSchema = z
  .object({
    query: z.string().min(1),
    /** Epoch ms, inclusive. */
    start: z.number().finite(),
    end: z.number().finite(),
    stepMs: z.number().int().min(1),
  })
  .strict()
  .refine((q) => q.end >= q.start, { message: 'end must not be before start', path: ['end'] });
export type QueryRange = z.input<typeof queryRangeSchema>;

const sampleValue = z.tuple([z.number(), z.string()]);
const responseSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.object({
      resultType: z.literal('matrix'),
      result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(sampleValue).default([]) })),
    }),
    warnings: z.array(z.string()).optional(),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);

export interface SeriesSamples {
  /** Series identity: `name{label="value",...}` with labels sorted. */
  readonly id: string;
  readonly labels: Record<string, string>;
  readonly samples: Sample[];
}

/** Failure talking to Prometheus (retryable). */
export class PrometheusError extends LeptonError {
  constructor(message: string) {
    super(message, 'PROMETHEUS');
  }
}

/** `name{a="1",b="2"}` with labels sorted (the __name__ label becomes the prefix). */
export function seriesId(labels: Record<string, string>): string {
  const name = labels.__name__ ?? '';
  const rest = Object.keys(labels)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${rest.join(',')}}`;
}

function parseValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

async function fetchJson(url: URL, cfg: z.infer<typeof prometheusConfigSchema>): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...cfg.headers }, signal: AbortSignal.timeout(cfg.timeoutMs) });
  } catch (err) {
    const e = err as Error;
    const what = e.name === 'TimeoutError' || e.name === 'AbortError' ? `timed out after ${cfg.timeoutMs} ms` : e.message;
    throw new PrometheusError(`prometheus ${url.origin}: ${what}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new PrometheusError(`prometheus ${url.origin}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (res.status === 400 || res.status === 422) {
    const err = (body as { error?: unknown }).error;
    throw new BadInputError(`prometheus query rejected (HTTP ${res.status}): ${typeof err === 'string' ? err : text.slice(0, 200)}`);
  }
  if (!res.ok) throw new PrometheusError(`prometheus ${url.origin}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  return body;
}

/**
 * Runs a range query and returns one entry per series, samples sorted by time (values as
 * Prometheus sent them: NaN and Inf included, cleaning is the caller's preprocessing step).
 */
export async function queryRange(config: PrometheusConfig, q: QueryRange): Promise<SeriesSamples[]> {
  const cfg = parseOrThrow(prometheusConfigSchema, config, 'prometheus config');
  const query = parseOrThrow(queryRangeSchema, q, 'query_range');
  const base = new URL(cfg.url);
  const prefix = base.pathname.replace(/\/+$/, '');
  const span = query.stepMs * (cfg.maxPointsPerRequest - 1);
  const bySeries = new Map<string, SeriesSamples>();
  for (let from = query.start; from <= query.end; from += span + query.stepMs) {
    const to = Math.min(query.end, from + span);
    const url = new URL(`${prefix}/api/v1/query_range`, base);
    url.searchParams.set('query', query.query);
    url.searchParams.set('start', String(from / 1000));
    url.searchParams.set('end', String(to / 1000));
    url.searchParams.set('step', `${query.stepMs / 1000}s`);
    const body = await fetchJson(url, cfg);
    const r = responseSchema.safeParse(body);
    if (!r.success) throw new PrometheusError(`prometheus ${base.origin}: unexpected response: ${formatZodError(r.error)}`);
    if (r.data.status === 'error') {
      if (r.data.errorType === 'bad_data') throw new BadInputError(`prometheus query rejected: ${r.data.error}`);
      throw new PrometheusError(`prometheus ${base.origin}: ${r.data.errorType}: ${r.data.error}`);
    }
    for (const s of r.data.data.result) {
      const id = seriesId(s.metric);
      let entry = bySeries.get(id);
      if (!entry) {
        entry = { id, labels: s.metric, samples: [] };
        bySeries.set(id, entry);
      }
      for (const [ts, v] of s.values) entry.samples.push({ t: Math.round(ts * 1000), v: parseValue(v) });
    }
  }
  const out = [...bySeries.values()].sort((a, b) => a.id.localeCompare(b.id));
  for (const s of out) s.samples.sort((a, b) => a.t - b.t);
  return out;
}
