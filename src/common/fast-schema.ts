import type { z } from 'zod';

/**
 * Hand-written checks for the few documents read in bulk (tree blobs, plan pages), where zod's
 * generic path costs more than the rest of a no-change backup. A fast check either returns
 * exactly what its zod schema's parse would (same fields, same key order) or undefined: then the
 * zod schema decides, and builds the message naming the field. So the schema stays the one
 * statement of what is valid, and each fast check has a unit test against it.
 */
export type Fast<T> = (v: unknown) => T | undefined;

/** What readers of validated documents need of a schema: zod's safeParse contract. */
export interface Parser<T> {
  safeParse(v: unknown): z.SafeParseReturnType<unknown, T>;
}

export function withFastPath<S extends z.ZodTypeAny>(schema: S, fast: Fast<z.infer<S>>): Parser<z.infer<S>> {
  return {
    safeParse(v) {
      const data = fast(v);
      return data !== undefined ? { success: true, data } : schema.safeParse(v);
    },
  };
}

export type Rec = Record<string, unknown>;

/** Plain objects only (as JSON.parse makes): anything else is left to zod. */
export const plainObject = (v: unknown): v is Rec => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

export const str: Fast<string> = (v) => (typeof v === 'string' ? v : undefined);
export const nonEmptyStr: Fast<string> = (v) => (typeof v === 'string' && v.length > 0 ? v : undefined);
export const matching =
  (re: RegExp): Fast<string> =>
  (v) =>
    typeof v === 'string' && re.test(v) ? v : undefined;
/** z.number(): NaN is refused, Infinity is not */
export const num: Fast<number> = (v) => (typeof v === 'number' && !Number.isNaN(v) ? v : undefined);
export const intIn =
  (min: number, max = Infinity): Fast<number> =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : undefined;
export const literal =
  <L extends string | number | boolean>(l: L): Fast<L> =>
  (v) =>
    v === l ? l : undefined;

export const oneOf =
  <L extends string>(...values: L[]): Fast<L> =>
  (v) =>
    values.includes(v as L) ? (v as L) : undefined;

/** z.tuple(items) without a rest: exactly that many elements. */
export function tupleOf<T extends unknown[]>(...items: Fast<unknown>[]): Fast<T> {
  return (v) => {
    if (!Array.isArray(v) || v.length !== items.length) return undefined;
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) if ((out[i] = items[i](v[i])) === undefined) return undefined;
    return out as T;
  };
}

export function arrayOf<T>(item: Fast<T>): Fast<T[]> {
  return (v) => {
    if (!Array.isArray(v)) return undefined;
    const out = new Array<T>(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = item(v[i]);
      if (x === undefined) return undefined;
      out[i] = x;
    }
    return out;
  };
}

/** z.record(z.string()); a "__proto__" key (which zod drops) is left to zod. */
export const stringRecord: Fast<Record<string, string>> = (v) => {
  if (!plainObject(v)) return undefined;
  for (const k in v) if (typeof v[k] !== 'string' || k === '__proto__') return undefined;
  return v as Record<string, string>;
};

/** One field of a z.object, in the schema's key order. */
export type Field = readonly [name: string, check: Fast<unknown>, optional?: 'optional'];

/**
 * z.object(fields) on a plain object: its output in the schema's key order. A key zod would
 * strip (unknown) or keep as undefined (present but undefined) is left to zod.
 */
export function fastObject<T>(fields: readonly Field[]): Fast<T> {
  return (v) => {
    if (!plainObject(v)) return undefined;
    const out: Rec = {};
    let seen = 0;
    for (const [name, check, optional] of fields) {
      const x = v[name];
      if (x === undefined) {
        if (!optional || name in v) return undefined;
        continue;
      }
      const y = check(x);
      if (y === undefined) return undefined;
      out[name] = y;
      seen++;
    }
    return Object.keys(v).length === seen ? (out as T) : undefined;
  };
}

/** z.object(fields) in zod's default mode, which drops the keys it does not name instead of refusing them (a pick of a bigger document). */
export function strippedObject<T>(fields: readonly Field[]): Fast<T> {
  const names = new Set(fields.map(([name]) => name));
  const exact = fastObject<T>(fields);
  return (v) => {
    if (!plainObject(v)) return undefined;
    const keys = Object.keys(v);
    if (keys.every((k) => names.has(k))) return exact(v);
    const kept: Rec = {};
    for (const k of keys) if (names.has(k)) kept[k] = v[k];
    return exact(kept);
  };
}
