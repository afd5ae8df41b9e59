/** Moved to src/common/format.ts; this re-export serves src/stack until it imports from there. */
export * from '../common/format';
