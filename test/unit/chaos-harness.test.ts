import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs } from '../../chaos/args';
import { Rng } from '../../chaos/rng';
import { generateScenario } from '../../chaos/scenario';
import { pickBatchOnlyWorker } from '../../chaos/temporal-ops';
import { compareTreeState, type TreeState } from '../../chaos/tree-state';

const gen = (seed: number, index: number) =>
  generateScenario(new Rng(seed).fork(`scenario-${index}`), index, { scale: 1, assets: ['alpha', 'beta'], restartIn: new Set([1]) });

describe('chaos harness: replay', () => {
  it('the same seed draws the same scenarios; another seed draws others', () => {
    assert.deepEqual(gen(7, 2), gen(7, 2));
    assert.notDeepEqual(gen(7, 2), gen(8, 2));
  });

  it('forked streams do not shift each other', () => {
    const a = new Rng(3);
    const first = a.fork('x').next();
    a.fork('y').next();
    assert.equal(new Rng(3).fork('x').next(), first);
  });

  it('only the scenario chosen for it restarts the server, and the first scenario restores nothing yet', () => {
    assert.ok(gen(5, 1).serverRestart);
    assert.equal(gen(5, 2).serverRestart, undefined);
    assert.deepEqual(gen(5, 0).restores, []);
  });

  it('parses its command line and refuses nonsense', () => {
    assert.deepEqual(parseArgs(['--seed', '9', '--scale', '2', '--scenarios', '4', '--repeat', '3']), {
      seed: 9,
      scale: 2,
      scenarios: 4,
      keep: false,
      faultRate: 0.1,
      repeat: 3,
    });
    assert.throws(() => parseArgs(['--scenarios', '0']), /--scenarios: expected a number >= 1/);
    assert.throws(() => parseArgs(['--bogus']), /unknown argument --bogus/);
  });
});

describe('chaos harness: what counts as a wrong restore', () => {
  const file = (over: Partial<TreeState[string]> = {}): TreeState[string] => ({
    type: 'file',
    mode: 0o644,
    mtimeNs: '1700000000123456789',
    size: 3,
    sha256: 'a'.repeat(64),
    ...over,
  });

  it('bytes, mode, mtime beyond the tolerance, link targets, missing and extra entries', () => {
    const exp: TreeState = { f: file(), l: { type: 'symlink', mode: 0o777, mtimeNs: '1', target: 'f' }, gone: file() };
    const got: TreeState = {
      f: file({ sha256: 'b'.repeat(64), mode: 0o600, mtimeNs: '1700000000123556789' }),
      l: { type: 'symlink', mode: 0o777, mtimeNs: '5', target: 'g' },
      extra: file(),
    };
    const { diffs } = compareTreeState(exp, got);
    assert.deepEqual(diffs, [
      'f: content differs (size 3, expected 3, digest differs)',
      'f: mode 600, expected 644',
      'f: mtime off by 100000 ns',
      'l: link target g, expected f',
      'gone: missing',
      'extra: not in the snapshot',
    ]);
  });

  it('sub-10-microsecond mtime differences are drift, not corruption', () => {
    const r = compareTreeState({ f: file() }, { f: file({ mtimeNs: '1700000000123455000' }) });
    assert.deepEqual(r, { diffs: [], mtimeDrift: 1 });
  });
});

describe('chaos harness: which worker to kill', () => {
  const act = (pid: number, type: string, workflowId = 'w') => ({ workflowId, activityId: '1', type, pid });

  it('a worker that runs a target batch and nothing but batches', () => {
    const acts = [act(1, 'restoreBatch', 'r'), act(1, 'commitBackup'), act(2, 'restoreBatch', 'r'), act(2, 'backupBatch')];
    assert.equal(pickBatchOnlyWorker(acts, new Set(['r']), 'restoreBatch', [1, 2]), 2);
  });

  it('none when every candidate also runs a short step (its retry would wait 2 minutes)', () => {
    assert.equal(pickBatchOnlyWorker([act(1, 'backupBatch'), act(1, 'planBackup')], new Set(['w']), 'backupBatch', [1]), undefined);
  });
});
