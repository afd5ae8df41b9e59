import fs from 'node:fs';
import { Command } from 'commander';
import { BadInputError } from '../../common/errors';
import { resolvePlan } from '../../config/load-plan';
import { addKey, changePassword, listKeys, removeKey } from '../../engine/repo/key-store';
import { openRepository } from '../../worker/open-repository';
import type { GlobalOptions } from '../context';
import { emit, table } from '../output';

/**
 * Passwords of an encrypted repository. Unlike every other command these talk to the
 * repository directly, on a host that holds the plan's credentials (a worker's): a password
 * must never travel through a workflow's input or history. The current password comes from the
 * plan (repository.passwordEnv / passwordFile), a new one from a file or an env var.
 */
interface NewPasswordFlags {
  newPasswordFile?: string;
  newPasswordEnv?: string;
  label?: string;
}

function newPassword(o: NewPasswordFlags): string {
  if (o.newPasswordFile && o.newPasswordEnv) throw new BadInputError('--new-password-file, --new-password-env: give one of them');
  if (o.newPasswordEnv) {
    const v = process.env[o.newPasswordEnv];
    if (!v) throw new BadInputError(`--new-password-env: environment variable ${o.newPasswordEnv} is not set`);
    return v;
  }
  if (o.newPasswordFile) {
    if (!fs.existsSync(o.newPasswordFile)) throw new BadInputError(`--new-password-file: ${o.newPasswordFile} does not exist`);
    return fs.readFileSync(o.newPasswordFile, 'utf8').trim();
  }
  throw new BadInputError('--new-password-file or --new-password-env: the new password is needed');
}

const withNewPassword = (c: Command) =>
  c
    .option('--new-password-file <file>', 'file holding the new password')
    .option('--new-password-env <var>', 'environment variable holding the new password')
    .option('--label <text>', 'a note kept with the key (who or what uses it)');

async function open(cmd: Command) {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  return { g, repo: await openRepository(resolvePlan(g.plan)) };
}

export function keyCommand(): Command {
  const key = new Command('key').description('manage the passwords of an encrypted repository (runs where the plan credentials are)');
  key
    .command('list')
    .description('list the keys; * marks the one the plan password opens')
    .action(async (_o: unknown, cmd: Command) => {
      const { g, repo } = await open(cmd);
      const keys = await listKeys(repo);
      emit(g.json, keys, () =>
        table([
          ['', 'ID', 'CREATED', 'HOST', 'LABEL'],
          ...keys.map((k) => [k.current ? '*' : '', k.id, k.created ?? '(repository creation)', k.host ?? '', k.label ?? '']),
        ]),
      );
    });
  withNewPassword(key.command('add').description('add a password (a new key wrapping the same master key)')).action(
    async (o: NewPasswordFlags, cmd: Command) => {
      const pw = newPassword(o);
      const { g, repo } = await open(cmd);
      const id = await addKey(repo, pw, o.label);
      emit(g.json, { added: id }, () => `added key ${id}`);
    },
  );
  key
    .command('remove <id>')
    .description('remove a key (not the last one, not the one the plan password opens)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      if (!/^([0-9a-f]{16}|config)$/.test(id)) throw new BadInputError(`id: "${id}" is not a key id (16 hex characters, or "config")`);
      const { g, repo } = await open(cmd);
      await removeKey(repo, id);
      emit(g.json, { removed: id }, () => `removed key ${id}`);
    });
  withNewPassword(key.command('passwd').description('replace the plan password by a new one (then update the plan password source)')).action(
    async (o: NewPasswordFlags, cmd: Command) => {
      const pw = newPassword(o);
      const { g, repo } = await open(cmd);
      const r = await changePassword(repo, pw, o.label);
      emit(g.json, r, () => `added key ${r.added}, removed key ${r.removed}: point repository.passwordEnv/passwordFile at the new password now`);
    },
  );
  return key;
}
