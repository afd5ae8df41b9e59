/** Types only: what the prediction and training workflows may call through proxyActivities. */
export type { PredictionActivities, PredictionSettings, CollectOutput, ScoreOutput, StateHandle, Handle } from './prediction-activities';
