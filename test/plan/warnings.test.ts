/** The plan's warnings: each fires at its limit, not below, and says what to do. Also the load's own checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, type PipelinesConfigInput } from '../../lib/config';
import { LoadError, parseLoadValue, parsePipelineSelection, planPipeline, planPipelines, type LoadOverrides, type WarningCode } from '../../lib/plan';

type PipelineInput = PipelinesConfigInput['pipelines'][number];

function codes(pipeline: Partial<PipelineInput>, load: LoadOverrides): WarningCode[] {
  const config = parseConfig({ stackName: 'Warn', pipelines: [{ name: 'p', description: 'warnings', action: 'noop', ...pipeline }] });
  return planPipeline(config, config.pipelines[0]!, load).warnings.map((w) => w.code);
}

test('defaults raise no warning', () => {
  assert.deepEqual(codes({}, {}), []);
});

test('a hot key: above 1,000 records/s or 1 MiB/s on one partition key, not at it', () => {
  // 10,000/s × 10% = 1,000 records/s (at the limit) of 100 B = 100,000 B/s.
  assert.ok(!codes({}, { peakEventsPerSecond: 10_000, hotKeyShare: 0.1, recordBytes: 100 }).includes('hot-key'));
  // 10,001 × 10% = 1,000.1 records/s.
  assert.ok(codes({}, { peakEventsPerSecond: 10_001, hotKeyShare: 0.1, recordBytes: 100 }).includes('hot-key'));
  // 100/s × 50% = 50 records/s of 40,000 B = 2,000,000 B/s > 1,048,576.
  assert.ok(codes({}, { peakEventsPerSecond: 100, meanEventsPerSecond: 10, hotKeyShare: 0.5, recordBytes: 40_000 }).includes('hot-key'));
});

test('records above 1 MiB', () => {
  assert.ok(!codes({}, { recordBytes: 1024 * 1024, peakEventsPerSecond: 1, meanEventsPerSecond: 1 }).includes('record-too-large'));
  assert.ok(codes({}, { recordBytes: 1024 * 1024 + 1, peakEventsPerSecond: 1, meanEventsPerSecond: 1 }).includes('record-too-large'));
});

test('batches capped by the 6 MB invoke payload', () => {
  // 100 records of 100,000 B: 4 × 33,334 + 500 = 133,836 B each; 6,291,456 / 133,836 = 47 per batch < 100.
  assert.ok(codes({}, { recordBytes: 100_000, peakEventsPerSecond: 5, meanEventsPerSecond: 1 }).includes('batch-capped-by-payload'));
});

test('concurrency above the account default of 1,000, per pipeline and for the plan as a whole', () => {
  // 101 shards × factor 10 = 1,010.
  assert.ok(codes({ stream: { mode: 'PROVISIONED', shardCount: 101 }, eventSource: { parallelizationFactor: 10 } }, {}).includes('concurrency-above-account-default'));
  assert.ok(!codes({ stream: { mode: 'PROVISIONED', shardCount: 100 }, eventSource: { parallelizationFactor: 10 } }, {}).includes('concurrency-above-account-default'));
  // Two pipelines of 60 shards × 10 = 600 each: neither alone, both together (1,200).
  const config = parseConfig({
    stackName: 'Warn',
    pipelines: ['a', 'b'].map((name) => ({ name, description: 'x', action: 'noop' as const, stream: { mode: 'PROVISIONED' as const, shardCount: 60 }, eventSource: { parallelizationFactor: 10 } })),
  });
  const plan = planPipelines(config);
  assert.equal(plan.concurrency, 1200);
  assert.deepEqual(plan.warnings.map((w) => [w.code, w.pipeline]), [['concurrency-above-account-default', undefined]]);
});

test('a parallelization factor below what the peak needs, and above what Kinesis allows', () => {
  // On-demand, 2,000/s → room for 4,000 → 4 shards, 500/s each; at 4 ms per record a slot takes 1,000 / 4 × 0.8 = 200/s → 3 slots.
  assert.ok(codes({}, { peakEventsPerSecond: 2000, msPerRecord: 4, duplicateFraction: 0 }).includes('parallelization-below-needed'));
  assert.ok(!codes({ eventSource: { parallelizationFactor: 3 } }, { peakEventsPerSecond: 2000, msPerRecord: 4, duplicateFraction: 0 }).includes('parallelization-below-needed'));
  // At 40 ms per record a slot takes 20/s → 500 / 20 = 25 slots: an on-demand stream cannot get there.
  assert.ok(codes({}, { peakEventsPerSecond: 2000, msPerRecord: 40, duplicateFraction: 0 }).includes('parallelization-above-maximum'));
  // A provisioned stream can: ⌈2,000 / (20 × 10)⌉ = 10 shards at factor 10, costed at 10 and flagged against the configured 1.
  const config = parseConfig({ stackName: 'Warn', pipelines: [{ name: 'p', description: 'x', action: 'noop', stream: { mode: 'PROVISIONED', shardCount: 1 } }] });
  const plan = planPipeline(config, config.pipelines[0]!, { peakEventsPerSecond: 2000, msPerRecord: 40, duplicateFraction: 0 });
  assert.equal(plan.capacity.shards, 10);
  assert.equal(plan.capacity.parallelizationFactor.needed, 10);
  assert.deepEqual(plan.warnings.map((w) => w.code).sort(), ['parallelization-below-needed', 'shards-below-needed']);
});

test('a latency floor that reaches the objective', () => {
  // Polling 1,000 ms + 1 s window + a batch: above a 2,000 ms objective; enhanced fan-out (70 ms + 1 s + batch) is not.
  assert.ok(codes({ alarms: { latencyObjectiveMs: 2000 } }, {}).includes('latency-floor-above-objective'));
  assert.ok(!codes({ alarms: { latencyObjectiveMs: 2000 } }, { consumer: 'efo' }).includes('latency-floor-above-objective'));
});

test('load parameters and --pipeline overrides are parsed strictly', () => {
  assert.deepEqual(parsePipelineSelection('orders'), { name: 'orders', overrides: {} });
  assert.deepEqual(parsePipelineSelection('orders:peak=2000,consumer=efo,record-bytes=900'), {
    name: 'orders',
    overrides: { peakEventsPerSecond: 2000, consumer: 'efo', recordBytes: 900 },
  });
  for (const [key, text] of [['duplicates', '1.5'], ['peak', '-1'], ['peak', 'lots'], ['peak', ''], ['record-bytes', '1.5'], ['retention-hours', '12'], ['consumer', 'push'], ['colour', '1']] as const) {
    assert.throws(() => parseLoadValue(key, text), LoadError, `${key}=${text}`);
  }
  assert.throws(() => parsePipelineSelection(':peak=1'), LoadError);
  assert.throws(() => parsePipelineSelection('orders:peak'), LoadError);
  const config = parseConfig({ stackName: 'Warn', pipelines: [{ name: 'p', description: 'x', action: 'noop' }] });
  assert.throws(() => planPipeline(config, config.pipelines[0]!, { peakEventsPerSecond: 10, meanEventsPerSecond: 20 }), /mean .* is above the peak/);
  assert.throws(() => planPipeline(config, config.pipelines[0]!, { duplicateFraction: 0.6, poisonFraction: 0.5 }), /more than every record/);
  assert.throws(() => planPipelines(config, { pipelines: [parsePipelineSelection('p'), parsePipelineSelection('p:peak=5')] }), /given twice/);
  // Without a mean, the month averages 20% of the peak: peak 10 → mean 2 (so a low peak alone is never below the mean).
  assert.equal(planPipeline(config, config.pipelines[0]!, { peakEventsPerSecond: 10 }).load.meanEventsPerSecond, 2);
});
