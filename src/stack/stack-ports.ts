import { LOCAL_STACK } from '../config/local-stack';
import type { SeaweedPorts } from './seaweed';

/** Every TCP port the local stack listens on (all on 127.0.0.1). */
export interface LocalStackPorts {
  temporal: number;
  temporalHttp: number;
  temporalMetrics: number;
  temporalUi: number;
  seaweed: SeaweedPorts;
}

export type LocalStackPortOverrides = Partial<Omit<LocalStackPorts, 'seaweed'>> & { seaweed?: Partial<SeaweedPorts> };

/** A port of the stack and what listens there, for messages. */
export interface PortRole {
  port: number;
  role: string;
}

/** The fixed ports of LOCAL_STACK, with overrides (tests use free ports). */
export function localStackPorts(over: LocalStackPortOverrides = {}): LocalStackPorts {
  const sw = LOCAL_STACK.seaweedPorts;
  return {
    temporal: over.temporal ?? LOCAL_STACK.temporalPort,
    temporalHttp: over.temporalHttp ?? LOCAL_STACK.temporalHttpPort,
    temporalMetrics: over.temporalMetrics ?? LOCAL_STACK.temporalMetricsPort,
    temporalUi: over.temporalUi ?? LOCAL_STACK.temporalUiPort,
    seaweed: {
      master: sw.master,
      masterGrpc: sw.masterGrpc,
      volume: sw.volume,
      volumeGrpc: sw.volumeGrpc,
      filer: sw.filer,
      filerGrpc: sw.filerGrpc,
      s3: LOCAL_STACK.s3Port,
      s3Grpc: sw.s3Grpc,
      admin: sw.admin,
      adminGrpc: sw.adminGrpc,
      ...over.seaweed,
    },
  };
}

/** Port -> what listens there, for messages. */
export function portRoles(p: LocalStackPorts): PortRole[] {
  return [
    { port: p.temporal, role: 'Temporal frontend (gRPC)' },
    { port: p.temporalUi, role: 'Temporal web UI' },
    { port: p.temporalHttp, role: 'Temporal HTTP API' },
    { port: p.temporalMetrics, role: 'Temporal metrics' },
    { port: p.seaweed.s3, role: 'SeaweedFS S3' },
    ...(Object.entries(p.seaweed) as [keyof SeaweedPorts, number][]).filter(([n]) => n !== 's3').map(([n, port]) => ({ port, role: `SeaweedFS ${n}` })),
  ];
}
