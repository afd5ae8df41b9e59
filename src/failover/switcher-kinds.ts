import { z } from 'zod';
import { fileReloadSwitcherKind } from './file-reload-switcher';
import { httpSwitcherKind } from './http-switcher';
import type { Site } from './site-schema';
import type { Switcher, SwitcherKind } from './switcher';

/** Every kind of switcher a site may name: the one registry line a new kind adds. */
const KINDS = [httpSwitcherKind, fileReloadSwitcherKind] as const;

type SchemasOf<K> = { -readonly [I in keyof K]: K[I] extends { schema: infer S } ? S : never };
const schemas = KINDS.map((k) => k.schema) as unknown as SchemasOf<typeof KINDS>;
const SWITCHER_TYPES = `must be a switcher with type ${KINDS.map((k) => k.summary).join(' or ')}`;

export const SwitcherSchema = z.discriminatedUnion('type', schemas, {
  errorMap: (issue, ctx) => (issue.code === 'invalid_union_discriminator' ? { message: SWITCHER_TYPES } : { message: ctx.defaultError }),
});
export type SwitcherSpec = z.infer<typeof SwitcherSchema>;
export type SwitcherType = SwitcherSpec['type'];

/** The kind of a parsed spec (SwitcherSchema admits no other). */
export function switcherKind(spec: SwitcherSpec): SwitcherKind<z.AnyZodObject> {
  const kind = KINDS.find((k) => k.schema.shape.type.value === spec.type);
  if (!kind) throw new Error(`switcher type "${spec.type}" is not registered`);
  return kind as unknown as SwitcherKind<z.AnyZodObject>;
}

/** The switcher a site's plan describes. Cheap: no I/O until current()/switchTo(). */
export function createSwitcher(site: Site): Switcher {
  return switcherKind(site.switcher).create(site.switcher, site);
}
