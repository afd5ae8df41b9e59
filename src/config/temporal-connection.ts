import fs from 'node:fs';
import { BadInputError } from '../common/errors';
import { rememberSecret } from '../common/secrets';
import type { TemporalConfig } from './plan-schema';

/** The TLS settings both Connection (client) and NativeConnection (worker) take. */
export interface TemporalTlsOptions {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

/** What the CLI, the bridge and the worker pass to Connection.connect / NativeConnection.connect. */
export interface TemporalConnectionOptions {
  address: string;
  tls: TemporalTlsOptions | boolean;
  apiKey?: string;
}

function readFileField(file: string, field: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new BadInputError(`${field}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function apiKey(t: TemporalConfig, env: NodeJS.ProcessEnv): string | undefined {
  let key: string | undefined;
  if (t.apiKeyEnv) {
    key = env[t.apiKeyEnv]?.trim();
    if (!key) throw new BadInputError(`temporal.apiKeyEnv: environment variable ${t.apiKeyEnv} is not set`);
  } else if (t.apiKeyFile) {
    key = readFileField(t.apiKeyFile, 'temporal.apiKeyFile').toString('utf8').trim();
    if (!key) throw new BadInputError(`temporal.apiKeyFile: ${t.apiKeyFile} is empty`);
  }
  rememberSecret(key); // redacted from every log line and failure text from now on
  return key;
}

/**
 * Connection options from the plan's `temporal:` section (environment already applied): the
 * files are read now, so a missing certificate is refused at start naming its field. With an API
 * key and no explicit `tls: false`, TLS is on (Temporal Cloud needs both).
 */
export function temporalConnectionOptions(t: TemporalConfig, env: NodeJS.ProcessEnv = process.env): TemporalConnectionOptions {
  const key = apiKey(t, env);
  let tls: TemporalTlsOptions | boolean = typeof t.tls === 'boolean' ? t.tls : key !== undefined;
  if (typeof t.tls === 'object') {
    tls = {
      ...(t.tls.serverName ? { serverNameOverride: t.tls.serverName } : {}),
      ...(t.tls.serverCaFile ? { serverRootCACertificate: readFileField(t.tls.serverCaFile, 'temporal.tls.serverCaFile') } : {}),
      ...(t.tls.clientCertFile && t.tls.clientKeyFile
        ? {
            clientCertPair: {
              crt: readFileField(t.tls.clientCertFile, 'temporal.tls.clientCertFile'),
              key: readFileField(t.tls.clientKeyFile, 'temporal.tls.clientKeyFile'),
            },
          }
        : {}),
    };
  }
  return { address: t.address, tls, ...(key !== undefined ? { apiKey: key } : {}) };
}

/** "TLS, mTLS, API key" words for a start-up log line: what is used, never a value. */
export function describeSecurity(o: TemporalConnectionOptions): string {
  const tls = o.tls === false ? 'plaintext' : typeof o.tls === 'object' && o.tls.clientCertPair ? 'mTLS' : 'TLS';
  return o.apiKey ? `${tls} + API key` : tls;
}
