import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadInputError } from '../../src/common/errors';
import { workerSettings } from '../../src/worker/worker-settings';

const deploymentOptionsFromEnv = (env: NodeJS.ProcessEnv) => workerSettings(env).deployment;

test('no deployment in the environment: an unversioned worker', () => {
  assert.equal(deploymentOptionsFromEnv({}), undefined);
  assert.equal(deploymentOptionsFromEnv({ LEPTON_DR_DEPLOYMENT_NAME: '', LEPTON_DR_BUILD_ID: '' }), undefined);
});

test('a deployment name and build ID turn Worker Versioning on, AUTO_UPGRADE unless PINNED is asked for', () => {
  assert.deepEqual(deploymentOptionsFromEnv({ LEPTON_DR_DEPLOYMENT_NAME: 'lepton-dr', LEPTON_DR_BUILD_ID: 'git-1a2b3c' }), {
    version: { deploymentName: 'lepton-dr', buildId: 'git-1a2b3c' },
    useWorkerVersioning: true,
    defaultVersioningBehavior: 'AUTO_UPGRADE',
  });
  assert.equal(
    deploymentOptionsFromEnv({ LEPTON_DR_DEPLOYMENT_NAME: 'lepton-dr', LEPTON_DR_BUILD_ID: '2', LEPTON_DR_VERSIONING_BEHAVIOR: 'PINNED' })
      ?.defaultVersioningBehavior,
    'PINNED',
  );
});

test('half a deployment, a bad name or behaviour is refused naming the variable', () => {
  const refused = (env: NodeJS.ProcessEnv, re: RegExp) =>
    assert.throws(
      () => deploymentOptionsFromEnv(env),
      (e: unknown) => e instanceof BadInputError && re.test(e.message),
    );
  refused({ LEPTON_DR_DEPLOYMENT_NAME: 'lepton-dr' }, /LEPTON_DR_BUILD_ID: is required when/);
  refused({ LEPTON_DR_BUILD_ID: 'v2' }, /LEPTON_DR_DEPLOYMENT_NAME: is required when/);
  refused({ LEPTON_DR_DEPLOYMENT_NAME: 'lepton.dr', LEPTON_DR_BUILD_ID: 'v2' }, /LEPTON_DR_DEPLOYMENT_NAME: must not contain "\."/);
  refused(
    { LEPTON_DR_DEPLOYMENT_NAME: 'lepton-dr', LEPTON_DR_BUILD_ID: 'v2', LEPTON_DR_VERSIONING_BEHAVIOR: 'sticky' },
    /LEPTON_DR_VERSIONING_BEHAVIOR: must be AUTO_UPGRADE or PINNED/,
  );
});
