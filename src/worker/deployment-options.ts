import { z } from 'zod';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { BadInputError } from '../common/errors';
import { formatZodError } from '../common/zod-errors';

/**
 * Worker Versioning (Temporal worker deployments), off unless the environment names a
 * deployment and a build ID:
 *   LEPTON_DR_DEPLOYMENT_NAME   e.g. "lepton-dr" (one per task queue's fleet)
 *   LEPTON_DR_BUILD_ID          e.g. the image tag or git commit of this worker build
 *   LEPTON_DR_VERSIONING_BEHAVIOR  AUTO_UPGRADE (default) or PINNED, for every workflow type
 * A versioned worker only gets tasks once its version is made current (or ramping) with
 * `temporal worker deployment set-current-version`. AUTO_UPGRADE is the default because the
 * prediction loops run for months and failovers wait for people: they move to the current
 * version at their next task, so workflow changes still follow the patching policy (README,
 * "Safe upgrades"). PINNED keeps every workflow on the build that started it (old workers must
 * stay up until their workflows drain).
 */
const DeploymentEnvSchema = z
  .object({
    LEPTON_DR_DEPLOYMENT_NAME: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(200)
      .regex(/^[^.]+$/, 'must not contain "." (Temporal joins name and build ID with it)')
      .optional(),
    LEPTON_DR_BUILD_ID: z.string().trim().min(1, 'must not be empty').max(200).optional(),
    LEPTON_DR_VERSIONING_BEHAVIOR: z
      .enum(['AUTO_UPGRADE', 'PINNED'], { errorMap: () => ({ message: 'must be AUTO_UPGRADE or PINNED' }) })
      .default('AUTO_UPGRADE'),
  })
  .superRefine((e, ctx) => {
    if (Boolean(e.LEPTON_DR_DEPLOYMENT_NAME) !== Boolean(e.LEPTON_DR_BUILD_ID)) {
      const missing = e.LEPTON_DR_DEPLOYMENT_NAME ? 'LEPTON_DR_BUILD_ID' : 'LEPTON_DR_DEPLOYMENT_NAME';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'is required when the other of LEPTON_DR_DEPLOYMENT_NAME / LEPTON_DR_BUILD_ID is set (Worker Versioning needs both)',
      });
    }
  });

/** The worker's deployment options from the environment; undefined: an unversioned worker. */
export function deploymentOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerDeploymentOptions | undefined {
  const pick = (k: string) => (env[k] === undefined || env[k] === '' ? undefined : env[k]);
  const r = DeploymentEnvSchema.safeParse({
    LEPTON_DR_DEPLOYMENT_NAME: pick('LEPTON_DR_DEPLOYMENT_NAME'),
    LEPTON_DR_BUILD_ID: pick('LEPTON_DR_BUILD_ID'),
    LEPTON_DR_VERSIONING_BEHAVIOR: pick('LEPTON_DR_VERSIONING_BEHAVIOR'),
  });
  if (!r.success) throw new BadInputError(`worker versioning: ${formatZodError(r.error)}`);
  const e = r.data;
  if (!e.LEPTON_DR_DEPLOYMENT_NAME || !e.LEPTON_DR_BUILD_ID) return undefined;
  return {
    version: { deploymentName: e.LEPTON_DR_DEPLOYMENT_NAME, buildId: e.LEPTON_DR_BUILD_ID },
    useWorkerVersioning: true,
    defaultVersioningBehavior: e.LEPTON_DR_VERSIONING_BEHAVIOR,
  };
}
