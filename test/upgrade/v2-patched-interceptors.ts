import { patched, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { markStartedOnV2, V2_PATCH } from './v2-change';

/** v2 as the patching policy says: the change behind patched(), so v1 histories take the old path. */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      execute(input, next) {
        if (patched(V2_PATCH)) markStartedOnV2();
        return next(input);
      },
    },
  ],
});
