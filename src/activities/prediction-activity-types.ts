/** Types only: what the prediction and training workflows may call through proxyActivities. */
export type { PredictionActivities, PredictionSettings, CollectOutput, ScoreOutput, TrainOutput, StateHandle, Handle } from './prediction-activities';
