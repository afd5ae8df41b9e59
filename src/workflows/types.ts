/** Moved to src/contracts/types.ts; this re-export serves the files not yet pointed there (src/stack, the prediction workflow). */
export * from '../contracts/types';
