import { proxyActivities } from '@temporalio/workflow';
import { parseInput } from './parse-input';
import type { FailoverActivities } from '../activities/failover-activity-types';
import type { FailoverReport } from '../common/failover-report';
import { shortStep } from './activity-options';
import { ReportLookupSchema } from '../contracts/failover-inputs';
import type { SiteReadiness } from '../contracts/failover-types';

const steps = proxyActivities<FailoverActivities>({ ...shortStep, startToCloseTimeout: '1 minute' });

/** A stored failover/drill/failback report, so the CLI needs only Temporal access. Input: {"id": "..."} or {"site": "demo", "mode": "drill"}. */
export async function failoverReportWorkflow(rawInput: unknown): Promise<FailoverReport | null> {
  return steps.loadReport(parseInput(ReportLookupSchema, rawInput, 'report lookup'));
}

/** DR readiness of every site of the plan (lepton-dr status). Input: {}. */
export async function drStatusWorkflow(): Promise<SiteReadiness[]> {
  return steps.drStatus({});
}
