import { stepDurations, type FailoverReport } from '../src/common/failover-report';
import { triggerFailover } from '../src/cli/failover-trigger';
import { approveUpdate, failoverStatusQuery } from '../src/contracts/failover-messages';
import { backupDemo, extendPlan, outcomeOf, resetDemo, startDemo, waitFor, type DemoSite } from '../test/helpers/failover-demo';
import { startLoad } from '../test/helpers/load';
import { startStack } from '../test/helpers/stack';
import type { BenchContext, BenchRow } from './sections';

/**
 * Failover benchmark on the demo site (real Temporal, SeaweedFS, nginx, two model servers):
 *  - a planned failover (approval skipped) under a steady request load through nginx: RTO and
 *    its breakdown (restore of the model files, verification, switch, validation), failed requests,
 *    orchestration overhead = RTO - restore time;
 *  - a planned failover with an approval: switch done / traffic healthy after the approval.
 * The model folder holds model.json and a weights file of 64 MiB x scale.
 */
export async function benchFailover(ctx: Partial<BenchContext> = {}): Promise<Record<string, number> & { rows: BenchRow[] }> {
  const scale = ctx.scale ?? 1;
  const weightsBytes = Math.max(1, Math.round(64 * scale)) * 1024 * 1024;
  const stack = await startStack();
  let demo: DemoSite | undefined;
  try {
    const d = await startDemo(stack, { name: 'bench', weightsBytes });
    extendPlan(stack, [{ name: 'model', source: d.primaryDir }], [d.config()]);
    stack.startWorker();
    demo = { ...d, snapshotId: await backupDemo(stack, d) };

    // warm-up: worker start, workflow cache, S3 connections (a drill touches everything but traffic)
    await outcomeOf((await triggerFailover(stack.client, stack.taskQueue, { site: 'bench', mode: 'drill', source: 'bench' })).handle);

    // 1. planned failover under load, no approval
    await resetDemo(demo);
    const load = startLoad(`${demo.nginx.url}/predict?x=1,2,3`, { lanes: 4, ratePerLane: 100, maxMs: 120_000 });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    const planned = await outcomeOf(
      (await triggerFailover(stack.client, stack.taskQueue, { site: 'bench', mode: 'planned', skipApproval: true, source: 'bench' })).handle,
    );
    const wallMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 300));
    const stats = await load.stop();
    if (!planned.ok) throw new Error(`planned failover failed: ${planned.error}`);
    const r: FailoverReport = planned.report;
    process.stderr.write(
      `failover steps: ${r.steps.map((s) => `${s.name} ${s.status} ${s.endedAt ? Date.parse(s.endedAt) - Date.parse(s.startedAt) : '-'}ms`).join(', ')}\n`,
    );
    const steps = stepDurations(r);
    const rtoMs = r.rtoMs ?? NaN;

    // 2. planned failover with an approval: what happens after the operator says yes
    await resetDemo(demo);
    const t = await triggerFailover(stack.client, stack.taskQueue, { site: 'bench', mode: 'planned', source: 'bench' });
    await waitFor('the approval gate', async () => ((await t.handle.query(failoverStatusQuery)).approval.phase === 'waiting' ? true : undefined), 120_000);
    const approvedAt = Date.now();
    await t.handle.executeUpdate(approveUpdate, { args: [{ operator: 'bench' }] });
    const approved = await outcomeOf(t.handle);
    if (!approved.ok) throw new Error(`approved failover failed: ${approved.error}`);
    const sw = approved.report.steps.find((s) => s.name === 'switch')!;
    const switchAfterApprovalMs = Date.parse(sw.endedAt!) - approvedAt;
    const healthyAfterApprovalMs = Date.parse(approved.report.healthyAt!) - approvedAt;

    const figures: Record<string, number> = {
      modelBytes: weightsBytes,
      rtoMs,
      wallMs: Math.round(wallMs),
      restoreMs: steps.restore ?? NaN,
      verifyMs: steps.verify ?? NaN,
      switchMs: steps.switch ?? NaN,
      validateMs: steps.validate ?? NaN,
      selectSnapshotMs: steps['select-snapshot'] ?? NaN,
      fenceMs: steps.fence ?? NaN,
      reportMs: steps.report ?? NaN,
      orchestrationOverheadMs: rtoMs - (steps.restore ?? 0),
      requests: stats.requests,
      failedRequests: stats.failed,
      keepAliveRetries: stats.retried,
      switchAfterApprovalMs,
      trafficHealthyAfterApprovalMs: healthyAfterApprovalMs,
    };
    const rows: BenchRow[] = [
      { metric: 'failover RTO (planned, no approval)', value: rtoMs, unit: 'ms' },
      { metric: `  restore of the model files (${weightsBytes / 1048576} MiB)`, value: figures.restoreMs, unit: 'ms' },
      { metric: '  verification of the standby', value: figures.verifyMs, unit: 'ms' },
      { metric: '  switch (nginx file + reload)', value: figures.switchMs, unit: 'ms' },
      { metric: '  validation through nginx', value: figures.validateMs, unit: 'ms' },
      { metric: 'switch step done after approval', value: switchAfterApprovalMs, unit: 'ms', target: '< 1000 ms', pass: switchAfterApprovalMs < 1000 },
      { metric: 'failed requests during a planned failover', value: stats.failed, unit: `of ${stats.requests}`, target: '0', pass: stats.failed === 0 },
      {
        metric: 'orchestration overhead (RTO - restore)',
        value: figures.orchestrationOverheadMs,
        unit: 'ms',
        target: '< 5000 ms',
        pass: figures.orchestrationOverheadMs < 5000,
      },
    ];
    return Object.assign(figures, { rows });
  } finally {
    await demo?.stop();
    await stack.stop();
  }
}

if (require.main === module) {
  benchFailover({ scale: Number(process.argv[2] ?? 1) }).then(
    (r) => {
      for (const row of r.rows)
        process.stdout.write(
          `${row.metric.padEnd(50)} ${String(Math.round(Number(row.value))).padStart(8)} ${row.unit ?? ''}${row.target ? `  target ${row.target}: ${row.pass ? 'PASS' : 'MISS'}` : ''}\n`,
        );
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
