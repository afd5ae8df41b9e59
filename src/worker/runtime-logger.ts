import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { Logger } from 'pino';

/** Route the SDK's logs (core, worker, workflow and activity loggers) into pino, metadata intact. */
export function installRuntimeLogger(log: Logger, sdkMetrics?: { host: string; port: number }): void {
  const level = (process.env.LEPTON_DR_LOG_LEVEL ?? 'info').toUpperCase();
  const sdkLevel = (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level) ? level : 'INFO') as 'INFO';
  Runtime.install({
    ...(sdkMetrics ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `${sdkMetrics.host}:${sdkMetrics.port}` } } } } : {}),
    logger: new DefaultLogger(sdkLevel, (entry: LogEntry) => {
      const meta = { ...(entry.meta ?? {}), sdk: true };
      switch (entry.level) {
        case 'TRACE':
          log.trace(meta, entry.message);
          break;
        case 'DEBUG':
          log.debug(meta, entry.message);
          break;
        case 'WARN':
          log.warn(meta, entry.message);
          break;
        case 'ERROR':
          log.error(meta, entry.message);
          break;
        default:
          log.info(meta, entry.message);
      }
    }),
  });
}
