import { Command } from 'commander';
import { ScheduleNotFoundError, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Plan } from '../../config/plan-schema';
import { connect, type GlobalOptions } from '../context';
import { emit, table } from '../output';
import { desiredSchedules, MANAGED_MEMO } from '../schedule-specs';

export interface ApplyResult {
  created: string[];
  updated: string[];
  deleted: string[];
}

/** Create or update every schedule the plan asks for; delete managed ones it no longer names. Idempotent. */
export async function applySchedules(client: Client, plan: Plan): Promise<ApplyResult> {
  const want = desiredSchedules(plan);
  const out: ApplyResult = { created: [], updated: [], deleted: [] };
  for (const s of want) {
    const handle = client.schedule.getHandle(s.scheduleId);
    try {
      await handle.describe();
      await handle.update(
        (prev) =>
          ({
            ...prev,
            spec: s.spec,
            action: s.action,
            policies: s.policies,
            state: { ...prev.state, paused: s.state?.paused ?? false, note: s.state?.note },
          }) as never,
      );
      out.updated.push(s.scheduleId);
    } catch (e) {
      if (!(e instanceof ScheduleNotFoundError)) throw e;
      await client.schedule.create(s as ScheduleOptions);
      out.created.push(s.scheduleId);
    }
  }
  const wanted = new Set(want.map((s) => s.scheduleId));
  for await (const s of client.schedule.list()) {
    if (s.memo?.managedBy === MANAGED_MEMO.managedBy && !wanted.has(s.scheduleId)) {
      await client.schedule.getHandle(s.scheduleId).delete();
      out.deleted.push(s.scheduleId);
    }
  }
  return out;
}

export function schedulesCommand(): Command {
  const cmd = new Command('schedules').description('Temporal Schedules made from the plan');
  cmd
    .command('apply')
    .description('create or update one backup schedule per asset set with a schedule (idempotent)')
    .action(async (_o: unknown, c: Command) => {
      const g = c.optsWithGlobals<GlobalOptions>();
      const { plan, client, close } = await connect(g);
      try {
        const r = await applySchedules(client, plan);
        emit(g.json, r, () => `created: ${r.created.join(', ') || '-'}\nupdated: ${r.updated.join(', ') || '-'}\ndeleted: ${r.deleted.join(', ') || '-'}`);
      } finally {
        await close();
      }
    });
  cmd
    .command('list')
    .description('list the schedules on the namespace')
    .action(async (_o: unknown, c: Command) => {
      const g = c.optsWithGlobals<GlobalOptions>();
      const { client, close } = await connect(g);
      try {
        const rows: { id: string; workflowType?: string; spec: string; paused: boolean; next?: string; managed: boolean }[] = [];
        for await (const s of client.schedule.list()) {
          const d = await client.schedule.getHandle(s.scheduleId).describe();
          const spec = [...(d.spec.intervals ?? []).map((i) => `every ${Number(i.every) / 1000}s`), ...(d.spec.calendars?.length ? ['calendar'] : [])].join(
            ', ',
          );
          rows.push({
            id: s.scheduleId,
            workflowType: d.action.type === 'startWorkflow' ? d.action.workflowType : undefined,
            spec,
            paused: d.state.paused,
            next: d.info.nextActionTimes[0]?.toISOString(),
            managed: s.memo?.managedBy === MANAGED_MEMO.managedBy,
          });
        }
        rows.sort((a, b) => a.id.localeCompare(b.id));
        emit(g.json, rows, () =>
          table([
            ['ID', 'WORKFLOW', 'SPEC', 'PAUSED', 'NEXT RUN'],
            ...rows.map((r) => [r.id, r.workflowType ?? '-', r.spec || '-', String(r.paused), r.next ?? '-']),
          ]),
        );
      } finally {
        await close();
      }
    });
  return cmd;
}
