import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { z } from 'zod';
import { errorMessage } from '../common/errors';
import { logger } from '../common/logger';
import { runCommandAction, type ActionResult } from './actions';
import { readFileIfExists, writeFileAtomic } from './atomic-file';
import { CommandSpecSchema, type CommandSpec } from '../config/schema-fields';
import { resolveHealthChecks, sleep, waitForCheck } from './health';
import { HealthCheckSchema } from './health-check-schema';
import type { SideName, Site } from './site-schema';
import { Mutex, SwitchError, switcherVariables, type SwitchResult, type Switcher, type SwitcherKind } from './switcher';
import { renderTemplate } from './template';

export const FileReloadSwitcherSchema = z
  .object({
    type: z.literal('file-reload'),
    /** Config file rendered for the active side (e.g. an nginx upstream.conf); replaced atomically. */
    file: z.string().min(1),
    /** Inline template, e.g. "upstream model { server {{upstream}}; }". */
    template: z.string().min(1).optional(),
    /** Or a template file. */
    templateFile: z.string().min(1).optional(),
    /** Optional config test run after writing and before reloading (e.g. nginx -t); failure rolls the file back. */
    check: CommandSpecSchema.optional(),
    /** Reload command (e.g. nginx -s reload). Failure rolls the file back. */
    reload: CommandSpecSchema,
    /**
     * A reload is asynchronous (nginx -s reload returns once the signal is sent): this check,
     * through the traffic entry point, must pass before the switch counts as done. Its
     * bodyEquals and bodyContains are templates, e.g. bodyEquals "{{side}}" on a location that
     * returns a value the rendered file sets.
     */
    confirm: HealthCheckSchema.optional(),
    /**
     * After the confirm check first passes, wait this long and require it to pass again: nginx
     * keeps its old workers accepting new connections for 100 ms after the new ones start.
     */
    settleMs: z.number().int().nonnegative().max(60_000).default(0),
    /** Records the active side; default "<file>.state.json". */
    stateFile: z.string().min(1).optional(),
  })
  .strict();
export type FileReloadSwitcherSpec = z.infer<typeof FileReloadSwitcherSchema>;

export const fileReloadSwitcherKind: SwitcherKind<typeof FileReloadSwitcherSchema> = {
  schema: FileReloadSwitcherSchema,
  summary: "'file-reload' (rendered config file + reload command)",
  refine(spec, issue) {
    if (Boolean(spec.template) === Boolean(spec.templateFile)) issue(['template'], 'give exactly one of "template" or "templateFile"');
    if (spec.confirm?.bodyEqualsSha256Of) issue(['confirm', 'bodyEqualsSha256Of'], 'a switch confirmation cannot refer to a snapshot; use "bodyEquals"');
  },
  templates: (spec) => [
    ...(spec.template ? [{ text: spec.template, path: ['template'] }] : []),
    ...confirmTemplates(spec.confirm).map(([key, text]) => ({ text, path: ['confirm', key] })),
  ],
  resolvePaths(spec, abs) {
    const cmd = (c: CommandSpec | undefined) => (c && c.cwd ? { ...c, cwd: abs(c.cwd) } : c);
    return {
      ...spec,
      file: abs(spec.file),
      templateFile: spec.templateFile && abs(spec.templateFile),
      stateFile: spec.stateFile && abs(spec.stateFile),
      check: cmd(spec.check),
      reload: cmd(spec.reload)!,
    };
  },
  create: (spec, site) => new FileReloadSwitcher(spec, site),
};

/** What the state file records after a completed switch. */
const StateSchema = z.object({
  side: z.enum(['primary', 'standby']),
  upstream: z.string().optional(),
  /** SHA-256 of the config file content that was live after the reload. */
  sha256: z.string(),
  switchedAt: z.string(),
});
type State = z.infer<typeof StateSchema>;

type ConfirmCheck = z.infer<typeof HealthCheckSchema>;
const CONFIRM_TEMPLATE_FIELDS = ['bodyEquals', 'bodyContains'] as const;

type ConfirmTemplateField = (typeof CONFIRM_TEMPLATE_FIELDS)[number];

function confirmTemplates(c: ConfirmCheck | undefined): [ConfirmTemplateField, string][] {
  if (!c) return [];
  return CONFIRM_TEMPLATE_FIELDS.flatMap((k) => (c[k] === undefined ? [] : [[k, c[k]] as [ConfirmTemplateField, string]]));
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Moves traffic by rendering a config file for the target side (e.g. an nginx `upstream` block),
 * replacing it atomically, optionally testing the config, and running a reload command.
 *
 * Order: write file -> check -> reload -> write state. A failed check or reload puts the previous
 * file back, so the file on disk always matches what the server runs. The state file is written
 * only after a successful reload: if the worker dies in between, the next switchTo sees state
 * and file disagree, rewrites and reloads again (idempotent). switchTo to the side already live
 * (file and state agree) touches nothing.
 */
export class FileReloadSwitcher implements Switcher {
  readonly kind = 'file-reload' as const;
  private readonly lock = new Mutex();
  private readonly log = logger().child({ component: 'failover.file-reload-switcher' });
  private template?: string;

  constructor(
    private readonly spec: FileReloadSwitcherSpec,
    private readonly site: Pick<Site, 'name' | 'primary' | 'standby'>,
  ) {}

  get stateFile(): string {
    return this.spec.stateFile ?? `${this.spec.file}.state.json`;
  }

  private async loadTemplate(): Promise<string> {
    if (this.template === undefined) {
      this.template = this.spec.template ?? (await fs.readFile(this.spec.templateFile!, 'utf8'));
    }
    return this.template;
  }

  /** The config file content for `side`. */
  async render(side: SideName): Promise<string> {
    return renderTemplate(await this.loadTemplate(), switcherVariables(this.site, side), `switcher template of site ${this.site.name}`);
  }

  private async readState(): Promise<State | undefined> {
    const text = await readFileIfExists(this.stateFile);
    if (text === undefined) return undefined;
    const r = StateSchema.safeParse(safeJson(text));
    return r.success ? r.data : undefined;
  }

  async current(): Promise<SideName | 'unknown'> {
    const content = await readFileIfExists(this.spec.file);
    if (content === undefined) return 'unknown';
    const state = await this.readState();
    if (state) return state.sha256 === sha256(content) ? state.side : 'unknown';
    // No state yet (first use): recognise a file rendered for one side.
    const matches: SideName[] = [];
    for (const side of ['primary', 'standby'] as const) if ((await this.render(side)) === content) matches.push(side);
    return matches.length === 1 ? matches[0] : 'unknown';
  }

  switchTo(side: SideName): Promise<SwitchResult> {
    return this.lock.run(() => this.doSwitch(side));
  }

  private async doSwitch(side: SideName): Promise<SwitchResult> {
    const t0 = performance.now();
    const file = this.spec.file;
    const content = await this.render(side);
    const previousContent = await readFileIfExists(file);
    const previous = await this.current();
    const state = await this.readState();
    const done = (changed: boolean, detail: string): SwitchResult => {
      const r: SwitchResult = { side, previous, changed, at: new Date().toISOString(), durationMs: Math.round(performance.now() - t0), detail };
      this.log.info(
        { site: this.site.name, side, previous, changed, durationMs: r.durationMs },
        changed ? 'traffic switched' : 'already on the requested side',
      );
      return r;
    };

    if (previousContent === content && state?.side === side && state.sha256 === sha256(content)) {
      return done(false, `${file} already routes to ${side}; nothing to do`);
    }

    await writeFileAtomic(file, content);
    const rollback = async (why: string, r: ActionResult): Promise<never> => {
      let restored = 'previous file restored';
      try {
        if (previousContent === undefined) await fs.rm(file, { force: true });
        else await writeFileAtomic(file, previousContent);
      } catch (e) {
        restored = `could not restore the previous file: ${errorMessage(e)}`;
      }
      throw new SwitchError(
        `site ${this.site.name}: switch to ${side} failed: ${why} (${r.target}) ${r.error ?? ''}; ${restored}${r.outputTail ? `; output: ${r.outputTail.trim().slice(-500)}` : ''}`,
      );
    };
    if (this.spec.check) {
      const c = await runCommandAction(this.spec.check);
      if (!c.ok) await rollback('config check failed', c);
    }
    const reload = await runCommandAction(this.spec.reload);
    if (!reload.ok) await rollback('reload failed', reload);
    const confirmed = await this.confirm(side);

    const newState: State = { side, upstream: this.site[side].upstream, sha256: sha256(content), switchedAt: new Date().toISOString() };
    await writeFileAtomic(this.stateFile, `${JSON.stringify(newState, null, 2)}\n`);

    // Verify by re-reading what is on disk.
    const now = await this.current();
    if (now !== side) throw new SwitchError(`site ${this.site.name}: after the switch to ${side}, ${file} reads back as "${now}"`);
    return done(true, `${file} -> ${this.site[side].upstream ?? side}, reload ok in ${reload.durationMs} ms${confirmed}`);
  }

  /**
   * Waits until the confirm check passes for `side`. A check that never passes leaves the file
   * in place without a state record, so the next switchTo writes and reloads again.
   */
  private async confirm(side: SideName): Promise<string> {
    const spec = this.spec.confirm;
    if (!spec) return '';
    const vars = switcherVariables(this.site, side);
    const rendered = { ...spec };
    for (const [key, text] of confirmTemplates(spec)) rendered[key] = renderTemplate(text, vars, `switcher confirm.${key} of site ${this.site.name}`);
    const [check] = await resolveHealthChecks([rendered]);
    let r = await waitForCheck(check);
    if (r.ok && this.spec.settleMs > 0) {
      await sleep(this.spec.settleMs);
      r = await waitForCheck(check, { withinMs: 0 });
    }
    if (!r.ok) {
      throw new SwitchError(
        `site ${this.site.name}: switch to ${side}: the reload ran but ${check.name} did not confirm it within ${check.withinMs} ms (${r.attempts} attempt(s)): ${r.last.error ?? 'failed'}`,
      );
    }
    return `, confirmed by ${check.name} in ${r.durationMs} ms`;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
