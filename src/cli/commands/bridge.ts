import { Command, InvalidArgumentError } from 'commander';
import { startBridge } from '../../bridge/server';
import { loadToken } from '../../bridge/auth';
import { logger } from '../../common/logger';
import { predictionSiteNames } from '../../predict/site-config';
import { connect, type GlobalOptions } from '../context';

function portArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0-65535)');
  return n;
}

/** `lepton-dr bridge`: Alertmanager webhooks and pushed metrics -> prediction loops; /metrics for Prometheus. */
export function bridgeCommand(): Command {
  return new Command('bridge')
    .description(
      'HTTP bridge: Alertmanager webhooks (POST /webhook/alertmanager) and pushed metrics (POST /metrics/push) to the prediction loops, GET /metrics',
    )
    .option('--port <port>', 'port to listen on (0: any free port)', portArg, 9109)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--token-env <name>', 'environment variable holding the bearer token', 'LEPTON_DR_BRIDGE_TOKEN')
    .option('--token-file <file>', 'file holding the bearer token (instead of --token-env)')
    .option('--site-label <label>', 'alert label naming the site', 'dr_site')
    .option('--any-site', 'accept alerts for sites not in the plan (they run with the default prediction config)')
    .option('--public-metrics', 'serve GET /metrics without the token')
    .action(
      async (
        o: { port: number; host: string; tokenEnv: string; tokenFile?: string; siteLabel: string; anySite?: boolean; publicMetrics?: boolean },
        cmd: Command,
      ) => {
        const g = cmd.optsWithGlobals<GlobalOptions>();
        const token = loadToken(o.tokenFile ? { file: o.tokenFile } : { env: o.tokenEnv });
        const { plan, client, close } = await connect(g);
        const planSites = plan.sites.map((s) => s.name).filter((n): n is string => typeof n === 'string');
        const bridge = await startBridge({
          client,
          taskQueue: plan.temporal.taskQueue,
          token,
          host: o.host,
          port: o.port,
          siteLabel: o.siteLabel,
          ...(o.anySite ? {} : { sites: planSites }),
          metricsSites: predictionSiteNames(plan),
          publicMetrics: Boolean(o.publicMetrics),
        });
        process.stdout.write(
          `${g.json ? JSON.stringify({ url: bridge.url, port: bridge.port }) : `bridge listening on ${bridge.url} (Alertmanager webhook: ${bridge.url}/webhook/alertmanager)`}\n`,
        );
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        logger().info('bridge stopping');
        await bridge.close();
        await close();
      },
    );
}
