/**
 * The secrets this process knows of, and their redaction. A value is a secret when it came from
 * `${VAR}` substitution in the plan, is a header value, or sits under a key that names a secret
 * (token, password, secret, apiKey, authorization, credentials). The plan loader registers
 * them; logs, failure messages, report details and anything bound for a workflow history pass
 * through `redact` first. Process-wide on purpose: the logger and every failure path need it
 * without threading a redactor through each call.
 */

export const REDACTED = '***';
/** Shorter values ("1", "on") would blank out ordinary text; they are not treated as secrets. */
export const MIN_SECRET_LENGTH = 4;

const SECRET_KEY = /(token|password|passwd|secret|api[-_]?key|authorization|credential)/i;

const known = new Set<string>();
let ordered: string[] = [];

export function rememberSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH || known.has(value)) return;
  known.add(value);
  // the JSON-escaped form too, so a serialised log line is redacted as well
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) known.add(escaped);
  ordered = [...known].sort((a, b) => b.length - a.length);
}

/** Register header values and values under secret-named keys found anywhere in `value`. */
export function rememberSecretsIn(value: unknown, underSecretKey = false): void {
  if (typeof value === 'string') {
    if (underSecretKey) rememberSecret(value);
  } else if (Array.isArray(value)) {
    for (const v of value) rememberSecretsIn(v, underSecretKey);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) rememberSecretsIn(v, underSecretKey || k === 'headers' || SECRET_KEY.test(k));
  }
}

export function redact(text: string): string {
  let out = text;
  for (const s of ordered) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (!v || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/** A copy of `value` with every string in plain objects and arrays redacted; other objects (Date, Buffer, typed arrays) are left as they are. */
export function redactDeep<T>(value: T): T {
  if (ordered.length === 0) return value;
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  return value;
}

/** Tests: forget every registered secret. */
export function forgetSecrets(): void {
  known.clear();
  ordered = [];
}
