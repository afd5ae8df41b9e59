import { logger } from '../common/logger';
import { runHttpAction } from './actions';
import { z } from 'zod';
import { HeadersSchema, HttpUrlSchema, StatusSchema, TimeoutMs } from '../config/schema-fields';
import type { SideName, Site } from './site-schema';
import { Mutex, SwitchError, switcherVariables, type SwitchResult, type Switcher, type SwitcherKind } from './switcher';
import { renderTemplate } from './template';

export const HttpSwitcherSchema = z
  .object({
    type: z.literal('http'),
    /** Admin API call that points the load balancer at a side. */
    url: z.string().min(1),
    method: z.enum(['POST', 'PUT', 'PATCH']).default('PUT'),
    headers: HeadersSchema,
    /** Request body template, e.g. '{"server": "{{upstream}}", "side": "{{side}}"}'. The URL may use placeholders too. */
    body: z.string().min(1),
    expectStatus: z.array(StatusSchema).min(1).optional(),
    timeoutMs: TimeoutMs(10_000),
    /** How to read the active side back (current()); without it current() is "unknown". */
    status: z
      .object({
        url: HttpUrlSchema,
        headers: HeadersSchema,
        /** Dot path into a JSON body (e.g. "active.server"); without it the whole trimmed body is compared. */
        field: z.string().min(1).optional(),
        timeoutMs: TimeoutMs(5_000),
      })
      .strict()
      .optional(),
  })
  .strict();
export type HttpSwitcherSpec = z.infer<typeof HttpSwitcherSchema>;

export const httpSwitcherKind: SwitcherKind<typeof HttpSwitcherSchema> = {
  schema: HttpSwitcherSchema,
  summary: "'http' (load balancer admin API)",
  templates: (spec) => [
    { text: spec.body, path: ['body'] },
    { text: spec.url, path: ['url'] },
  ],
  resolvePaths: (spec) => spec,
  create: (spec, site) => new HttpSwitcher(spec, site),
};

/**
 * Moves traffic with one call to a load balancer's admin API (HAProxy Data Plane API, Envoy,
 * a cloud LB, a service mesh...). The URL and body are templates over {{side}} and
 * {{upstream}}. With a `status` endpoint, current() reads the active side back and switchTo
 * verifies the change; without one, current() is 'unknown' and the call's status is the proof.
 */
export class HttpSwitcher implements Switcher {
  readonly kind = 'http' as const;
  private readonly lock = new Mutex();
  private readonly log = logger().child({ component: 'failover.http-switcher' });

  constructor(
    private readonly spec: HttpSwitcherSpec,
    private readonly site: Pick<Site, 'name' | 'primary' | 'standby'>,
  ) {}

  async current(): Promise<SideName | 'unknown'> {
    const st = this.spec.status;
    if (!st) return 'unknown';
    const r = await runHttpAction(
      { method: 'GET', url: st.url, headers: st.headers, timeoutMs: st.timeoutMs, expectStatus: undefined },
      { tailBytes: 64 * 1024 },
    );
    if (!r.ok) {
      this.log.warn({ site: this.site.name, error: r.error }, 'cannot read the active side');
      return 'unknown';
    }
    return this.sideOf(extractField(r.outputTail, st.field));
  }

  /** Map a status value ("standby", "127.0.0.1:9102") to a side. */
  private sideOf(value: string | undefined): SideName | 'unknown' {
    if (value === undefined) return 'unknown';
    const v = value.trim();
    for (const side of ['primary', 'standby'] as const) {
      if (v === side || (this.site[side].upstream && v === this.site[side].upstream)) return side;
    }
    return 'unknown';
  }

  switchTo(side: SideName): Promise<SwitchResult> {
    return this.lock.run(async () => {
      const t0 = performance.now();
      const previous = await this.current();
      const vars = switcherVariables(this.site, side);
      const url = renderTemplate(this.spec.url, vars, 'switcher.url');
      const body = renderTemplate(this.spec.body, vars, 'switcher.body');
      const r = await runHttpAction({
        method: this.spec.method,
        url,
        headers: { 'content-type': 'application/json', ...this.spec.headers },
        body,
        expectStatus: this.spec.expectStatus,
        timeoutMs: this.spec.timeoutMs,
      });
      if (!r.ok)
        throw new SwitchError(
          `site ${this.site.name}: switch to ${side} via ${r.target} failed: ${r.error}${r.outputTail ? ` (${r.outputTail.slice(0, 200)})` : ''}`,
        );
      if (this.spec.status) {
        const now = await this.current();
        if (now !== side) throw new SwitchError(`site ${this.site.name}: admin API accepted the switch to ${side} but reports "${now}"`);
      }
      const durationMs = Math.round(performance.now() - t0);
      const res: SwitchResult = {
        side,
        previous,
        changed: previous !== side,
        at: new Date().toISOString(),
        durationMs,
        detail: `${r.target} -> HTTP ${r.status} in ${r.durationMs} ms${this.spec.status ? ', verified' : ''}`,
      };
      this.log.info({ site: this.site.name, side, previous, durationMs }, 'traffic switched');
      return res;
    });
  }
}

/** Value at a dot path of a JSON body ("active.server"), or the whole trimmed body without a path. */
export function extractField(body: string, field: string | undefined): string | undefined {
  if (!field) return body.trim();
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  for (const k of field.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}
