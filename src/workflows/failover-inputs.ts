/** Moved to src/contracts/failover-inputs.ts; this re-export serves the files not yet pointed there (src/stack, the prediction workflow). */
export * from '../contracts/failover-inputs';
