/** Object names inside a repository. One place, so every reader and writer agrees. */
export const CONFIG_KEY = 'config';
export const packKey = (id: string): string => `data/${id.slice(0, 2)}/${id}`;
export const indexKey = (id: string): string => `index/${id}`;
export const snapshotKey = (id: string): string => `snapshots/${id}`;
export const backupTmpPrefix = (backupId: string): string => `tmp/backups/${backupId}/`;
export const restoreTmpPrefix = (restoreId: string): string => `tmp/restores/${restoreId}/`;
export const INDEX_PREFIX = 'index/';
export const SNAPSHOT_PREFIX = 'snapshots/';
export const DATA_PREFIX = 'data/';
