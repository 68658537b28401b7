/**
 * The schedule under the local metric samplers: one run at a time, a failed run neither stops the
 * schedule nor the next run, and stop() waits for the run in progress.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { PeriodicTask } from '../../local/cloudwatch/periodic-task';

describe('PeriodicTask', () => {
  it('never overlaps runs, keeps going after a failure, and stop() waits for the run in progress', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const errors: unknown[] = [];
    const task = new PeriodicTask(async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      runs += 1;
      await sleep(30);
      active -= 1;
      if (runs === 1) throw new Error('first run fails');
    }, (error) => errors.push(error));
    task.start(5);
    await sleep(150);
    await task.stop();
    assert.equal(maxActive, 1, 'runs overlapped');
    assert.ok(runs >= 3, `only ${runs} runs: a failure stopped the schedule`);
    assert.equal(active, 0, 'stop() returned during a run');
    assert.deepEqual(errors.map((e) => (e as Error).message), ['first run fails']);
    const after = runs;
    await sleep(30);
    assert.equal(runs, after, 'ran after stop()');
  });

  it('runNow after a failed run still runs, and reports its own outcome', async () => {
    let calls = 0;
    const task = new PeriodicTask(async () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
    }, () => undefined);
    await assert.rejects(task.runNow(), /boom/);
    await task.runNow();
    assert.equal(calls, 2);
  });
});
