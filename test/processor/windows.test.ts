/**
 * Event-time windows (issue 12) on DynamoDB Local, SQS/SNS and Kinesis (for the closer's shard list),
 * with the real processor and the `returns` action: exactly-once counts through duplicates and
 * redeliveries, out-of-order and late events, too-late events accounted, two shards on one window, hopping
 * windows, the spike alert mid-window and once only (also across a crash between commit and alert), and
 * windows closed by the schedule with no traffic at all.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KinesisStreamRecord, ScheduledEvent } from 'aws-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { returns } from '../../lambdas/actions/returns';
import { ReturnEventType, SPIKE_ALERT_KIND, type SpikeAlert } from '../../lambdas/shared/returns-events';
import { parsePoisonRecordMessage } from '../../lambdas/shared/dlq-message';
import { idempotencyKeyOf, type CloudEvent } from '../../lambdas/shared/envelope';
import { kinesisClient } from '../../lambdas/shared/kinesis-client';
import { spikeSchema, windowsSchema, type WindowsConfig } from '../../lambdas/shared/windows-config';
import { createProcessor, defaultClients } from '../../lambdas/processor/processor';
import type { CloserReport } from '../../lambdas/processor/windows/closer';
import { TestStream } from '../client/support/kinesis-streams';
import { listShards, mergeShards, splitShard } from '../../local/event-source/test-kit';
import { drainQueue, getItem, sns } from './support/aws';
import { cloudEvent, kinesisEvent, kinesisRecord, lambdaContext } from './support/events';
import { createTestPipeline, silentLogger, type TestPipeline } from './support/pipeline';

const SIZE_MS = 600_000;
const SHARD_0 = 'shardId-000000000000';
const SHARD_1 = 'shardId-000000000001';
/** A window boundary three hours ago: every event below is in the past, as returns are. */
const T0 = Math.floor((Date.now() - 3 * 3600_000) / SIZE_MS) * SIZE_MS;

let stream: TestStream;
const kinesis = kinesisClient();
before(async () => {
  stream = await TestStream.create('windows', 2);
});
after(async () => {
  await stream.delete();
  kinesis.destroy();
});

async function windowedPipeline(name: string, windows: Partial<WindowsConfig> = {}, spike = { minimumVolume: 5, factor: 3 }, streamName = stream.streamName): Promise<TestPipeline> {
  return createTestPipeline(name, returns(sns), {
    withTopic: true,
    dueIndex: true,
    settings: {
      windowsConfigJson: JSON.stringify(windowsSchema.parse({ keyField: 'sku', sumFields: ['amount'], topField: 'reason', idleTimeoutSeconds: 60, ...windows })),
      spikeConfigJson: JSON.stringify(spikeSchema.parse(spike)),
      streamName,
    },
  });
}

const returned = (sku: string, timeMs: number, reason = 'damaged', amount = 10): CloudEvent =>
  cloudEvent({ subject: `order-${Math.random().toString(36).slice(2, 8)}`, type: ReturnEventType.Returned, time: new Date(timeMs).toISOString(), data: { orderId: 'o', sku, reason, amount } });

function onShard(event: CloudEvent, shardId = SHARD_0): KinesisStreamRecord {
  const record = kinesisRecord({ data: event, partitionKey: event.subject! });
  return { ...record, eventID: `${shardId}:${record.kinesis.sequenceNumber}` };
}

const scheduled = (): ScheduledEvent => ({
  version: '0',
  id: 'tick',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '000000000000',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:000000000000:rule/test'],
  detail: {},
});

function processor(pipeline: TestPipeline, clock?: () => number) {
  return pipeline.processor({ clients: { ...defaultClients(), kinesis }, ...(clock ? { clock } : {}) });
}

/** A processor of `pipeline` whose returns action publishes with `snsClient`. */
function processorPublishingWith(pipeline: TestPipeline, snsClient: SNSClient) {
  return createProcessor(returns(snsClient), { clients: { ...defaultClients(), kinesis }, logger: silentLogger(), metricsWriter: (line) => pipeline.metricLines.push(line), settings: pipeline.settings });
}

const windowItem = (pipeline: TestPipeline, sku: string, start: number) => getItem(pipeline.settings.stateTableName!, `window#${start}#${sku}`);
const resultItem = (pipeline: TestPipeline, sku: string, start: number) => getItem(pipeline.settings.stateTableName!, `result#${start}#${sku}`);

async function alerts(pipeline: TestPipeline): Promise<SpikeAlert[]> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return (await drainQueue(pipeline.alertsQueueUrl!)).map((m) => JSON.parse(m.Body!) as SpikeAlert);
}

describe('tumbling windows of the returns pipeline', () => {
  let pipeline: TestPipeline;
  before(async () => {
    pipeline = await windowedPipeline('win-tumbling');
  });
  after(() => pipeline.cleanup());

  test('each event counts once: in-batch and cross-batch duplicates, redeliveries and producer re-sends never count twice', async () => {
    const events = Array.from({ length: 12 }, (_, i) => returned(`sku-dup-${i % 3}`, T0 + 1000 * i, i % 2 ? 'damaged' : 'wrong size'));
    const batch = [...events.map((e) => onShard(e)), onShard(events[0]!)];
    assert.deepEqual(await processor(pipeline)(kinesisEvent(batch), lambdaContext()), { batchItemFailures: [] });
    assert.deepEqual(await processor(pipeline)(kinesisEvent(batch), lambdaContext()), { batchItemFailures: [] }, 'a redelivery');
    await processor(pipeline)(kinesisEvent(events.slice(0, 4).map((e) => onShard(e, SHARD_1))), lambdaContext()); // re-sent by the producer
    for (let k = 0; k < 3; k++) {
      const window = await windowItem(pipeline, `sku-dup-${k}`, T0);
      assert.equal(window?.count, 4, `sku ${k}`);
      assert.equal(window?.version, 1, 'one state write per key and window for the batch; the duplicates wrote nothing');
      assert.equal((window?.sums as Record<string, number>).amount, 40);
    }
    assert.equal((await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(events[5]!)))?.status, 'COMPLETED');
  });

  test('out of order within the bound and late within the lateness count; too late is accounted, never counted, dead-lettered once', async () => {
    const sku = 'sku-late';
    const first = [returned(sku, T0 + 10_000), returned(sku, T0 + 610_000), returned(sku, T0 + 1_360_000), returned(sku, T0 + 1_320_000)];
    assert.deepEqual(await processor(pipeline)(kinesisEvent(first.map((e) => onShard(e))), lambdaContext()), { batchItemFailures: [] });
    // The watermark: the shard's largest on-time event (T0 + 1,360 s) minus the 60 s bound = T0 + 1,300 s.
    const report = (await processor(pipeline)(scheduled(), lambdaContext())) as CloserReport;
    assert.equal(report.watermark, T0 + 1_300_000);
    assert.ok((await resultItem(pipeline, sku, T0))?.closedAt, 'window [T0, T0+600 s) is final: its end plus 300 s lateness is behind the watermark');
    assert.equal((await resultItem(pipeline, sku, T0))?.count, 1);

    const lateWithin = returned(sku, T0 + 1_100_000); // window [T0+600 s, T0+1200 s): ended, but within the lateness
    const tooLate = returned(sku, T0 + 100_000); // window [T0, T0+600 s): final
    const batch = [onShard(lateWithin), onShard(tooLate)];
    const mark = pipeline.metricLines.length;
    for (let delivery = 0; delivery < 3; delivery++) assert.deepEqual(await processor(pipeline)(kinesisEvent(batch), lambdaContext()), { batchItemFailures: [] });
    assert.equal((await windowItem(pipeline, sku, T0 + SIZE_MS))?.count, 2, 'the late one counts in its window');
    assert.equal((await resultItem(pipeline, sku, T0))?.count, 1, 'the too-late one is not in the closed window');
    assert.equal((await resultItem(pipeline, sku, T0))?.tooLate, 1, 'it is on the result, once for three deliveries');
    const messages = (await drainQueue(pipeline.settings.deadLetterQueueUrl)).map((m) => parsePoisonRecordMessage(m.Body!)!);
    assert.deepEqual(messages.map((m) => [m.reason, m.event?.id]), [['too-late', tooLate.id]], 'recorded with its bytes, once');
    assert.match(messages[0]!.error, /too late for every window it belongs to/);
    const tooLateMetric = pipeline.metricLines.slice(mark).reduce((sum, line) => sum + ((JSON.parse(line) as { EventsTooLate?: number }).EventsTooLate ?? 0), 0);
    assert.equal(tooLateMetric, 3, 'EventsTooLate counts it on every delivery the DLQ sees it (once)');
  });

  test('two shards updating one key’s window at the same time lose no update', async () => {
    const sku = 'sku-race';
    const a = Array.from({ length: 40 }, (_, i) => returned(sku, T0 + 2 * SIZE_MS + i * 100, 'a', 1));
    const b = Array.from({ length: 40 }, (_, i) => returned(sku, T0 + 2 * SIZE_MS + i * 100 + 50, 'b', 2));
    const responses = await Promise.all([
      processor(pipeline)(kinesisEvent(a.map((e) => onShard(e, SHARD_0))), lambdaContext()),
      processor(pipeline)(kinesisEvent(b.map((e) => onShard(e, SHARD_1))), lambdaContext()),
    ]);
    assert.deepEqual(responses, [{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    const window = await windowItem(pipeline, sku, T0 + 2 * SIZE_MS);
    assert.equal(window?.count, 80);
    assert.equal((window?.sums as Record<string, number>).amount, 120);
    assert.deepEqual(window?.top, { a: 40, b: 40 });
  });

  test('the spike alert fires during the window, as the running count crosses the threshold, once', async () => {
    const sku = 'sku-hot';
    const start = T0 + 3 * SIZE_MS;
    const events = Array.from({ length: 8 }, (_, i) => returned(sku, start + i * 1000, i < 6 ? 'defective' : 'late delivery'));
    await alerts(pipeline); // what earlier tests' windows raised
    await processor(pipeline)(kinesisEvent(events.slice(0, 3).map((e) => onShard(e))), lambdaContext());
    assert.equal((await alerts(pipeline)).length, 0, 'three returns: below the minimum volume of 5');
    await processor(pipeline)(kinesisEvent(events.slice(3).map((e) => onShard(e))), lambdaContext());
    await processor(pipeline)(kinesisEvent(events.slice(3).map((e) => onShard(e))), lambdaContext()); // a redelivery
    const published = await alerts(pipeline);
    assert.equal(published.length, 1);
    const alert = published[0]!;
    assert.deepEqual(
      { kind: alert.kind, sku: alert.sku, windowStart: alert.windowStart, count: alert.count, threshold: alert.threshold, baseline: alert.baseline },
      { kind: SPIKE_ALERT_KIND, sku, windowStart: new Date(start).toISOString(), count: 5, threshold: 5, baseline: 0 },
    );
    assert.deepEqual(alert.topReasons[0], { reason: 'defective', count: 5 });
    assert.equal((await windowItem(pipeline, sku, start))?.count, 8, 'the window goes on counting after the alert');
    assert.equal((await alerts(pipeline)).length, 0, 'no second alert for the window');
  });
});

test('a crash between the commit and the alert: the outbox publishes it once, after the grace period', async () => {
  const pipeline = await windowedPipeline('win-outbox');
  try {
    const sku = 'sku-outbox';
    const events = Array.from({ length: 6 }, (_, i) => returned(sku, T0 + i * 1000));
    const deadSns = new SNSClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const crashing = processorPublishingWith(pipeline, deadSns);
    assert.deepEqual(await crashing(kinesisEvent(events.map((e) => onShard(e))), lambdaContext()), { batchItemFailures: [] }, 'the counts are committed');
    assert.equal((await getItem(pipeline.settings.stateTableName!, `alert#${T0}#${sku}`))?.status, 'PENDING');
    assert.equal((await alerts(pipeline)).length, 0);

    const soon = (await processor(pipeline)(scheduled(), lambdaContext())) as CloserReport;
    assert.equal(soon.alertsRetried, 0, 'within the grace period the raising invocation may still publish it');
    const later = () => Date.now() + 61_000;
    assert.equal(((await processor(pipeline, later)(scheduled(), lambdaContext())) as CloserReport).alertsRetried, 1);
    assert.equal(((await processor(pipeline, later)(scheduled(), lambdaContext())) as CloserReport).alertsRetried, 0);
    const published = await alerts(pipeline);
    assert.equal(published.length, 1);
    assert.equal(published[0]!.alertId, `${pipeline.settings.pipelineName}#${sku}#${new Date(T0).toISOString()}`);
    assert.equal((await getItem(pipeline.settings.stateTableName!, `alert#${T0}#${sku}`))?.status, 'SENT');
  } finally {
    await pipeline.cleanup();
  }
});

test('hopping windows: an event counts in each of its size / slide windows', async () => {
  const pipeline = await windowedPipeline('win-hopping', { sizeSeconds: 600, slideSeconds: 300 });
  try {
    const event = returned('sku-hop', T0 + 400_000);
    await processor(pipeline)(kinesisEvent([onShard(event)]), lambdaContext());
    assert.equal((await windowItem(pipeline, 'sku-hop', T0))?.count, 1, '[T0, T0+600 s)');
    assert.equal((await windowItem(pipeline, 'sku-hop', T0 + 300_000))?.count, 1, '[T0+300 s, T0+900 s)');
    assert.equal(await windowItem(pipeline, 'sku-hop', T0 - 300_000), undefined);
  } finally {
    await pipeline.cleanup();
  }
});

test('with no traffic at all the schedule still closes windows: the watermark follows the clock', async () => {
  const pipeline = await windowedPipeline('win-idle');
  try {
    const events = [returned('sku-idle', T0 + 1000), returned('sku-idle', T0 + 2000), returned('sku-idle-2', T0 + SIZE_MS + 5)];
    await processor(pipeline)(kinesisEvent(events.map((e) => onShard(e))), lambdaContext());
    const now = (await processor(pipeline)(scheduled(), lambdaContext())) as CloserReport;
    assert.equal(now.windowsClosed, 0, 'the shard is active: its watermark (T0 + 600 s − 60 s) holds the windows open');
    // Past the 60 s idle timeout, no shard holds the watermark back.
    const idle = (await processor(pipeline, () => Date.now() + 61_000)(scheduled(), lambdaContext())) as CloserReport;
    assert.equal(idle.windowsClosed, 2);
    assert.ok(idle.watermark > Date.now() - 130_000, 'now minus the idle timeout minus the out-of-order bound');
    const result = await resultItem(pipeline, 'sku-idle', T0);
    assert.deepEqual({ count: result?.count, spiked: result?.spiked, top: result?.topValues }, { count: 2, spiked: false, top: [{ value: 'damaged', count: 2 }] });
    assert.equal((await windowItem(pipeline, 'sku-idle', T0))?.closed, true);
    assert.equal((await getItem(pipeline.settings.stateTableName!, 'baseline#sku-idle'))?.value, 2, 'the first closed window is the baseline');
    const again = (await processor(pipeline, () => Date.now() + 62_000)(scheduled(), lambdaContext())) as CloserReport;
    assert.equal(again.windowsClosed, 0, 'a result is written once');
  } finally {
    await pipeline.cleanup();
  }
});

test('across a reshard of the real stream the watermark keeps advancing: a closed parent holds it until a child is processed, then hands over (split, then merge)', async () => {
  const resharded = await TestStream.create('windows-reshard', 1);
  const pipeline = await windowedPipeline('win-reshard', {}, undefined, resharded.streamName);
  const close = async (): Promise<CloserReport> => (await processor(pipeline)(scheduled(), lambdaContext())) as CloserReport;
  const processOn = async (shardId: string, events: CloudEvent[]) =>
    assert.deepEqual(await processor(pipeline)(kinesisEvent(events.map((e) => onShard(e, shardId))), lambdaContext()), { batchItemFailures: [] });
  try {
    const [parent] = (await listShards(resharded.client, resharded.streamName)).map((s) => s.ShardId as string);
    await processOn(parent as string, [returned('sku-rs', T0 + 100_000), returned('sku-rs', T0 + 700_000)]);
    assert.equal((await close()).watermark, T0 + 640_000, "the parent's largest event time minus the 60 s bound");

    const [left, right] = await splitShard(resharded.client, resharded.streamName, parent as string);
    const held = await close();
    assert.equal(held.watermark, T0 + 640_000, 'closed but no child processed yet: the parent may still have records to give, it holds the watermark');
    assert.equal(held.windowsClosed, 0);

    await processOn(left, [returned('sku-rs', T0 + 1_500_000)]);
    const handedOver = await close();
    assert.equal(handedOver.watermark, T0 + 1_440_000, 'the parent handed over to its processed child (the other child, never processed, holds nothing)');
    assert.equal(handedOver.windowsClosed, 1, "the parent's window [T0, T0+600 s) is final now");
    assert.equal((await resultItem(pipeline, 'sku-rs', T0))?.count, 1);

    await processOn(right, [returned('sku-rs', T0 + 1_600_000)]);
    assert.equal((await close()).watermark, T0 + 1_440_000, 'both children hold it now: the smaller of the two');
    const merged = await mergeShards(resharded.client, resharded.streamName, left, right);
    await processOn(merged, [returned('sku-rs', T0 + 2_500_000)]);
    const afterMerge = await close();
    assert.equal(afterMerge.watermark, T0 + 2_440_000, 'both merged parents handed over to their processed child');
    assert.ok(afterMerge.windowsClosed >= 1, 'the windows behind the new watermark closed');
    assert.ok(afterMerge.watermarkLagMs < Date.now() - T0, 'the lag shrank as event time moved on');
  } finally {
    await pipeline.cleanup();
    await resharded.delete();
  }
});
