import type { SwitchResult } from '../failover/switcher';

/** Plain data exchanged between the failover workflows and their activities (no bytes, no secrets). */
export type SideName = 'primary' | 'standby';
/** Where a restore goes: a live side, or the site's isolated drill target. */
export type TargetSide = SideName | 'drill';

export interface RestoreTargetBrief {
  asset: string;
  /** absolute */
  targetDir: string;
}

export interface SideBrief {
  upstream?: string;
  restore: RestoreTargetBrief[];
  health: number;
  fence: boolean;
  unfence: boolean;
  afterRestore: boolean;
}

/** What a failover run needs to know of its site (read from the plan by an activity). */
export interface SiteBrief {
  site: string;
  objectives: { rtoSeconds: number; rpoSeconds: number };
  approval: { required: boolean; timeoutMs: number; onTimeout: 'abort' | 'proceed' };
  fencing: { at: 'start' | 'after-switch'; drainMs: number };
  failbackFrom: 'standby' | 'snapshot';
  primary: SideBrief;
  standby: SideBrief;
  /** Drill targets per asset of the standby's restore list (absent without a drill section). */
  drill?: RestoreTargetBrief[];
  trafficChecks: number;
  /** Traffic side when the incident was opened: the switcher's answer, else the traffic record (failover/traffic-record.ts). */
  trafficOn: SideName | 'unknown';
}

/** A type, not an interface: activities take it where their schema lets other fields pass through. */
export type SelectedSnapshot = {
  asset: string;
  id: string;
  time: string;
  files: number;
  bytes: number;
};

export interface CheckSummary {
  name: string;
  ok: boolean;
  attempts: number;
  durationMs: number;
  error?: string;
}

export interface HealthSummary {
  ok: boolean;
  healthyAt?: string;
  durationMs: number;
  checks: CheckSummary[];
  /** Snapshot files compared by hash on disk (drills), "asset/path". */
  filesVerified: string[];
}

export interface ActionSummary {
  ok: boolean;
  target: string;
  durationMs: number;
  detail: string;
}

/** What a switch did, as the switcher reports it. */
export type SwitchSummary = SwitchResult;

/** One site's DR readiness (lepton-dr status). */
export interface SiteReadiness {
  site: string;
  error?: string;
  /** a site with only a `prediction:` section (no primary, standby or switcher) */
  predictionOnly?: boolean;
  trafficOn?: SideName | 'unknown';
  objectives?: { rtoSeconds: number; rpoSeconds: number };
  lastDrill?: ReadinessRun;
  lastSuccessfulDrill?: ReadinessRun;
  lastFailover?: ReadinessRun;
  /** Newest snapshot per asset the standby restores; ageMs at the time of the call. */
  snapshots: { asset: string; id?: string; time?: string; ageMs?: number; rpoMet?: boolean }[];
  drillSchedule?: string;
}

export interface ReadinessRun {
  id: string;
  mode: string;
  outcome: string;
  finishedAt?: string;
  rtoMs: number | null;
  rpoMs: number | null;
  met: { rto: boolean | null; rpo: boolean | null };
  summary: string;
}
