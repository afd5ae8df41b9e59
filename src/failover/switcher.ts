import { LeptonError } from '../common/errors';
import type { Site, SideName } from './site-schema';

/**
 * A switcher moves the traffic entry point between the two sides of a site. switchTo('primary')
 * is both failback and the compensation of switchTo('standby'). Both directions are idempotent:
 * switching to the side already active succeeds without disturbing traffic.
 *
 * switchTo throws SwitchError (retryable) when the move could not be made or verified; on a
 * failed file-reload switch the previous config is put back first, so a retry starts clean.
 */
export interface Switcher {
  readonly kind: 'http' | 'file-reload';
  /** The side traffic is on, as far as the switcher can tell; 'unknown' when it cannot. */
  current(): Promise<SideName | 'unknown'>;
  switchTo(side: SideName): Promise<SwitchResult>;
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
