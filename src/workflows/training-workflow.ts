import { log, proxyActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { PredictionActivities } from '../activities/prediction-activity-types';
import { NON_RETRYABLE_TYPES } from '../common/failure-types';
import { TrainingInputSchema } from '../contracts/prediction-inputs';
import type { TrainingResult } from '../contracts/prediction-types';
import { parseInput } from './parse-input';
import { SA_KIND, SA_SITE } from './search-attribute-keys';

const acts = proxyActivities<PredictionActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '5 minutes',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] },
});

/**
 * Fit a site's models on a history window (Prometheus and/or CSV replay) and store the artefact
 * as a new version in the repository (`models/<site>/<version>.json`); the prediction loop picks
 * the newest version at its next iteration. Input from the UI: {"site": "eu-west"}.
 */
export async function trainingWorkflow(rawInput: unknown): Promise<TrainingResult> {
  const input = parseInput(TrainingInputSchema, rawInput, 'training input');
  upsertSearchAttributes([
    { key: SA_SITE, value: input.site },
    { key: SA_KIND, value: 'training' },
  ]);
  setCurrentDetails(`training models for ${input.site}${input.reason ? ` (${input.reason})` : ''}`);
  const info = workflowInfo();
  // the version is fixed by the run (time and run id), so a retried activity writes the same object
  const r = await acts.trainPredictionModel({
    site: input.site,
    ...(input.config ? { config: input.config } : {}),
    until: Date.now(),
    salt: info.runId.replace(/-/g, '').slice(0, 8),
    ...(input.windowMs !== undefined ? { windowMs: input.windowMs } : {}),
  });
  const summary = `model ${r.version} for ${input.site}: ${r.series.length} series, ${r.points} points of history (${r.sources.prometheusSeries} from Prometheus, ${r.sources.csvFiles} CSV files), ${r.bytes} bytes`;
  log.info('model trained', { site: input.site, version: r.version, series: r.series.length, points: r.points });
  setCurrentDetails(summary);
  return { ...r, summary };
}
