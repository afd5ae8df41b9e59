import { defineQuery } from '@temporalio/workflow';
import type { RunProgress } from './types';

/** Messages of the backup and restore workflows, shared by workflows, CLI and bridge. */
export const progressQuery = defineQuery<RunProgress>('progress');
