import { ApplicationFailure } from '@temporalio/activity';
import type { FailoverReport } from '../../src/common/failover-report';
import { FailureType } from '../../src/common/failure-types';
import type { SelectedSnapshot, SiteBrief } from '../../src/contracts/failover-types';

/** Mocked failover and restore activities for workflow tests (test/helpers/mocked-workflows.ts). */

export const SNAP: SelectedSnapshot = { asset: 'model', id: 'a'.repeat(32), time: '2026-12-01T10:00:00.000Z', files: 1, bytes: 10 };

export function brief(site: string, approval: SiteBrief['approval']): SiteBrief {
  const side = (dir: string) => ({
    upstream: `127.0.0.1:${dir === 'p' ? 1 : 2}`,
    restore: [{ asset: 'model', targetDir: `/srv/${dir}/model` }],
    health: 1,
    fence: true,
    unfence: true,
    afterRestore: true,
  });
  return {
    site,
    objectives: { rtoSeconds: 600, rpoSeconds: 3600 },
    approval,
    fencing: { at: 'start', drainMs: 0 },
    failbackFrom: 'standby',
    primary: side('p'),
    standby: side('s'),
    trafficChecks: 1,
    trafficOn: 'primary',
  };
}

/** Mocked failover and restore activities: each call is logged as "<activity> <what>"; `fail` names the one that throws. */
export function failoverMocks(site: SiteBrief, fail?: string) {
  const calls: string[] = [];
  const reports: FailoverReport[] = [];
  const log = (what: string) => {
    calls.push(what);
    if (what === fail) throw ApplicationFailure.create({ message: `mock: ${what} failed`, type: FailureType.HealthCheckFailed, nonRetryable: true });
  };
  const health = {
    ok: true,
    durationMs: 1,
    checks: [{ name: 'c', ok: true, attempts: 1, durationMs: 1 }],
    filesVerified: [],
    attempt: 1,
    healthyAt: new Date().toISOString(),
  };
  const activities = {
    openIncident: async () => (log('openIncident'), site),
    injectFault: async () => log('injectFault'),
    sideAction: async (i: { side: string; action: string }) => (
      log(`sideAction ${i.side} ${i.action}`),
      { ok: true, target: '-', durationMs: 1, detail: 'mock', attempt: 1 }
    ),
    selectSnapshots: async () => (log('selectSnapshots'), [SNAP]),
    preserveTarget: async () => (log('preserveTarget'), { existed: true, detail: 'kept aside' }),
    putBackTarget: async () => (log('putBackTarget'), { detail: 'put back' }),
    discardPreserved: async () => log('discardPreserved'),
    cleanDrill: async () => (log('cleanDrill'), { detail: 'clean' }),
    verifySide: async (i: { side: string }) => (log(`verifySide ${i.side}`), health),
    switchTraffic: async (i: { to: 'primary' | 'standby' }) => {
      log(`switchTraffic ${i.to}`);
      return { side: i.to, previous: 'primary' as const, changed: true, at: new Date().toISOString(), durationMs: 1, detail: 'mock', attempt: 1 };
    },
    checkTraffic: async () => (log('checkTraffic'), health),
    writeReport: async (i: { report: FailoverReport }) => (reports.push(i.report), { key: `reports/failover/${i.report.id}.json` }),
    planRestore: async (i: { restoreId: string; target: string }) => {
      log('planRestore');
      return {
        restoreId: i.restoreId,
        snapshotId: SNAP.id,
        snapshotTime: SNAP.time,
        asset: 'model',
        target: i.target,
        staging: `${i.target}.staging`,
        batches: 1,
        files: 1,
        bytes: 10,
      };
    },
    restoreBatch: async () => (log('restoreBatch'), { completed: '', itemsDone: 1, bytesDone: 10 }),
    finishRestore: async () => (log('finishRestore'), { target: '/srv/s/model', files: 1, bytes: 10 }),
    cleanupRestore: async () => log('cleanupRestore'),
    abortRestore: async () => log('abortRestore'),
  };
  return { activities, calls, reports };
}
