/**
 * Batching chosen for the latency objective (lib/plan/batching.ts): the example pipelines' windows and
 * batch sizes are the ones their objectives allow, and the bounds move with the objective and the mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, parseConfig } from '../../lib/config';
import { batchingBudget } from '../../lib/plan';

test('every example pipeline batches as its latency objective allows: the largest window that fits, a batch within its bound', () => {
  for (const pipeline of loadConfig().pipelines) {
    const budget = batchingBudget(pipeline);
    assert.equal(pipeline.eventSource.maxBatchingWindowSeconds, budget.maxWindowSeconds, `${pipeline.name}: window`);
    assert.ok(pipeline.eventSource.batchSize <= budget.maxBatchSize, `${pipeline.name}: batch ${pipeline.eventSource.batchSize} > ${budget.maxBatchSize}`);
    assert.ok(budget.floorMs <= budget.objectiveMs / 2, `${pipeline.name}: floor ${budget.floorMs} ms`);
  }
});

test('the bounds by hand: a 5 s objective with polling, a 3 s one, and enhanced fan-out under 1 s', () => {
  const with_ = (eventSource: object, latencyObjectiveMs: number) =>
    batchingBudget(parseConfig({ stackName: 'B', pipelines: [{ name: 'p', description: 'd', action: 'orders', eventSource: { maxBatchingWindowSeconds: 0, ...eventSource }, alarms: { latencyObjectiveMs } }] }).pipelines[0]!);
  // 5,000 ms: half is 2,500 − 1,000 polling − 100 × 0.74 = 1,426 ms → 1 s; a full batch ≤ 500 ms / 0.74 = 675 records.
  assert.deepEqual([with_({ batchSize: 100 }, 5000).maxWindowSeconds, with_({ batchSize: 100 }, 5000).maxBatchSize], [1, 675]);
  // 3,000 ms: 1,500 − 1,000 − 148 = 352 ms → no window.
  assert.equal(with_({ batchSize: 200 }, 3000).maxWindowSeconds, 0);
  // Enhanced fan-out, 800 ms: 400 − 70 − 10 × 0.74 → no window; floor 70 + 7.4 ms; a batch ≤ 80 / 0.74 = 108 records.
  const efo = with_({ consumer: 'efo', batchSize: 10 }, 800);
  assert.equal(efo.maxWindowSeconds, 0);
  assert.equal(efo.maxBatchSize, 108);
  assert.ok(Math.abs(efo.floorMs - 77.4) < 1e-9);
});
