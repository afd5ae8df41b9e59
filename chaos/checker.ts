import fs from 'node:fs';
import path from 'node:path';
import { verifyRepository } from '../src/engine/maintenance/verify';
import { restoreDirect } from '../src/engine/direct';
import type { Repository } from '../src/engine/repo/repository';
import type { Ledger } from './ledger';
import { compareTreeState, readTreeState } from './tree-state';

export interface CheckReport {
  snapshotsInRepo: number;
  checked: number;
  unreported: number;
  tmpLeftover: string[];
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);

/**
 * The independent check after a scenario, with nothing else running: read the repository
 * directly; every snapshot a workflow reported committed (and nobody forgot) must be listed
 * with a valid signature, pass verify with read-data 1, and restore byte- and metadata-identical
 * to the source as it was when its backup started. Nothing may be left under tmp/.
 */
export async function checkRepository(repo: Repository, ledger: Ledger, scenario: number, workDir: string): Promise<CheckReport> {
  const invalid = new Map<string, string>();
  const listed = await repo.listSnapshots({}, (id, err) => invalid.set(id, err.message));
  const present = new Set(listed.map((s) => s.id));
  const live = ledger.live();
  for (const [id, e] of live) {
    if (present.has(id)) continue;
    ledger.broken.add(id);
    const why = invalid.get(id) ?? 'manifest missing from snapshots/';
    ledger.find(
      scenario,
      invalid.has(id) ? 'corrupt' : 'lost',
      `snapshot ${id.slice(0, 12)} of ${e.asset} (committed in scenario ${e.scenario} by ${e.workflowId}): ${why}`,
    );
  }

  const v = await verifyRepository(repo, { readData: 1 });
  // one finding per snapshot (a snapshot missing one pack has an error per file) and per other error
  const bySnapshot = new Map<string, string[]>();
  for (const err of v.errors) {
    if (ledger.verifyErrorsSeen.has(err)) continue;
    ledger.verifyErrorsSeen.add(err);
    const m = /snapshot ([0-9a-f]{32})/.exec(err);
    if (!m) ledger.find(scenario, 'verify', err.slice(0, 300));
    else if (!ledger.broken.has(m[1])) bySnapshot.set(m[1], [...(bySnapshot.get(m[1]) ?? []), err]);
  }
  for (const [id, errs] of bySnapshot) {
    ledger.find(
      scenario,
      'verify',
      `${errs.length} error(s) in snapshot ${id.slice(0, 12)}, first: ${errs[0].replace(/^snapshot [0-9a-f]{32}: /, '').slice(0, 200)}`,
    );
  }

  let checked = 0;
  const out = path.join(workDir, 'check');
  fs.mkdirSync(out, { recursive: true });
  for (const [id, e] of ledger.live()) {
    const target = path.join(out, `s${scenario}-${id.slice(0, 12)}`);
    try {
      await restoreDirect(repo, { snapshot: { id }, target, restoreId: `chaos-check-s${scenario}-${id.slice(0, 12)}` });
      const { diffs, mtimeDrift } = compareTreeState(e.state, readTreeState(target));
      ledger.mtimeDrift += mtimeDrift;
      if (diffs.length) {
        ledger.broken.add(id);
        ledger.find(scenario, 'corrupt', `snapshot ${id.slice(0, 12)} of ${e.asset} (scenario ${e.scenario}) restores different content: ${diffs.join('; ')}`);
      }
    } catch (err) {
      ledger.broken.add(id);
      ledger.find(scenario, 'corrupt', `snapshot ${id.slice(0, 12)} of ${e.asset} (scenario ${e.scenario}) does not restore: ${errText(err)}`);
    } finally {
      fs.rmSync(target, { recursive: true, force: true });
    }
    checked++;
  }
  ledger.counters.restoresChecked += checked;

  // snapshots no run reported (e.g. committed by a run that then failed): must at least restore
  let unreported = 0;
  for (const s of listed) {
    if (ledger.expected.has(s.id)) continue;
    unreported++;
    const target = path.join(out, `u${scenario}-${s.id.slice(0, 12)}`);
    try {
      await restoreDirect(repo, { snapshot: { id: s.id }, target, restoreId: `chaos-check-u${scenario}-${s.id.slice(0, 12)}` });
    } catch (err) {
      ledger.find(scenario, 'corrupt', `unreported snapshot ${s.id.slice(0, 12)} of ${s.asset} does not restore: ${errText(err)}`);
    } finally {
      fs.rmSync(target, { recursive: true, force: true });
    }
  }

  const tmp = (await repo.store.list('tmp/')).map((o) => o.key);
  return { snapshotsInRepo: listed.length, checked, unreported, tmpLeftover: tmp };
}
