/**
 * Prediction library (Temporal-agnostic): sources, preprocessing, streaming detectors, combiner,
 * training, NAB evaluation. Activities call the functions re-exported here.
 */
export * from './series';
export * from './stats';
export * from './detector';
export * from './level';
export * from './seasonal';
export * from './trend';
export * from './combiner';
export * from './scorer';
export * from './model';
export * from './train';
export * from './pipeline';
export * from './nab';
export * from './csv';
export * from './score-file';
export * from './evaluate';
export * from './log-counter';
export * from './prometheus';
export * from './site-config';
export * from './model-store';
export * from './sinks';
export * from './collect';
export * from './duty-cycle';
