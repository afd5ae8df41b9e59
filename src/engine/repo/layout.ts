/** Object names inside a repository. One place, so every reader and writer agrees. */
export const CONFIG_KEY = 'config';
export const INDEX_PREFIX = 'index/';
export const SNAPSHOT_PREFIX = 'snapshots/';
export const DATA_PREFIX = 'data/';
export const BACKUP_TMP_PREFIX = 'tmp/backups/';
export const RESTORE_TMP_PREFIX = 'tmp/restores/';
export const PRUNE_MARK_PREFIX = 'prune/marks/';
export const packKey = (id: string): string => `${DATA_PREFIX}${id.slice(0, 2)}/${id}`;
export const indexKey = (id: string): string => `${INDEX_PREFIX}${id}`;
export const snapshotKey = (id: string): string => `${SNAPSHOT_PREFIX}${id}`;
export const backupTmpPrefix = (backupId: string): string => `${BACKUP_TMP_PREFIX}${backupId}/`;
export const restoreTmpPrefix = (restoreId: string): string => `${RESTORE_TMP_PREFIX}${restoreId}/`;
export const pruneMarkKey = (pack: string): string => `${PRUNE_MARK_PREFIX}${pack}`;
/** the pack id of a `data/xx/<id>` key */
export const packIdOf = (key: string): string => key.slice(key.lastIndexOf('/') + 1);
export const KEYS_PREFIX = 'keys/';
export const keyObjectKey = (id: string): string => `${KEYS_PREFIX}${id}`;
/** Failover, drill and failback reports (plain JSON), with per-site pointers to the last ones. */
export const FAILOVER_REPORT_PREFIX = 'reports/failover/';
export const failoverReportKey = (id: string): string => `${FAILOVER_REPORT_PREFIX}${id}.json`;
const failoverSitePrefix = (site: string): string => `${FAILOVER_REPORT_PREFIX}sites/${site}/`;
/** The last finished (or, with `successful`, last succeeded) report of a site's runs of one mode. */
export const failoverPointerKey = (site: string, mode: string, successful: boolean): string =>
  `${failoverSitePrefix(site)}last${successful ? '-ok' : ''}-${mode}.json`;
/** Where the last switch recorded traffic to be (signed). */
export const trafficRecordKey = (site: string): string => `${failoverSitePrefix(site)}traffic.json`;
/** A numbered work document (`batch-00042.json`) below a backup's or restore's tmp prefix. */
const numberedKey = (prefix: string, what: string, n: number): string => `${prefix}${what}-${String(n).padStart(5, '0')}.json`;
/** A backup's work documents (signed): its plan, the batches, their results and partial progress. */
export const planKey = (backupId: string): string => `${backupTmpPrefix(backupId)}plan.json`;
export const batchKey = (backupId: string, n: number): string => numberedKey(backupTmpPrefix(backupId), 'batch', n);
/** A page of a backup plan's entries (plans of format 2). */
export const entryPageKey = (backupId: string, n: number): string => numberedKey(backupTmpPrefix(backupId), 'entries', n);
export const resultKey = (backupId: string, n: number): string => numberedKey(backupTmpPrefix(backupId), 'result', n);
/** Written by an append-only worker instead of deleting the work list of a backup it gave up: prune sweeps it. */
export const abandonedKey = (backupId: string): string => `${backupTmpPrefix(backupId)}abandoned.json`;
export const partialKey = (backupId: string, n: number): string => numberedKey(backupTmpPrefix(backupId), 'partial', n);
/** A restore's work documents (signed): its plan, the batches and the done marker. */
export const restorePlanKey = (id: string): string => `${restoreTmpPrefix(id)}plan.json`;
export const restoreBatchKey = (id: string, n: number): string => numberedKey(restoreTmpPrefix(id), 'batch', n);
export const restoreDoneKey = (id: string): string => `${restoreTmpPrefix(id)}done.json`;

// prediction: trained models (immutable versions, key order = time order) and the loop's work documents
export const MODEL_PREFIX = 'models/';
export const modelDir = (site: string): string => `${MODEL_PREFIX}${site}/`;
export const modelKey = (site: string, version: string): string => `${modelDir(site)}${version}.json`;
export const PREDICT_WORK_PREFIX = 'predict/';
export const predictWorkPrefix = (site: string): string => `${PREDICT_WORK_PREFIX}${site}/work/`;
export const predictWorkKey = (site: string, what: 'state' | 'batch', gen: number): string => `${predictWorkPrefix(site)}${what}-${gen}.json`;
