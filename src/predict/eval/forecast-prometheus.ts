/**
 * The real Prometheus for the forecast evaluation: the traces are written as OpenMetrics, turned
 * into TSDB blocks by `promtool tsdb create-blocks-from openmetrics`, and served by a Prometheus on
 * a free loopback port whose retention keeps them (they lie in the past). The caller stops it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startPrometheus } from '../../demo/prometheus';
import type { PrometheusServer } from '../../demo/prometheus';
import type { LabelledTrace } from './forecast-traces';
import { tracesToOpenMetrics } from './forecast-eval';

const run = promisify(execFile);

export function promtoolBinary(): string {
  const bin = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';
  if (!fs.existsSync(bin)) throw new Error(`promtool not found at ${bin}: install the prometheus package or set PROMTOOL_BIN`);
  return bin;
}

/** Loads the traces into `${dir}/data` and starts Prometheus on it. */
export async function prometheusWithTraces(dir: string, traces: readonly LabelledTrace[]): Promise<PrometheusServer> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'traces.om.txt');
  fs.writeFileSync(file, tracesToOpenMetrics(traces));
  const data = path.join(dir, 'data');
  await run(promtoolBinary(), ['tsdb', 'create-blocks-from', 'openmetrics', file, data], { maxBuffer: 16 * 1024 * 1024 });
  return startPrometheus({ dir, targets: [], retention: '100y' });
}
