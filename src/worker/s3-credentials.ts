import { sameEndpoint } from '../common/s3-endpoint';
import { LOCAL_STACK } from '../config/local-stack';
import { envCredentials, type CredentialSource } from '../engine/store/open-store';

/**
 * Explicit credentials only when the caller's env holds them or the endpoint is the embedded
 * local SeaweedFS (its development credentials); otherwise undefined, which lets the SDK walk the
 * standard chain (env, shared config/profile, SSO, web identity, container and instance metadata).
 */
export const s3Credentials: CredentialSource = (endpoint, env) => {
  const fromEnv = envCredentials(endpoint, env);
  if (fromEnv) return fromEnv;
  if (endpoint && !env.AWS_PROFILE && sameEndpoint(endpoint, LOCAL_STACK.s3Endpoint)) {
    return { accessKeyId: LOCAL_STACK.accessKeyId, secretAccessKey: LOCAL_STACK.secretAccessKey };
  }
  return undefined;
};
