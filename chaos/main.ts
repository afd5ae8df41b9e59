import { parseArgs } from './args';
import { runChaos } from './run';

/** `npm run chaos -- [--seed N] [--scale N] [--scenarios N]`: exits 1 if anything was lost, corrupt or left over. */
async function main(): Promise<void> {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  let failed = 0;
  for (let i = 1; i <= o.repeat; i++) {
    if (o.repeat > 1) console.log(`run ${i} of ${o.repeat}`);
    const r = await runChaos(o);
    console.log(r.table);
    if (r.report.fatal) {
      failed++;
      console.log(`work folder kept: ${r.dir}`);
    }
  }
  if (o.repeat > 1) console.log(`${failed} of ${o.repeat} runs of seed ${o.seed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e: Error) => {
  console.error(`chaos harness failed: ${e.stack ?? e.message}`);
  process.exit(2);
});
