import type { Logger } from '../common/logger';
import { loadPlanFile } from '../config/load-plan';
import { localS3Env, type LocalStackEndpoints } from './stack-endpoints';
import type { LocalStackPorts } from './stack-ports';

const isLocalHost = (h: string) => ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(h);

/**
 * The worker's environment. Without a plan file, the built-in plan of the local stack is pointed
 * at the actual ports; with one, the local S3 credentials are given only if its repository is
 * the local S3 (a plan for real S3 keeps the standard AWS credential chain).
 */
export function workerEnvFor(
  planFile: string | undefined,
  ep: LocalStackEndpoints,
  ports: LocalStackPorts,
  extra: NodeJS.ProcessEnv | undefined,
  log: Logger,
): NodeJS.ProcessEnv {
  const creds = localS3Env(ep);
  const base: NodeJS.ProcessEnv = { ...process.env, LEPTON_DR_STATE_DIR: ep.stateDir, ...extra };
  if (!planFile) {
    return { ...base, ...creds, TEMPORAL_ADDRESS: ep.temporalAddress, TEMPORAL_NAMESPACE: ep.namespace, LEPTON_DR_S3_ENDPOINT: ep.s3Endpoint, ...extra };
  }
  const plan = loadPlanFile(planFile, base);
  let localS3 = false;
  if (plan.repository.endpoint) {
    const u = new URL(plan.repository.endpoint);
    localS3 = isLocalHost(u.hostname) && Number(u.port || 80) === ports.seaweed.s3;
  }
  const [host, port] = plan.temporal.address.split(/:(?=\d+$)/);
  if (!(isLocalHost(host) && Number(port) === ports.temporal)) {
    log.warn(
      { plan: planFile, temporal: plan.temporal.address },
      `the plan points the worker at Temporal ${plan.temporal.address}, not at this stack (${ep.temporalAddress})`,
    );
  }
  return localS3 ? { ...base, ...creds, ...extra } : base;
}
