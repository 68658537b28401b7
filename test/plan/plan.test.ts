/**
 * The capacity and cost model against cases computed by hand: each test writes its arithmetic out, so a
 * reader can check every figure with a calculator (and the price table, lib/plan/prices.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, type PipelinesConfigInput } from '../../lib/config';
import { AlarmKind } from '../../lib/constructs/alarm-specs';
import { alarmMetricCount, planPipeline, planPipelines, PRICE_TABLE, recordUnits, type CostLine, type PipelinePlan } from '../../lib/plan';

type PipelineInput = PipelinesConfigInput['pipelines'][number];

function configWith(...pipelines: PipelineInput[]) {
  return parseConfig({ stackName: 'PlanTest', pipelines });
}

function lineOf(plan: PipelinePlan, item: string): CostLine {
  const found = plan.costs.find((l) => l.item === item);
  assert.ok(found, `no cost line "${item}" in ${plan.costs.map((l) => l.item).join(', ')}`);
  return found;
}

/** Equal within a cent-fraction: the hand arithmetic is rounded to the digits written. */
function near(actual: number, expected: number, tolerance = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} is not ${expected}`);
}

const P = PRICE_TABLE.prices;

test('a provisioned noop pipeline: shards, factor, batches, Lambda, Kinesis and DynamoDB by hand', () => {
  const config = configWith({
    name: 'clicks',
    description: 'hand-computed case',
    action: 'noop',
    stream: { mode: 'PROVISIONED', shardCount: 2 },
    processor: { memoryMb: 1024 },
    eventSource: { batchSize: 100, maxBatchingWindowSeconds: 0, parallelizationFactor: 1 },
  });
  const plan = planPipeline(config, config.pipelines[0]!, {
    peakEventsPerSecond: 1500,
    meanEventsPerSecond: 500,
    recordBytes: 2000,
    duplicateFraction: 0.1,
    poisonFraction: 0,
  });
  const c = plan.capacity;
  // Writes at the peak: 1,500 × 2,000 B = 3,000,000 B/s ÷ 1,048,576 = 2.86 → 3 shards; 1,500 records/s ÷ 1,000 → 2.
  assert.equal(c.shardsForWrites, 3);
  // Configured 2 < 3 needed: the plan runs (and costs) 3, and says so.
  assert.equal(c.shards, 3);
  assert.ok(plan.warnings.some((w) => w.code === 'shards-below-needed'));
  // Time per record: 90% new at 40 ms / 100 = 0.4 ms, 10% duplicates at 12 / 100 = 0.12 ms → 0.36 + 0.012 = 0.372 ms.
  near(c.processing.msPerRecord, 0.372);
  // A slot kept 80% busy takes 1,000 / 0.372 × 0.8 = 2,150.5 records/s; 500 records/s per shard → factor 1.
  assert.deepEqual(c.parallelizationFactor, { configured: 1, needed: 1 });
  assert.equal(c.concurrency, 3);
  near(c.peakSlotUtilisation, 500 * 0.000372); // 0.186
  // Mean: 500 / 3 slots = 166.7 records/s per slot, gathered for max(window 0 s, one 1 s poll) → 166.7, capped at
  // batchSize 100 (the 6 MB payload allows 6,291,456 / (4 × 667 + 500) = 1,985). Invocations: 166.7 / 100 × 3 = 5/s.
  assert.equal(c.meanBatch.records, 100);
  near(c.meanBatch.invocationsPerSecond, 5);
  // Latency floor: 1,000 ms poll + 0 s window + 100 × 0.372 ms = 1,037.2 ms.
  near(c.latencyFloorMs, 1037.2);

  // A month: 500 × 2,628,000 s = 1,314,000,000 records; 131,400,000 duplicates; 1,182,600,000 new.
  assert.equal(plan.usage.recordsPerMonth, 1_314_000_000);
  near(plan.usage.newRecordsPerMonth, 1_182_600_000);
  // Lambda: 5/s × 2,628,000 = 13.14 million requests × $0.20 = $2.628.
  near(lineOf(plan, 'requests (invocations)').monthlyUsd, 13.14 * 0.2);
  // GB-seconds: (1,182.6 M × 0.4 ms + 131.4 M × 0.12 ms) / 1,000 × 1 GB = (473.04 M + 15.768 M) / 1,000 = 488,808.
  near(plan.usage.lambdaGbSeconds, 488_808);
  near(lineOf(plan, 'duration at 1024 MB').monthlyUsd, 488_808 * 0.0000133334);
  // Kinesis: 3 shards × 730 h = 2,190 shard-hours × $0.015 = $32.85; one 25 KB PUT unit per 2,000 B record:
  // 1,314 million × $0.014 = $18.396. Retention 24 h: no extended retention.
  near(lineOf(plan, '3 shards').monthlyUsd, 32.85);
  near(lineOf(plan, 'PUT payload units').monthlyUsd, 18.396);
  assert.ok(!plan.costs.some((l) => l.item.startsWith('retention')));
  // DynamoDB: 2 WRU per new record: 2,365.2 million × $0.625 = $1,478.25; 1 RRU per record, new or duplicate:
  // 1,314 million × $0.125 = $164.25.
  near(lineOf(plan, 'write request units').monthlyUsd, 1478.25);
  near(lineOf(plan, 'read request units').monthlyUsd, 164.25);
  // The total is the sum of its lines.
  near(plan.monthlyUsd, plan.costs.reduce((sum, l) => sum + l.monthlyUsd, 0));
});

test('an on-demand orders pipeline with enhanced fan-out and 48 h retention, by hand', () => {
  const config = configWith({
    name: 'orders',
    description: 'hand-computed case',
    action: 'orders',
    stream: { mode: 'ON_DEMAND', retentionHours: 48 },
    idempotency: { ttlHours: 48 },
  });
  const plan = planPipeline(config, config.pipelines[0]!, {
    peakEventsPerSecond: 3000,
    meanEventsPerSecond: 1000,
    recordBytes: 600,
    duplicateFraction: 0,
    consumer: 'efo',
  });
  // On-demand keeps room for twice the peak: 6,000 records/s → 6 shards (6,000 × 600 B = 3.43 MiB/s → 4); at least 4.
  assert.equal(plan.capacity.shards, 6);
  // 500 records/s per shard at 0.74 ms: one slot takes 1,000 / 0.74 × 0.8 = 1,081/s → factor 1; concurrency 6.
  assert.equal(plan.capacity.parallelizationFactor.needed, 1);
  assert.equal(plan.capacity.concurrency, 6);
  // Ingest: 1,000/s × 2,628,000 s × 1,024 B (600 B rounded up to 1 KB) = 2,691,072,000,000 B ÷ 2^30 = 2,506.256 GB.
  const gb = (2_628_000_000 * 1024) / 2 ** 30;
  near(plan.usage.kinesisIngestGb, gb);
  near(lineOf(plan, 'data in').monthlyUsd, gb * 0.08); // $200.50
  // Enhanced fan-out reads the same bytes at $0.05 instead of polling's $0.04, and has no consumer-shard-hours on on-demand.
  near(lineOf(plan, 'enhanced fan-out retrieval').monthlyUsd, gb * 0.05); // $125.31
  assert.ok(!plan.costs.some((l) => l.item === 'data out (polling)' || l.item === 'enhanced fan-out consumer'));
  // Retention 48 h: 24 h beyond the first day are stored: 1,024,000 B/s × 86,400 s = 88,473,600,000 B = 82.397 GB-month × $0.10.
  near(lineOf(plan, 'retention 48 h (beyond 24 h)').monthlyUsd, ((1_024_000 * 86_400) / 2 ** 30) * 0.1); // $8.24
  // Orders: 3 WRU and 1.5 RRU per new record (600 B state fits 1 KB): 7,884 M WRU × $0.625 = $4,927.50; 3,942 M RRU × $0.125 = $492.75.
  near(lineOf(plan, 'write request units').monthlyUsd, 4927.5);
  near(lineOf(plan, 'read request units').monthlyUsd, 492.75);
  // Enhanced fan-out delivery: 70 ms + 1 s window + a mean batch (1,000/s ÷ 6 slots × max(1 s, 70 ms) = 166.7 → 100 records × 0.74 ms).
  near(plan.capacity.latencyFloorMs, 70 + 1000 + 74);
});

test('a provisioned stream with enhanced fan-out pays consumer-shard-hours and its own retrieval price', () => {
  const config = configWith({ name: 'feed', description: 'efo', action: 'noop', stream: { mode: 'PROVISIONED', shardCount: 4, retentionHours: 200 }, idempotency: { ttlHours: 200 } });
  const plan = planPipeline(config, config.pipelines[0]!, { peakEventsPerSecond: 100, meanEventsPerSecond: 10, recordBytes: 1024, consumer: 'efo' });
  // 4 shards × 730 h = 2,920 consumer-shard-hours × $0.015 = $43.80.
  near(lineOf(plan, 'enhanced fan-out consumer').monthlyUsd, 43.8);
  // 10/s × 2,628,000 s × 1,024 B ÷ 2^30 = 25.063 GB × $0.013.
  near(lineOf(plan, 'enhanced fan-out retrieval').monthlyUsd, ((26_280_000 * 1024) / 2 ** 30) * 0.013);
  // 200 h retention: extended (to 7 days) per shard-hour, 2,920 × $0.02 = $58.40; beyond 168 h, 32 h of data per GB-month:
  // 10,240 B/s × 115,200 s = 1,179,648,000 B = 1.0986 GB × $0.023.
  near(lineOf(plan, 'retention 168 h (beyond 24 h)').monthlyUsd, 58.4);
  near(lineOf(plan, 'retention 200 h (beyond 7 days)').monthlyUsd, ((10_240 * 115_200) / 2 ** 30) * 0.023);
});

test('the plan reads the consumer mode from the configuration (eventSource.consumer), and --consumer overrides it', () => {
  const config = configWith({ name: 'feed', description: 'efo', action: 'noop', stream: { mode: 'PROVISIONED', shardCount: 2 }, eventSource: { consumer: 'efo' } });
  const configured = planPipeline(config, config.pipelines[0]!, { peakEventsPerSecond: 100 });
  assert.equal(configured.load.consumer, 'efo');
  // 2 shards × 730 h = 1,460 consumer-shard-hours × $0.015 = $21.90.
  near(lineOf(configured, 'enhanced fan-out consumer').monthlyUsd, 21.9);
  const overridden = planPipeline(config, config.pipelines[0]!, { peakEventsPerSecond: 100, consumer: 'polling' });
  assert.equal(overridden.load.consumer, 'polling');
  assert.ok(!overridden.costs.some((l) => l.item.startsWith('enhanced fan-out')));
});

test('units per record: noop and orders as measured, telemetry from its claim, completion and incidents', () => {
  assert.deepEqual(recordUnits({ action: 'noop', recordBytes: 500, thresholdMetrics: 0, breachFraction: 0 }).newRecord, { wru: 2, rru: 1, snsPublishes: 0 });
  const orders = recordUnits({ action: 'orders', recordBytes: 1024, thresholdMetrics: 0, breachFraction: 0 });
  assert.deepEqual(orders.newRecord, { wru: 3, rru: 1.5, snsPublishes: 0 }); // README: 3.00 WCU, 1.50 RCU
  assert.deepEqual(orders.duplicate, { rru: 1.5 });
  // A 5,000 B state item: 2 × ⌈5,000 / 1,024⌉ = 10 WRU per transactional write, shared by 2 events → 2 + 5 = 7;
  // reads ⌈5,000 / 4,096⌉ = 2 RRU per order, shared → 1 + 1 = 2.
  assert.deepEqual(recordUnits({ action: 'orders', recordBytes: 5000, thresholdMetrics: 0, breachFraction: 0 }).newRecord, { wru: 7, rru: 2, snsPublishes: 0 });
  // Telemetry, 3 thresholds, half the readings breaching: claim 2 + completion 1 + 0.5 × (put 1 + delete 1) = 4 WRU;
  // the key and 3 incident items = 4 RRU; 0.5 alerts.
  const telemetry = recordUnits({ action: 'telemetry', recordBytes: 300, thresholdMetrics: 3, breachFraction: 0.5 });
  assert.deepEqual(telemetry.newRecord, { wru: 4, rru: 4, snsPublishes: 0.5 });
  assert.deepEqual(telemetry.duplicate, { rru: 4 });
});

test('alarm metrics are counted from the alarm table: 12 single-metric alarms, the latency objective (3 metrics) and ConsumerStalled (2)', () => {
  const config = configWith({ name: 'orders', description: 'alarms', action: 'orders' });
  // 16 kinds; the two windowed ones (WatermarkStalled, TooLateEvents) only for windowed pipelines.
  assert.equal(Object.keys(AlarmKind).length, 16);
  assert.equal(alarmMetricCount(config.pipelines[0]!, config.stackName), 12 + 3 + 2);
  const plan = planPipeline(config, config.pipelines[0]!);
  near(lineOf(plan, 'alarms (17 alarm metrics)').monthlyUsd, 17 * 0.1);
  // 12 metric names in lambdas/shared/metrics-contract.ts, 4 of them windowed only: 8 × $0.30.
  near(lineOf(plan, 'custom metrics (8)').monthlyUsd, 2.4);
});

test('a windowed pipeline adds its two alarms and its four window metrics', () => {
  const config = configWith({ name: 'returns', description: 'w', action: 'returns', windows: { keyField: 'sku' }, spike: {} });
  assert.equal(alarmMetricCount(config.pipelines[0]!, config.stackName), 12 + 2 + 3 + 2);
  const plan = planPipeline(config, config.pipelines[0]!);
  near(lineOf(plan, 'custom metrics (12)').monthlyUsd, 12 * 0.3);
});

test('the plan of the whole configuration: every pipeline once, the stack shared once, totals add up', () => {
  const config = configWith(
    { name: 'a', description: 'a', action: 'noop' },
    { name: 'b', description: 'b', action: 'orders', eventSource: { parallelizationFactor: 3 } },
  );
  const plan = planPipelines(config, { load: { peakEventsPerSecond: 400, meanEventsPerSecond: 100 } });
  assert.deepEqual(plan.pipelines.map((p) => p.name), ['a', 'b']);
  assert.deepEqual(plan.shared.map((l) => l.item), ['dashboard', 'alarm topic key']);
  near(plan.monthlyUsd, plan.pipelines.reduce((s, p) => s + p.monthlyUsd, 0) + 3 + 1);
  // On-demand, 400/s: room for 800/s is 1 shard, so the minimum of 4; b keeps its configured factor 3: 4 + 12.
  assert.equal(plan.concurrency, 4 + 12);
  // A selection plans only the named pipelines, each with its own overrides on top of the global load.
  const one = planPipelines(config, { load: { peakEventsPerSecond: 400, meanEventsPerSecond: 100 }, pipelines: [{ name: 'b', overrides: { meanEventsPerSecond: 10 } }] });
  assert.deepEqual(one.pipelines.map((p) => [p.name, p.load.peakEventsPerSecond, p.load.meanEventsPerSecond]), [['b', 400, 10]]);
});

test('the price table names its region, and every price its AWS page, where it was read and when', () => {
  assert.equal(PRICE_TABLE.region, 'us-east-1');
  for (const [id, price] of Object.entries(P)) {
    assert.ok(price.usd > 0, id);
    assert.match(price.source, /^https:\/\/aws\.amazon\.com\//, id);
    assert.ok(price.readFrom.length > 0 && price.readFrom.every((r) => /https:\/\//.test(r)), id);
    assert.match(price.checkedOn, /^\d{4}-\d{2}-\d{2}$/, id);
  }
});
