/** Free loopback ports for tests (see src/stack/ports.ts). */
export { freePort, freePorts } from '../../src/stack/ports';
