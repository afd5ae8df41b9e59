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
} as const;

/** Project root = two levels above dist/src/config or src/config. */
export function projectRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (path.basename(dir).startsWith('dist')) return path.dirname(dir);
    if (path.basename(dir) === 'src') return path.dirname(dir);
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
