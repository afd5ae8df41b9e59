import { Client, Connection } from '@temporalio/client';
import { resolvePlan } from '../config/load-plan';
import type { Plan } from '../config/plan-schema';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { parsePlanSites } from '../failover/plan-sites';

export interface GlobalOptions {
  plan?: string;
  json?: boolean;
}

/** The plan and a Temporal client: everything the CLI does goes through Temporal. */
export async function connect(opts: GlobalOptions): Promise<{ plan: Plan; client: Client; close: () => Promise<void> }> {
  const plan = resolvePlan(opts.plan);
  parsePlanSites(plan, plan.baseDir ?? process.cwd()); // a broken site is refused now, not during an incident
  const options = temporalConnectionOptions(plan.temporal); // a missing certificate or API key is refused as such
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: '5s' });
  } catch (e) {
    throw new Error(`cannot reach Temporal at ${plan.temporal.address} (${(e as Error).message}); start the local stack with "lepton-dr up"`);
  }
  const client = new Client({ connection, namespace: plan.temporal.namespace });
  return { plan, client, close: () => connection.close() };
}

export function timestampId(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
