/**
 * Server processes for tests: the launcher lives in src/stack/process.ts (the local stack
 * uses the same code); this module keeps the test-facing names.
 */
export { PortClashError, readTail, removeAllBut, spawnServer, waitUntilReady, type ServerProcess } from '../../src/stack/process';
