import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { CLI_JS } from '../helpers/stack';

let dir: string;
let planFile: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-cli-keys-'));
  planFile = path.join(dir, 'plan.yaml');
  fs.writeFileSync(
    planFile,
    YAML.stringify({
      version: 1,
      repository: { url: pathToFileURL(path.join(dir, 'repo')).href, keyFile: path.join(dir, 'repo.key'), passwordEnv: 'REPO_PW' },
      assets: [],
    }),
  );
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], env: Record<string, string>) => {
  const r = spawnSync(process.execPath, [CLI_JS, '--plan', planFile, ...args], {
    env: { ...process.env, LEPTON_DR_LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('key add, list, passwd and remove from the CLI; the old password stops working', () => {
  const pw1 = { REPO_PW: 'first password' };
  const list1 = cli(['--json', 'key', 'list'], pw1);
  assert.equal(list1.code, 0, list1.err);
  assert.deepEqual(
    JSON.parse(list1.out).map((k: { id: string; current: boolean }) => [k.id, k.current]),
    [['config', true]],
  );

  const add = cli(['--json', 'key', 'add', '--new-password-env', 'NEW_PW', '--label', 'backup operator'], { ...pw1, NEW_PW: 'second password' });
  assert.equal(add.code, 0, add.err);
  const second = JSON.parse(add.out).added as string;

  const pw2 = { REPO_PW: 'second password' };
  assert.match(cli(['key', 'list'], pw2).out, new RegExp(`\\*\\s+${second}.*backup operator`));
  const selfRemove = cli(['key', 'remove', second], pw2);
  assert.equal(selfRemove.code, 2);
  assert.match(selfRemove.err, /opened the repository with/);
  assert.equal(cli(['key', 'remove', 'config'], pw2).code, 0);
  const stale = cli(['key', 'list'], pw1);
  assert.equal(stale.code, 2);
  assert.match(stale.err, /password is wrong/);

  const pwFile = path.join(dir, 'third');
  fs.writeFileSync(pwFile, 'third password\n');
  const passwd = cli(['key', 'passwd', '--new-password-file', pwFile], pw2);
  assert.equal(passwd.code, 0, passwd.err);
  assert.equal(cli(['key', 'list'], pw2).code, 2);
  assert.equal(cli(['key', 'list'], { REPO_PW: 'third password' }).code, 0);

  const bad = cli(['key', 'add'], { REPO_PW: 'third password' });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--new-password-file or --new-password-env/);
  assert.match(cli(['key', 'remove', '../x'], {}).err, /id: "\.\.\/x" is not a key id/);
});
