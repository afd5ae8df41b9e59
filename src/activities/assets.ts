import { BadInputError, NotFoundError } from '../common/errors';
import type { Asset, Plan } from '../config/plan-schema';
import type { BackupInput } from '../contracts/inputs';
import { pathPolicy } from './allowed-paths';

/** The asset definition a backup runs with: the plan's, overridden by the run's input, or ad hoc (its source within the plan's roots). */
export function resolveAsset(plan: Plan, input: BackupInput): Asset {
  const known = plan.assets.find((a) => a.name === input.asset);
  if (!known && !input.source) {
    const names = plan.assets.map((a) => a.name).join(', ') || 'none';
    throw new NotFoundError(`asset: unknown asset "${input.asset}" (the plan defines: ${names}); give "source" for an ad-hoc backup`);
  }
  if (known && input.source && input.source !== known.source) {
    throw new BadInputError(`source: asset "${input.asset}" is defined in the plan with source ${known.source}; do not override it`);
  }
  if (!known) pathPolicy(plan).checkSource(input.source as string);
  return {
    name: input.asset,
    source: known?.source ?? (input.source as string),
    // the connection of an s3:// source comes from the plan only: credentials by env name of this worker
    ...(known?.s3 ? { s3: known.s3 } : {}),
    include: input.include ?? known?.include ?? [],
    exclude: input.exclude ?? known?.exclude ?? [],
    strategy: input.strategy ?? known?.strategy ?? 'incremental',
    fullEvery: known?.fullEvery ?? 0,
    tags: input.tags ?? known?.tags ?? [],
    schedule: known?.schedule,
    retention: known?.retention,
    hooks: known?.hooks,
    batch: known?.batch,
  };
}
