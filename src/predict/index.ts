/**
 * Prediction library (Temporal-agnostic): sources, preprocessing, streaming detectors, combiner,
 * training, NAB evaluation. Activities call the functions re-exported here.
 */
export * from './series';
export * from './detectors/stats';
export * from './detectors/detector';
export * from './detectors/level';
export * from './detectors/seasonal';
export * from './detectors/trend';
export * from './detectors/trend-config';
export * from './detectors/combiner';
export * from './detectors/scorer';
export * from './model';
export * from './train';
export * from './pipeline';
export * from './eval/nab';
export * from './sources/csv';
export * from './eval/score-file';
export * from './eval/evaluate';
export * from './sources/log-counter';
export * from './sources/prometheus';
export * from './site-config';
export * from './model-store';
export * from './sinks/warning-sinks';
export * from './sources/collect';
export * from './duty-cycle';
