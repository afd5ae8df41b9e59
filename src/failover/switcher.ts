import type { z } from 'zod';
import { LeptonError } from '../common/errors';
import type { Site, SideName } from './site-schema';
import type { SwitcherType } from './switcher-kinds';

/**
 * A switcher moves the traffic entry point between the two sides of a site. switchTo('primary')
 * is both failback and the compensation of switchTo('standby'). Both directions are idempotent:
 * switching to the side already active succeeds without disturbing traffic.
 *
 * switchTo throws SwitchError (retryable) when the move could not be made or verified; on a
 * failed file-reload switch the previous config is put back first, so a retry starts clean.
 */
export interface Switcher {
  readonly kind: SwitcherType;
  /** The side traffic is on, as far as the switcher can tell; 'unknown' when it cannot. */
  current(): Promise<SideName | 'unknown'>;
  switchTo(side: SideName): Promise<SwitchResult>;
}

/**
 * One kind of switcher (`switcher.type` in the plan): its plan schema and all that differs by
 * kind. A new kind is one file exporting its SwitcherKind plus one line in switcher-kinds.ts.
 */
export interface SwitcherKind<Schema extends z.AnyZodObject> {
  /** A strict object whose `type` is the kind's literal name. */
  schema: Schema;
  /** How the refusal of an unknown type describes this kind: "'http' (load balancer admin API)". */
  summary: string;
  /** Checks across the spec's fields; `issue` refuses the field at `path` (below `switcher`). */
  refine?(spec: z.output<Schema>, issue: (path: string[], message: string) => void): void;
  /** The spec's template texts, checked for unknown placeholders and the upstreams they need. */
  templates(spec: z.output<Schema>): { text: string; path: string[] }[];
  /** The spec with its file-system paths resolved by `abs` (against the plan file's folder). */
  resolvePaths(spec: z.output<Schema>, abs: (p: string) => string): z.output<Schema>;
  /** Cheap: no I/O until current()/switchTo(). */
  create(spec: z.output<Schema>, site: Pick<Site, 'name' | 'primary' | 'standby'>): Switcher;
}

export interface SwitchResult {
  side: SideName;
  previous: SideName | 'unknown';
  /** False when the side was already active and nothing was touched. */
  changed: boolean;
  /** ISO time the switch completed (reload done / admin API acknowledged). */
  at: string;
  durationMs: number;
  /** e.g. "upstream.conf -> 127.0.0.1:9102, reload ok in 12 ms". */
  detail: string;
}

/** The switch could not be made or verified. Retryable: it is usually a transient LB problem. */
export class SwitchError extends LeptonError {
  constructor(message: string) {
    super(message, 'SWITCH_FAILED');
  }
}

/** Values for {{side}}, {{upstream}}, {{primaryUpstream}}, {{standbyUpstream}}. */
export function switcherVariables(site: Pick<Site, 'primary' | 'standby'>, side: SideName): Record<string, string> {
  const vars: Record<string, string> = { side };
  if (site[side].upstream) vars.upstream = site[side].upstream!;
  if (site.primary.upstream) vars.primaryUpstream = site.primary.upstream;
  if (site.standby.upstream) vars.standbyUpstream = site.standby.upstream;
  return vars;
}

/** Serialise async operations (two switchTo calls in one process must not interleave). */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
