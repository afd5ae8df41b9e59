import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { forgetSecrets, redact, redactDeep, rememberSecretsIn } from '../../src/common/secrets';
import { parsePlan } from '../../src/config/load-plan';
import { runAction } from '../../src/failover/actions';
import { redactError } from '../../src/worker/redacting-interceptor';
import { PredictionInputSchema, TrainingInputSchema, formatIssues } from '../../src/contracts/prediction-inputs';

const plan = {
  repository: { url: 'file:///tmp/ldr-secrets-repo', endpoint: '${S3_URL:-http://127.0.0.1:9000}' },
  assets: [],
  temporal: { namespace: '${NS}' },
};

describe('secrets never leave the plan', () => {
  beforeEach(() => forgetSecrets());

  it('values from ${VAR}, header values and secret-named keys are redacted; defaults are not secrets', () => {
    parsePlan(plan, 'plan.yaml', { NS: 'namespace-from-env' });
    rememberSecretsIn({
      sites: [
        {
          switcher: { headers: { authorization: 'Bearer literal-header-value' } },
          prediction: { prometheus: { apiToken: 'marked-secret-value', url: 'http://p' } },
        },
      ],
    });
    assert.equal(redact('ns namespace-from-env, auth Bearer literal-header-value, marked-secret-value, http://p'), 'ns ***, auth ***, ***, http://p');
    assert.equal(redact('endpoint http://127.0.0.1:9000'), 'endpoint http://127.0.0.1:9000');
    assert.deepEqual(redactDeep({ a: ['x namespace-from-env'], n: 1 }), { a: ['x ***'], n: 1 });
    const at = new Date(0);
    const bytes = Buffer.from('namespace-from-env');
    const kept = redactDeep({ at, bytes });
    assert.equal(kept.at, at, 'a Date is left as it is');
    assert.equal(kept.bytes, bytes, 'a Buffer is left as it is');
  });

  it('a failing command action names its target with the secret redacted, output included', async () => {
    parsePlan({ ...plan, temporal: { namespace: '${FENCE_TOKEN}' } }, 'plan.yaml', { FENCE_TOKEN: 'tok-123456' });
    const r = await runAction({
      type: 'command',
      argv: [process.execPath, '-e', 'console.log(process.argv[2]); process.exit(2)', '--', '--token', 'tok-123456'],
      timeoutMs: 10_000,
    });
    assert.equal(r.ok, false);
    assert.match(r.target, / --token \*\*\*$/);
    assert.doesNotMatch(`${r.target} ${r.outputTail} ${r.error}`, /tok-123456/);
  });

  it('an activity failure is redacted in its message, stack and cause before it reaches a history', () => {
    parsePlan(plan, 'plan.yaml', { NS: 'namespace-from-env' });
    const e = redactError(new Error('failed for namespace-from-env', { cause: new Error('inner namespace-from-env') })) as Error;
    assert.equal(e.message, 'failed for ***');
    assert.doesNotMatch(e.stack ?? '', /namespace-from-env/);
    assert.equal((e.cause as Error).message, 'inner ***');
  });

  it('the prediction loop refuses credentials in its workflow input', () => {
    for (const schema of [PredictionInputSchema, TrainingInputSchema]) {
      const r = schema.safeParse({
        site: 'eu',
        config: { prometheus: { url: 'http://p', headers: { authorization: 'x' } }, sinks: { webhook: { url: 'http://w', headers: {} } } },
      });
      assert.equal(r.success, false);
      const text = formatIssues(r.error!);
      assert.match(text, /config\.prometheus\.headers: credentials are never taken from workflow input/);
      assert.match(text, /config\.sinks\.webhook\.headers:/);
    }
    assert.equal(PredictionInputSchema.safeParse({ site: 'eu', config: { prometheus: { url: 'http://p' } } }).success, true);
  });
});
