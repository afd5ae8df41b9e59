import fs from 'node:fs';
import path from 'node:path';

/**
 * Fixed loopback ports and folders of the embedded local stack. One place, so the stack,
 * the default plan, the CLI and the docs agree.
 */
export const LOCAL_STACK = {
  temporalAddress: '127.0.0.1:7233',
  temporalUiPort: 8233,
  s3Port: 8333,
  s3Endpoint: 'http://127.0.0.1:8333',
  bucket: 'lepton-dr',
  repositoryUrl: 's3://lepton-dr/repo',
  region: 'us-east-1',
  /** Local-only credentials of the embedded SeaweedFS; real deployments use the AWS chain. */
  accessKeyId: 'lepton-local',
  secretAccessKey: 'lepton-local-secret',
  taskQueue: 'lepton-dr',
  namespace: 'default',
  /** Every other port the local stack opens, all on 127.0.0.1 (fixed so a second `up` is detected). */
  temporalPort: 7233,
  temporalHttpPort: 7243,
  temporalMetricsPort: 7244,
  /** `weed mini` listeners besides S3: non-default, so a SeaweedFS of the user's own does not clash. */
  seaweedPorts: {
    master: 8334,
    masterGrpc: 18334,
    volume: 8335,
    volumeGrpc: 18335,
    filer: 8336,
    filerGrpc: 18336,
    admin: 8337,
    adminGrpc: 18337,
    s3Grpc: 18338,
  },
  /** Task queue of the `lepton-dr demo` worker, apart from the `up` worker's (which may run another plan). */
  demoTaskQueue: 'lepton-dr-demo',
} as const;

/** The folder holding package.json above this file (works from src and from any dist output folder). */
export function projectRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

export function stateDir(): string {
  return process.env.LEPTON_DR_STATE_DIR ?? path.join(projectRoot(), '.state');
}

export function toolsDir(): string {
  return process.env.LEPTON_DR_TOOLS_DIR ?? path.join(projectRoot(), '.tools');
}
