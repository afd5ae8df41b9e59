import { LOCAL_STACK, stateDir as defaultStateDir } from '../config/local-stack';
import { s3Ready } from './seaweed';
import { localStackPaths } from './stack-paths';
import { localStackPorts, type LocalStackPorts } from './stack-ports';
import { temporalReady } from './temporal-server';

/** Addresses of a running local stack (started here or found running). */
export interface LocalStackEndpoints {
  temporalAddress: string;
  namespace: string;
  uiUrl: string;
  s3Endpoint: string;
  bucket: string;
  region: string;
  logDir: string;
  stateDir: string;
}

/** The endpoints a stack on these ports has. */
export function localStackEndpoints(ports: LocalStackPorts = localStackPorts(), state = defaultStateDir()): LocalStackEndpoints {
  return {
    temporalAddress: `127.0.0.1:${ports.temporal}`,
    namespace: LOCAL_STACK.namespace,
    uiUrl: `http://127.0.0.1:${ports.temporalUi}`,
    s3Endpoint: `http://127.0.0.1:${ports.seaweed.s3}`,
    bucket: LOCAL_STACK.bucket,
    region: LOCAL_STACK.region,
    logDir: localStackPaths(state).logDir,
    stateDir: state,
  };
}

/** The local S3 credentials of the stack, with its region. */
export function localS3Env(ep: Pick<LocalStackEndpoints, 'region'>): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: LOCAL_STACK.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_STACK.secretAccessKey,
    AWS_REGION: ep.region,
  };
}

/** Variables for a process that should use this stack (credentials, endpoints, state dir). */
export function stackEnv(ep: LocalStackEndpoints): Record<string, string> {
  return {
    ...localS3Env(ep),
    TEMPORAL_ADDRESS: ep.temporalAddress,
    TEMPORAL_NAMESPACE: ep.namespace,
    LEPTON_DR_S3_ENDPOINT: ep.s3Endpoint,
    LEPTON_DR_STATE_DIR: ep.stateDir,
  };
}

/**
 * Whether a usable local stack already answers on these ports: Temporal serves the namespace
 * with our search attributes and S3 accepts the local credentials. Used by `demo` to reuse a
 * stack brought up by `lepton-dr up`.
 */
export async function probeLocalStack(ports: LocalStackPorts = localStackPorts(), state = defaultStateDir()): Promise<LocalStackEndpoints | undefined> {
  const ep = localStackEndpoints(ports, state);
  try {
    await Promise.all([
      temporalReady(ep.temporalAddress, ep.namespace),
      s3Ready(ep.s3Endpoint, { accessKeyId: LOCAL_STACK.accessKeyId, secretAccessKey: LOCAL_STACK.secretAccessKey, bucket: ep.bucket, region: ep.region }),
    ]);
    return ep;
  } catch {
    return undefined;
  }
}
