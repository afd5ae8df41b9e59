import path from 'node:path';
import { after, before } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startTemporal, type TemporalDev } from './temporal';

/**
 * Workflows against mocked activities on the dev server (the SDK's time-skipping server is not
 * installed here): one server per test file, one task queue per worker, the real workflow bundle.
 */
export interface MockedWorkflows {
  readonly env: TestWorkflowEnvironment;
  /** Runs `fn` while a worker with these activities polls a fresh task queue. */
  withWorker<T>(activities: object, fn: (taskQueue: string) => Promise<T>): Promise<T>;
}

const BUNDLE = path.join(__dirname, '..', '..', 'workflow-bundle.js');

/** Registers the file's before/after hooks that start and stop the server. */
export function mockedWorkflows(): MockedWorkflows {
  let temporal: TemporalDev;
  let env: TestWorkflowEnvironment;
  let queue = 0;
  before(async () => {
    temporal = await startTemporal();
    env = await TestWorkflowEnvironment.createFromExistingServer({ address: temporal.address, namespace: temporal.namespace });
  });
  after(async () => {
    await env?.teardown();
    await temporal?.stop();
  });
  return {
    get env() {
      return env;
    },
    async withWorker<T>(activities: object, fn: (taskQueue: string) => Promise<T>): Promise<T> {
      const taskQueue = `mocked-${process.pid}-${++queue}`;
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: temporal.namespace,
        taskQueue,
        workflowBundle: { codePath: BUNDLE },
        activities,
      });
      return worker.runUntil(fn(taskQueue));
    },
  };
}
