import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { markStartedOnV2 } from './v2-change';

/** The same change without patched(): what the replay check must refuse. */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      execute(input, next) {
        markStartedOnV2();
        return next(input);
      },
    },
  ],
});
