import { BadInputError } from '../common/errors';

/**
 * Minimal, strict "{{name}}" templates for switcher bodies and upstream config files.
 * No logic, no escaping rules to learn: a placeholder is replaced by the variable's text, an
 * unknown placeholder is an error (a typo must not render an empty upstream).
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Names of the placeholders used by a template, in order of first use, without duplicates. */
export function templateVariables(template: string): string[] {
  const seen = new Set<string>();
  for (const m of template.matchAll(PLACEHOLDER)) seen.add(m[1]);
  return [...seen];
}

/** Placeholders of `template` that `allowed` does not define. */
export function unknownTemplateVariables(template: string, allowed: Iterable<string>): string[] {
  const ok = new Set(allowed);
  return templateVariables(template).filter((v) => !ok.has(v));
}

/** Render `template`, throwing BadInputError naming every placeholder `vars` lacks. */
export function renderTemplate(template: string, vars: Readonly<Record<string, string>>, what = 'template'): string {
  const missing = unknownTemplateVariables(template, Object.keys(vars));
  if (missing.length) {
    throw new BadInputError(
      `${what}: unknown placeholder(s) ${missing.map((m) => `{{${m}}}`).join(', ')}; known: ${Object.keys(vars)
        .map((k) => `{{${k}}}`)
        .join(', ')}`,
    );
  }
  return template.replace(PLACEHOLDER, (_m, name: string) => vars[name]);
}
