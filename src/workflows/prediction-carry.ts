import type { ScoreOutput, StateHandle } from '../activities/prediction-activity-types';
import type { LogCursor } from '../predict/sources/log-counter';
import { EMPTY_ALERT_BOOK, INITIAL_WARNING_STATE, newDutyWindow, type AlertBook, type DutyWindow, type WarningState } from './prediction-decide';
import type { DecisionPolicy, PolicyPatch } from '../contracts/prediction-inputs';
import type { ActionRecord, WarningRecord } from '../contracts/prediction-messages';
import type { LoopReason } from '../contracts/prediction-types';

/** Recent warnings and actions kept for the status query. */
export const RECENT = 20;

export interface PushedSample {
  t: number;
  v: number;
}

/** Everything the loop carries through continue-as-new (plain JSON, kept small: the predictor state goes by reference when large). */
export interface Carry {
  v: 1;
  iteration: number;
  runs: number;
  overrides?: PolicyPatch;
  /** The effective policy when the previous run ended (answers queries until the settings load). */
  policy?: DecisionPolicy;
  state: StateHandle | null;
  gen: number;
  since: number | null;
  logCursors: Record<string, LogCursor>;
  warning: WarningState;
  alerts: AlertBook;
  recentWarnings: WarningRecord[];
  warningsSent: number;
  recentActions: ActionRecord[];
  duty: DutyWindow;
  backupDuty: number | null;
  pushed: Record<string, PushedSample[]>;
  pushedRejected: number;
  paused: boolean;
  pausedReason?: string;
  retrainRequested: boolean;
  modelRisk: number;
  modelReasons: LoopReason[];
  modelVersion: string | null;
  unknownSeries: string[];
  forecasts: ScoreOutput['forecasts'];
  lastError: string | null;
  errors: number;
  lastIterationAt: number | null;
  lastIterationMs: number | null;
  stateBytes: number;
  lastAlertRefreshAt: number | null;
}

export function freshCarry(now: number): Carry {
  return {
    v: 1,
    iteration: 0,
    runs: 0,
    state: null,
    gen: 0,
    since: null,
    logCursors: {},
    warning: INITIAL_WARNING_STATE,
    alerts: EMPTY_ALERT_BOOK,
    recentWarnings: [],
    warningsSent: 0,
    recentActions: [],
    duty: newDutyWindow(now, 3600_000),
    backupDuty: null,
    pushed: {},
    pushedRejected: 0,
    paused: false,
    retrainRequested: false,
    modelRisk: 0,
    modelReasons: [],
    modelVersion: null,
    unknownSeries: [],
    forecasts: [],
    lastError: null,
    errors: 0,
    lastIterationAt: null,
    lastIterationMs: null,
    stateBytes: 0,
    lastAlertRefreshAt: null,
  };
}

export const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
export const errText = (e: unknown): string => {
  const err = e as { message?: string; cause?: { message?: string } };
  return (err.cause?.message ?? err.message ?? String(e)).slice(0, 500);
};
export const pushRecent = <T>(list: T[], item: T): T[] => [...list, item].slice(-RECENT);
