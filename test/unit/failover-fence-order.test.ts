import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fenceAt } from '../../src/workflows/fence-order';

describe('when a failover fences the primary', () => {
  it('with approval required, never before the gate', () => {
    assert.equal(fenceAt('planned', 'start', true), 'after-approval');
    assert.equal(fenceAt('unplanned', 'start', true), 'after-approval');
    assert.equal(fenceAt('unplanned', 'after-switch', true), 'after-approval');
    assert.equal(fenceAt('planned', 'after-switch', true), 'after-switch');
  });
  it('without approval, where the site says (unplanned: first)', () => {
    assert.equal(fenceAt('planned', 'start', false), 'start');
    assert.equal(fenceAt('unplanned', 'after-switch', false), 'start');
    assert.equal(fenceAt('planned', 'after-switch', false), 'after-switch');
  });
  it('drills and failbacks never fence the primary', () => {
    assert.equal(fenceAt('drill', 'start', true), 'never');
    assert.equal(fenceAt('failback', 'start', false), 'never');
  });
});
