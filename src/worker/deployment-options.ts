import { z } from 'zod';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { BadInputError } from '../common/errors';

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
 * stay up until their workflows drain). The fields are part of the worker's one settings schema
 * (worker-settings.ts); this file says what they mean.
 */
export const DeploymentEnvFields = {
  LEPTON_DR_DEPLOYMENT_NAME: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200)
    .regex(/^[^.]+$/, 'must not contain "." (Temporal joins name and build ID with it)'),
  LEPTON_DR_BUILD_ID: z.string().trim().min(1, 'must not be empty').max(200),
  LEPTON_DR_VERSIONING_BEHAVIOR: z.enum(['AUTO_UPGRADE', 'PINNED'], { errorMap: () => ({ message: 'must be AUTO_UPGRADE or PINNED' }) }),
};

interface DeploymentEnv {
  LEPTON_DR_DEPLOYMENT_NAME?: string;
  LEPTON_DR_BUILD_ID?: string;
  LEPTON_DR_VERSIONING_BEHAVIOR?: 'AUTO_UPGRADE' | 'PINNED';
}

/** The deployment options of parsed settings; undefined: an unversioned worker. Half a deployment is refused. */
export function deploymentOptionsOf(e: DeploymentEnv): WorkerDeploymentOptions | undefined {
  if (Boolean(e.LEPTON_DR_DEPLOYMENT_NAME) !== Boolean(e.LEPTON_DR_BUILD_ID)) {
    const missing = e.LEPTON_DR_DEPLOYMENT_NAME ? 'LEPTON_DR_BUILD_ID' : 'LEPTON_DR_DEPLOYMENT_NAME';
    throw new BadInputError(
      `environment: ${missing}: is required when the other of LEPTON_DR_DEPLOYMENT_NAME / LEPTON_DR_BUILD_ID is set (Worker Versioning needs both)`,
    );
  }
  if (!e.LEPTON_DR_DEPLOYMENT_NAME || !e.LEPTON_DR_BUILD_ID) return undefined;
  return {
    version: { deploymentName: e.LEPTON_DR_DEPLOYMENT_NAME, buildId: e.LEPTON_DR_BUILD_ID },
    useWorkerVersioning: true,
    defaultVersioningBehavior: e.LEPTON_DR_VERSIONING_BEHAVIOR ?? 'AUTO_UPGRADE',
  };
}
