import '../common/compile-cache';
import { logger } from '../common/logger';
import { resolvePlan } from '../config/load-plan';
import { runWorker } from './run-worker';

/** `node dist/bundle/worker.js [--plan FILE]` (this file, bundled): one worker process (also `lepton-dr worker`). */
async function main(): Promise<void> {
  const i = process.argv.indexOf('--plan');
  const plan = resolvePlan(i > 0 ? process.argv[i + 1] : undefined);
  await runWorker({ plan });
}

main().catch((e: Error) => {
  try {
    logger().fatal({ err: e }, `worker failed: ${e.message}`);
  } catch {
    process.stderr.write(`worker failed: ${e.message}\n`); // the logger's own settings are what failed
  }
  process.exit(1);
});
