/**
 * Failover library: Temporal-agnostic building blocks the failover activities call.
 * Workflow code must not import this barrel (it pulls in Node built-ins); the report it
 * re-exports (`src/common/failover-report.ts`) is pure (zod only) and is what workflow code imports.
 */
export * from '../config/action-schema';
export * from './actions';
export * from './atomic-file';
export * from './switcher-kinds';
export * from './file-reload-switcher';
export * from './health';
export * from './health-check-schema';
export * from './http-switcher';
export * from '../common/failover-report';
export * from './site-schema';
export * from './switcher';
export * from './template';
