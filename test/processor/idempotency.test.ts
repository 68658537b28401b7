/**
 * Idempotency with the noop action on DynamoDB Local: fresh, duplicate, in-batch duplicate,
 * concurrent invocations, retries of partially failed batches, empty batches, and the metrics.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { noop } from '../../lambdas/actions/noop';
import { idempotencyKeyOf } from '../../lambdas/shared/envelope';
import { METRIC_NAMESPACE, ProcessorMetric } from '../../lambdas/shared/metrics-contract';
import { getItem, putItem, scanAll } from './support/aws';
import { cloudEvent, failedSequenceNumbers, kinesisEvent, lambdaContext, recordsOf } from './support/events';
import { clientsFailing, createTestPipeline, type TestPipeline } from './support/pipeline';

let pipeline: TestPipeline;
before(async () => {
  pipeline = await createTestPipeline('idem', noop);
});
after(async () => pipeline.cleanup());

/** Sums the count metrics of the EMF lines written since `from`. */
function counts(from: number): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of pipeline.metricLines.slice(from)) {
    const doc = JSON.parse(line) as Record<string, unknown>;
    for (const name of [ProcessorMetric.EventsProcessed, ProcessorMetric.EventsDuplicate, ProcessorMetric.EventsPoison, ProcessorMetric.EventsFailed, ProcessorMetric.EventsStale]) {
      if (typeof doc[name] === 'number') totals[name] = (totals[name] ?? 0) + (doc[name] as number);
    }
  }
  return totals;
}

test('a fresh batch is processed once and every key is stored COMPLETED with a TTL', async () => {
  const handler = pipeline.processor();
  const events = Array.from({ length: 120 }, (_, i) => cloudEvent({ subject: `entity-${i % 7}` }));
  const mark = pipeline.metricLines.length;
  const response = await handler(kinesisEvent(recordsOf(events)), lambdaContext());
  assert.deepEqual(response, { batchItemFailures: [] });
  assert.deepEqual(counts(mark), { EventsProcessed: 120, EventsDuplicate: 0, EventsPoison: 0, EventsFailed: 0, EventsStale: 0 });
  const item = await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(events[0]!));
  assert.equal(item?.status, 'COMPLETED');
  const ttl = item?.expiresAt as number;
  assert.ok(Math.abs(ttl - (Date.now() / 1000 + pipeline.settings.idempotencyTtlSeconds)) < 60, 'TTL is now + the configured retention');
});

test('the same batch again (a redelivery) is all duplicates and changes nothing', async () => {
  const handler = pipeline.processor();
  const events = Array.from({ length: 30 }, (_, i) => cloudEvent({ subject: `dup-${i % 3}` }));
  await handler(kinesisEvent(recordsOf(events)), lambdaContext());
  const before = await scanAll(pipeline.settings.idempotencyTableName);
  const mark = pipeline.metricLines.length;
  const response = await handler(kinesisEvent(recordsOf(events)), lambdaContext());
  assert.deepEqual(response, { batchItemFailures: [] });
  assert.deepEqual(counts(mark), { EventsProcessed: 0, EventsDuplicate: 30, EventsPoison: 0, EventsFailed: 0, EventsStale: 0 });
  assert.deepEqual(await scanAll(pipeline.settings.idempotencyTableName), before, 'a duplicate batch writes nothing');
});

test('a duplicate inside one batch runs once and is not a failure', async () => {
  const handler = pipeline.processor();
  const event = cloudEvent({ subject: 'in-batch' });
  const other = cloudEvent({ subject: 'in-batch' });
  const mark = pipeline.metricLines.length;
  const response = await handler(kinesisEvent(recordsOf([event, other, { ...event }])), lambdaContext());
  assert.deepEqual(response, { batchItemFailures: [] });
  assert.equal(counts(mark).EventsProcessed, 2);
  assert.equal(counts(mark).EventsDuplicate, 1);
});

test('two concurrent invocations with overlapping keys never both run an event', async () => {
  const shared = Array.from({ length: 60 }, (_, i) => cloudEvent({ subject: `race-${i % 10}` }));
  const onlyA = Array.from({ length: 20 }, () => cloudEvent({ subject: 'race-a' }));
  const onlyB = Array.from({ length: 20 }, () => cloudEvent({ subject: 'race-b' }));
  const mark = pipeline.metricLines.length;
  // Two containers (their own clients), the same shared events, started together.
  const [a, b] = await Promise.all([
    pipeline.processor()(kinesisEvent(recordsOf([...shared, ...onlyA])), lambdaContext()),
    pipeline.processor()(kinesisEvent(recordsOf([...shared, ...onlyB])), lambdaContext()),
  ]);
  const total = counts(mark);
  assert.equal(total.EventsProcessed, 100, 'each of the 100 distinct events ran exactly once');
  assert.equal((total.EventsDuplicate ?? 0) + (total.EventsFailed ?? 0), 60, 'the loser of each shared event skipped or deferred it');
  // Whatever the loser reported failed is retried by the event source mapping: it must be a duplicate then.
  const retryMark = pipeline.metricLines.length;
  for (const [response, own] of [[a, onlyA], [b, onlyB]] as const) {
    const failed = new Set(failedSequenceNumbers(response));
    if (failed.size === 0) continue;
    const retry = await pipeline.processor()(kinesisEvent(recordsOf([...shared, ...own])), lambdaContext());
    assert.deepEqual(retry, { batchItemFailures: [] });
  }
  assert.equal(counts(retryMark).EventsProcessed ?? 0, 0, 'no event ran a second time on retry');
});

test('a batch whose commit fails is reported failed whole, then a retry processes it exactly once', async () => {
  const events = Array.from({ length: 10 }, (_, i) => cloudEvent({ subject: `retry-${i % 2}` }));
  const records = recordsOf(events);
  const broken = pipeline.processor({ clients: clientsFailing(['TransactWriteItems']) });
  const first = await broken(kinesisEvent(records), lambdaContext());
  assert.deepEqual(failedSequenceNumbers(first), records.map((r) => r.kinesis.sequenceNumber).sort(), 'every record is reported, by sequence number');
  assert.equal(await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(events[0]!)), undefined, 'nothing was committed');
  const mark = pipeline.metricLines.length;
  const retry = await pipeline.processor()(kinesisEvent(records), lambdaContext());
  assert.deepEqual(retry, { batchItemFailures: [] });
  assert.equal(counts(mark).EventsProcessed, 10);
});

test('a retried tail after a partial failure skips what already committed', async () => {
  const events = Array.from({ length: 8 }, () => cloudEvent({ subject: 'tail' }));
  const records = recordsOf(events);
  const handler = pipeline.processor();
  await handler(kinesisEvent(records.slice(0, 5)), lambdaContext());
  // The event source mapping redelivers from the failed record on; with bisect, sometimes more.
  const mark = pipeline.metricLines.length;
  const response = await handler(kinesisEvent(records), lambdaContext());
  assert.deepEqual(response, { batchItemFailures: [] });
  assert.deepEqual([counts(mark).EventsDuplicate, counts(mark).EventsProcessed], [5, 3]);
});

test('an unreadable idempotency table fails the batch instead of running actions blind', async () => {
  const events = Array.from({ length: 3 }, () => cloudEvent({ subject: 'blind' }));
  const response = await pipeline.processor({ clients: clientsFailing(['BatchGetItem']) })(kinesisEvent(recordsOf(events)), lambdaContext());
  assert.equal(response.batchItemFailures.length, 3);
});

test('an empty batch succeeds and still reports zero counts', async () => {
  const mark = pipeline.metricLines.length;
  assert.deepEqual(await pipeline.processor()({ Records: [] }, lambdaContext()), { batchItemFailures: [] });
  assert.deepEqual(counts(mark), { EventsProcessed: 0, EventsDuplicate: 0, EventsPoison: 0, EventsFailed: 0, EventsStale: 0 });
});

test('metrics follow the contract: namespace, single Pipeline dimension, high-resolution latencies', async () => {
  const mark = pipeline.metricLines.length;
  const time = new Date(Date.now() - 2000).toISOString();
  await pipeline.processor()(kinesisEvent(recordsOf([cloudEvent({ subject: 'm', time })])), lambdaContext());
  const doc = JSON.parse(pipeline.metricLines[mark]!) as {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string; StorageResolution: number }[] }[] };
    Pipeline: string;
    EventToActionLatency: number[];
    IngestToActionLatency: number[];
  };
  const directive = doc._aws.CloudWatchMetrics[0]!;
  assert.equal(directive.Namespace, METRIC_NAMESPACE);
  assert.deepEqual(directive.Dimensions, [['Pipeline']]);
  assert.equal(doc.Pipeline, 'idem');
  const latency = directive.Metrics.find((m) => m.Name === ProcessorMetric.EventToActionLatency);
  assert.deepEqual(latency, { Name: 'EventToActionLatency', Unit: 'Milliseconds', StorageResolution: 1 });
  assert.deepEqual(directive.Metrics.find((m) => m.Name === ProcessorMetric.EventsProcessed), { Name: 'EventsProcessed', Unit: 'Count', StorageResolution: 60 });
  assert.equal(doc.EventToActionLatency.length, 1);
  assert.ok(doc.EventToActionLatency[0]! >= 2000, 'event-to-action counts from the event time');
  assert.ok(doc.IngestToActionLatency[0]! < doc.EventToActionLatency[0]!, 'ingest-to-action counts from the arrival time');
});

test('a key claimed by a live lease of another invocation fails with its key tail; after the lease it runs', async () => {
  const claimed = cloudEvent({ subject: 'leased' });
  const next = cloudEvent({ subject: 'leased' });
  const other = cloudEvent({ subject: 'free' });
  const nowMs = Date.now();
  await putItem(pipeline.settings.idempotencyTableName, { pk: idempotencyKeyOf(claimed), status: 'IN_PROGRESS', leaseExpiresAt: nowMs + 30_000, expiresAt: Math.floor(nowMs / 1000) + 3600 });
  const records = recordsOf([claimed, next, other]);
  const response = await pipeline.processor()(kinesisEvent(records), lambdaContext());
  assert.deepEqual(failedSequenceNumbers(response), [records[0]!, records[1]!].map((r) => r.kinesis.sequenceNumber));
  assert.equal((await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(other)))?.status, 'COMPLETED');
  const afterLease = pipeline.processor({ clock: () => Date.now() + 31_000 });
  const mark = pipeline.metricLines.length;
  assert.deepEqual(await afterLease(kinesisEvent(records), lambdaContext()), { batchItemFailures: [] });
  assert.deepEqual([counts(mark).EventsProcessed, counts(mark).EventsDuplicate], [2, 1]);
});
