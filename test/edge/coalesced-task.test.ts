import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoalescedTask } from '../../src/edge/coalesced-task.js';

describe('coalesced task', () => {
  it('never overlaps; calls during a run cause exactly one more run; a stopped owner runs no more', async () => {
    let runs = 0;
    let active = 0;
    let maxActive = 0;
    let stopped = false;
    const task = new CoalescedTask(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      active--;
    }, () => stopped);
    const first = task.run();
    assert.equal(task.running, true);
    const during = [task.run(), task.run(), task.run()];
    await Promise.all([first, ...during]);
    assert.equal(runs, 2, 'one run, then one more for all the calls made during it');
    assert.equal(maxActive, 1);
    stopped = true;
    await task.run();
    assert.equal(runs, 2);
  });

  it('a failing run rejects its callers and the next call runs again', async () => {
    let fail = true;
    const task = new CoalescedTask(async () => {
      if (fail) throw new Error('boom');
    });
    await assert.rejects(task.run(), /boom/);
    fail = false;
    await task.run();
    await task.settled();
  });
});
