import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { FailureType } from '../common/failure-types';
import { freshCarry, type Carry } from './prediction-carry';
import { mergePatches, PredictionInputSchema } from '../contracts/prediction-inputs';
import type { PredictionRunSummary } from '../contracts/prediction-types';
import { parseInput } from './parse-input';
import { PredictionLoop } from './prediction-loop';
import {
  alertSignal,
  pauseSignal,
  predictionStatusQuery,
  pushMetricsSignal,
  resumeSignal,
  retrainSignal,
  setPolicyUpdate,
} from '../contracts/prediction-messages';

/**
 * The prediction loop of one site (workflow id "predict-<site>"): collect -> score -> decide ->
 * warn/act -> sleep, for ever, continuing as new every `maxIterationsPerRun` iterations or when
 * Temporal suggests it. Input from the UI: {"site": "eu-west"}. The loop and its handlers live
 * in PredictionLoop; here the input is validated and every message is routed to it.
 */
export async function predictionWorkflow(rawInput: unknown): Promise<PredictionRunSummary> {
  const input = parseInput(PredictionInputSchema, rawInput, 'prediction input');
  const carried = input.carry as Carry | undefined;
  if (carried !== undefined && carried.v !== 1) throw ApplicationFailure.nonRetryable('carry: unknown version', FailureType.BadInput);
  const c: Carry = carried ? { ...freshCarry(Date.now()), ...carried } : freshCarry(Date.now());
  c.runs++;
  if (input.policy) c.overrides = mergePatches(c.overrides, input.policy);

  const loop = new PredictionLoop(input, c);
  setHandler(pushMetricsSignal, (raw) => loop.pushMetrics(raw));
  setHandler(alertSignal, (raw) => loop.alert(raw));
  setHandler(pauseSignal, (raw) => loop.pause(raw));
  setHandler(resumeSignal, () => loop.resume());
  setHandler(retrainSignal, () => loop.retrain());
  setHandler(predictionStatusQuery, () => loop.status());
  setHandler(setPolicyUpdate, (patch) => loop.setPolicy(patch), { validator: (patch) => loop.validatePolicy(patch) });
  return loop.run();
}
