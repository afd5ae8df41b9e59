import { upsertMemo } from '@temporalio/workflow';

/**
 * The workflow change of the upgrade test's "v2" build: every workflow records in its memo the
 * code generation it started on. It adds a command at the start of every workflow, so without
 * `patched()` a workflow that started on v1 fails to replay on v2 (v2-unpatched-interceptors.ts).
 */
export const V2_PATCH = 'lepton-upgrade-test-v2';
export const V2_MEMO = { codeVersion: 'v2' };

export function markStartedOnV2(): void {
  upsertMemo(V2_MEMO);
}
