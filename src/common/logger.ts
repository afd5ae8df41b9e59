import pino, { type Logger } from 'pino';
import { chooseLogFormat, prettyDestination } from './log-format';
import { redact } from './secrets';

/** One pino root logger per process; children carry workflow/activity ids. */
let root: Logger | undefined;

export function logger(): Logger {
  if (!root) {
    const options = {
      name: 'lepton-dr',
      level: process.env.LEPTON_DR_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // every line, whoever logs it (SDK runtime, activities, libraries): no secret value leaves the process in a log
      hooks: { streamWrite: redact },
    };
    // JSON for files and collectors; short human lines on a terminal (src/common/log-format.ts)
    root = chooseLogFormat(process.env, Boolean(process.stdout.isTTY)) === 'pretty' ? pino(options, prettyDestination(process.stdout)) : pino(options);
  }
  return root;
}

export function setLogger(l: Logger): void {
  root = l;
}

export type { Logger };
