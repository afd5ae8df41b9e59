import { Command, Option } from 'commander';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { BadInputError, NotFoundError } from '../../common/errors';
import { parseOrThrow } from '../../common/zod-errors';
import {
  ApprovalDecisionSchema,
  drillWorkflowId,
  FailbackInputSchema,
  FailoverInputSchema,
  failoverWorkflowId,
  ReportLookupSchema,
} from '../../contracts/failover-inputs';
import { approveUpdate, failoverStatusQuery, rejectUpdate, type FailoverStatus } from '../../contracts/failover-messages';
import { connect, timestampId, type GlobalOptions } from '../context';
import { rootMessage } from '../errors';
import { triggerFailback, triggerFailover, type Triggered } from '../failover-trigger';
import { renderReport } from '../failover-format';
import { followFailover } from '../follow-failover';
import { emit, table } from '../output';
import { workflowRef } from '../../contracts/workflows';

interface StartFlags {
  site: string;
  mode: 'planned' | 'unplanned' | 'drill';
  snapshot?: string;
  before?: string;
  reason?: string;
  occurredAt?: string;
  approval: boolean;
  wait: boolean;
}

const isoFlag = (v: string | undefined, flag: string): string | undefined => {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new BadInputError(`${flag}: "${v}" is not a time (ISO 8601, e.g. 2026-11-27T10:00:00Z)`);
  return new Date(t).toISOString();
};

async function finish(g: GlobalOptions, t: Triggered, site: string, wait: boolean): Promise<void> {
  if (t.joined) process.stderr.write(`a ${t.workflowType} of ${site} is already running (${t.workflowId} ${t.runId}): joined it\n`);
  if (!wait)
    return emit(
      g.json,
      { workflowId: t.workflowId, runId: t.runId, joined: t.joined },
      () => `${t.joined ? 'joined' : 'started'} ${t.workflowId} (${t.runId})`,
    );
  const r = await followFailover(t.handle, !g.json && process.stderr.isTTY, site);
  if (g.json) emit(true, { ok: r.ok, error: r.error, report: r.report }, () => '');
  else emit(false, null, () => (r.report ? renderReport(r.report) : (r.error ?? 'finished')));
  if (!r.ok) process.exitCode = 1;
}

/** Connects, starts (or joins) the run and follows it, as the start and back commands do. */
async function trigger(g: GlobalOptions, start: (client: Client, taskQueue: string) => Promise<Triggered>, site: string, wait: boolean): Promise<void> {
  const { plan, client, close } = await connect(g);
  try {
    await finish(g, await start(client, plan.temporal.taskQueue), site, wait);
  } finally {
    await close();
  }
}

/** The run of a site that takes decisions: the failover/failback, or the drill with --drill. */
function handleFor(client: Client, site: string, drill?: boolean) {
  return client.workflow.getHandle(drill ? drillWorkflowId(site) : failoverWorkflowId(site));
}

async function decide(approve: boolean, o: { site: string; operator: string; comment?: string }, c: Command): Promise<void> {
  const g = c.optsWithGlobals<GlobalOptions>();
  const decision = parseOrThrow(ApprovalDecisionSchema, { operator: o.operator, ...(o.comment ? { comment: o.comment } : {}) }, 'approval flags');
  const { client, close } = await connect(g);
  try {
    const h = handleFor(client, o.site);
    let state;
    try {
      state = await h.executeUpdate(approve ? approveUpdate : rejectUpdate, { args: [decision] });
    } catch (e) {
      if (e instanceof WorkflowUpdateFailedError) throw new BadInputError(`refused: ${rootMessage(e)}`);
      throw e;
    }
    emit(g.json, state, () => `${approve ? 'approved' : 'rejected'} ${failoverWorkflowId(o.site)} as ${decision.operator}`);
  } finally {
    await close();
  }
}

export function failoverCommand(): Command {
  const cmd = new Command('failover').description('failover, drill and failback of a site (restore onto the standby, verify, approve, switch traffic)');

  cmd
    .command('start')
    .description('start a failover or drill of a site (joins the running one of that site, if any)')
    .requiredOption('--site <name>', 'site from the plan')
    .addOption(
      new Option('--mode <mode>', 'planned (graceful), unplanned (primary down) or drill (isolated, never switches)')
        .choices(['planned', 'unplanned', 'drill'])
        .default('planned'),
    )
    .option('--snapshot <id>', 'restore this snapshot (default: the newest verified one)')
    .option('--before <time>', 'point in time: the newest snapshot taken at or before this time')
    .option('--reason <text>', 'why (shown in the report)')
    .option('--occurred-at <time>', 'when the failure began, if earlier than now (RTO/RPO count from it)')
    .option('--no-approval', 'skip the approval gate')
    .option('--no-wait', 'start and return the workflow id')
    .action(async (o: StartFlags, c: Command) => {
      const g = c.optsWithGlobals<GlobalOptions>();
      const input = {
        site: o.site,
        mode: o.mode,
        source: 'cli',
        reason: o.reason ?? '',
        ...(o.snapshot ? { snapshot: o.snapshot } : {}),
        ...(o.before ? { before: isoFlag(o.before, '--before') } : {}),
        ...(o.occurredAt ? { occurredAt: isoFlag(o.occurredAt, '--occurred-at') } : {}),
        ...(o.approval ? {} : { skipApproval: true }),
      };
      parseOrThrow(FailoverInputSchema, input, 'failover flags');
      await trigger(g, (client, taskQueue) => triggerFailover(client, taskQueue, input), o.site, o.wait);
    });

  cmd
    .command('back')
    .description('fail back to the recovered primary (back up the standby, restore onto the primary, verify, switch back, unfence)')
    .requiredOption('--site <name>', 'site from the plan')
    .addOption(new Option('--from <source>', "the standby's data (backed up now) or the newest snapshot").choices(['standby', 'snapshot']))
    .option('--snapshot <id>', 'with --from snapshot: this snapshot')
    .option('--before <time>', 'with --from snapshot: the newest snapshot at or before this time')
    .option('--reason <text>', 'why (shown in the report)')
    .option('--force', 'even if the switcher does not report traffic on the standby')
    .option('--no-approval', 'skip the approval gate')
    .option('--no-wait', 'start and return the workflow id')
    .action(async (o: StartFlags & { from?: 'standby' | 'snapshot'; force?: boolean }, c: Command) => {
      const g = c.optsWithGlobals<GlobalOptions>();
      const input = {
        site: o.site,
        source: 'cli',
        reason: o.reason ?? '',
        ...(o.from ? { from: o.from } : {}),
        ...(o.snapshot ? { snapshot: o.snapshot } : {}),
        ...(o.before ? { before: isoFlag(o.before, '--before') } : {}),
        ...(o.force ? { force: true } : {}),
        ...(o.approval ? {} : { skipApproval: true }),
      };
      parseOrThrow(FailbackInputSchema, input, 'failback flags');
      await trigger(g, (client, taskQueue) => triggerFailback(client, taskQueue, input), o.site, o.wait);
    });

  for (const approve of [true, false]) {
    cmd
      .command(approve ? 'approve' : 'reject')
      .description(approve ? 'approve the failover/failback waiting at its approval gate' : 'reject a running failover/failback: it compensates and aborts')
      .requiredOption('--site <name>', 'site from the plan')
      .requiredOption('--operator <name>', 'who decides (recorded in the report)')
      .option('--comment <text>', 'why')
      .action((o: { site: string; operator: string; comment?: string }, c: Command) => decide(approve, o, c));
  }

  /** A command on the site's running failover (or drill), with the Temporal handle open for `run`. */
  const onSiteRun = (
    name: string,
    description: string,
    run: (h: ReturnType<typeof handleFor>, o: { site: string; drill?: boolean }, g: GlobalOptions) => Promise<void>,
  ) =>
    cmd
      .command(name)
      .description(description)
      .requiredOption('--site <name>', 'site from the plan')
      .option('--drill', 'the drill run instead')
      .action(async (o: { site: string; drill?: boolean }, c: Command) => {
        const g = c.optsWithGlobals<GlobalOptions>();
        const { client, close } = await connect(g);
        try {
          await run(handleFor(client, o.site, o.drill), o, g);
        } finally {
          await close();
        }
      });

  onSiteRun('status', "current step, steps so far and approval state of the site's failover (or drill)", async (h, o, g) => {
    let d;
    try {
      d = await h.describe();
    } catch {
      throw new NotFoundError(
        `no ${o.drill ? 'drill' : 'failover'} of site ${o.site} has run (${o.drill ? drillWorkflowId(o.site) : failoverWorkflowId(o.site)})`,
      );
    }
    const s: FailoverStatus = await h.query(failoverStatusQuery);
    emit(g.json, { status: d.status.name, type: d.type, ...s }, () =>
      [
        `${d.type} ${d.workflowId} (${d.runId}): ${d.status.name}, step ${s.step}, approval ${s.approval.phase}${s.approval.deadline && s.approval.phase === 'waiting' ? ` until ${s.approval.deadline}` : ''}`,
        table([['STEP', 'STATUS', 'DETAIL'], ...s.report.steps.map((x) => [x.name, x.status, (x.error ?? x.detail ?? '').slice(0, 100)])]),
        ...(s.report.compensations.length ? ['undone: ' + s.report.compensations.map((x) => `${x.name} (${x.status})`).join(', ')] : []),
      ].join('\n'),
    );
  });

  onSiteRun('cancel', 'cancel the running failover (or drill): its compensations run, traffic goes back', async (h, _o, g) => {
    await h.cancel();
    emit(g.json, { cancelled: true }, () => `cancellation requested; the run compensates`);
  });

  cmd
    .command('report')
    .argument('[id]', 'report id (failover-<site>-<run>), as printed at the end of a run')
    .description('show a stored failover, drill or failback report (or the newest of a site)')
    .option('--site <name>', "the site's newest report")
    .addOption(new Option('--mode <mode>', 'with --site: of this mode').choices(['planned', 'unplanned', 'drill', 'failback']))
    .option('--successful', 'with --site: the newest successful one')
    .action(async (id: string | undefined, o: { site?: string; mode?: string; successful?: boolean }, c: Command) => {
      const g = c.optsWithGlobals<GlobalOptions>();
      const lookup = parseOrThrow(
        ReportLookupSchema,
        { ...(id ? { id } : {}), ...(o.site ? { site: o.site } : {}), ...(o.mode ? { mode: o.mode } : {}), ...(o.successful ? { successful: true } : {}) },
        'report flags',
      );
      const { plan, client, close } = await connect(g);
      try {
        const r = await client.workflow.execute(workflowRef('failoverReportWorkflow'), {
          taskQueue: plan.temporal.taskQueue,
          workflowId: `failover-report-${timestampId()}-${process.pid}`,
          args: [lookup],
        });
        if (!r) throw new NotFoundError(`no report ${id ?? `for site ${o.site}`}`);
        emit(g.json, r, () => renderReport(r));
      } finally {
        await close();
      }
    });
  return cmd;
}
