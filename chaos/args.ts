/** Command line of `npm run chaos`. */
export interface ChaosOptions {
  /** seeds every random choice; the same seed replays the same run */
  seed: number;
  /** multiplies data sizes and the number of concurrent actions (1 = the CI size) */
  scale: number;
  scenarios: number;
  /** keep the work folder (logs, sources, restored trees) after the run */
  keep: boolean;
  /** fraction of worker requests the proxy faults */
  faultRate: number;
  /** run the same seed this many times (races depend on real timing: a seed hits one most of the times, not always) */
  repeat: number;
}

export const DEFAULT_OPTIONS: ChaosOptions = { seed: 1, scale: 1, scenarios: 3, keep: false, faultRate: 0.1, repeat: 1 };

const USAGE = 'usage: npm run chaos -- [--seed N] [--scale N] [--scenarios N] [--fault-rate F] [--repeat N] [--keep]';

export function parseArgs(argv: string[]): ChaosOptions {
  const o = { ...DEFAULT_OPTIONS };
  const num = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min) throw new Error(`${flag}: expected a number >= ${min}, got ${v ?? 'nothing'}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seed') o.seed = Math.floor(num(a, argv[++i], 0));
    else if (a === '--scale') o.scale = num(a, argv[++i], 1);
    else if (a === '--scenarios') o.scenarios = Math.floor(num(a, argv[++i], 1));
    else if (a === '--fault-rate') o.faultRate = Math.min(1, num(a, argv[++i], 0));
    else if (a === '--repeat') o.repeat = Math.floor(num(a, argv[++i], 1));
    else if (a === '--keep') o.keep = true;
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return o;
}
