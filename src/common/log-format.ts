import { z } from 'zod';
import { BadInputError } from './errors';
import { formatIssues } from './schema-primitives';

/**
 * How log lines look: JSON (one object a line, for collectors and files) or short human lines
 * for a terminal. JSON unless stdout is a terminal; LEPTON_DR_LOG_FORMAT overrides either way.
 */
export type LogFormat = 'json' | 'pretty';

const LogFormatEnvSchema = z.object({
  LEPTON_DR_LOG_FORMAT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.enum(['json', 'pretty'], { errorMap: () => ({ message: 'must be "json" or "pretty"' }) }).optional(),
  ),
});

export function chooseLogFormat(env: NodeJS.ProcessEnv, isTTY: boolean): LogFormat {
  const r = LogFormatEnvSchema.safeParse({ LEPTON_DR_LOG_FORMAT: env.LEPTON_DR_LOG_FORMAT });
  if (!r.success) throw new BadInputError(`environment: ${formatIssues(r.error)}`);
  return r.data.LEPTON_DR_LOG_FORMAT ?? (isTTY ? 'pretty' : 'json');
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' };
/** Fields every line carries or that the line already shows. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'component', 'sdk', 'v']);
export const MAX_FIELDS = 6;
const MAX_VALUE = 80;

function short(v: unknown): string {
  let s: string;
  if (typeof v === 'string') s = /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  else if (v instanceof Object && 'message' in v && typeof (v as { message: unknown }).message === 'string')
    s = JSON.stringify((v as { message: string }).message);
  else s = JSON.stringify(v) ?? String(v);
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
}

function clock(time: unknown): string {
  const d = typeof time === 'string' || typeof time === 'number' ? new Date(time) : new Date(NaN);
  return Number.isNaN(d.getTime()) ? '--:--:--.---' : d.toISOString().slice(11, 23);
}

/**
 * One pino JSON line as "12:04:05.123 INFO  stack  local stack ready  ui=http://... worker=4242":
 * time (UTC), level, component, message, then up to MAX_FIELDS other fields. A line that is not
 * a JSON object passes through as it is.
 */
export function formatLogLine(line: string, o: { color?: boolean } = {}): string {
  let rec: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return line.endsWith('\n') ? line : `${line}\n`;
    rec = parsed as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const lvl = typeof rec.level === 'number' ? rec.level : 30;
  let level = (LEVELS[lvl] ?? String(lvl)).padEnd(5);
  if (o.color) level = `\x1b[${COLORS[lvl] ?? '0'}m${level}\x1b[0m`;
  const component = typeof rec.component === 'string' ? rec.component : rec.sdk ? 'sdk' : '';
  const fields = Object.entries(rec).filter(([k, v]) => !HIDDEN.has(k) && v !== undefined);
  const shown = fields.slice(0, MAX_FIELDS).map(([k, v]) => `${k}=${short(v)}`);
  if (fields.length > MAX_FIELDS) shown.push(`(+${fields.length - MAX_FIELDS})`);
  const msg = typeof rec.msg === 'string' ? rec.msg : '';
  return `${[clock(rec.time), level, component.padEnd(6), msg].join(' ')}${shown.length ? `  ${shown.join(' ')}` : ''}\n`;
}

/** A pino destination that writes each (already redacted) JSON line as a human line. */
export function prettyDestination(out: NodeJS.WritableStream & { isTTY?: boolean }): { write(chunk: string): boolean } {
  const color = Boolean(out.isTTY);
  return {
    write: (chunk: string) =>
      out.write(
        chunk
          .split('\n')
          .filter(Boolean)
          .map((l) => formatLogLine(l, { color }))
          .join(''),
      ),
  };
}
