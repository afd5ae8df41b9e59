import pino, { type Logger } from 'pino';
import { redact } from './secrets';

/** One pino root logger per process; children carry workflow/activity ids. */
let root: Logger | undefined;

export function logger(): Logger {
  if (!root) {
    root = pino({
      name: 'lepton-dr',
      level: process.env.LEPTON_DR_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // every line, whoever logs it (SDK runtime, activities, libraries): no secret value leaves the process in a log
      hooks: { streamWrite: redact },
    });
  }
  return root;
}

export function setLogger(l: Logger): void {
  root = l;
}

export type { Logger };
