/**
 * The orders action: status changes applied exactly once to the current-state table; late and
 * out-of-order events never overwrite newer state; concurrent invocations never both apply an event.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { orders } from '../../lambdas/actions/orders';
import { OrderEventType } from '../../lambdas/shared/orders-events';
import { idempotencyKeyOf, type CloudEvent } from '../../lambdas/shared/envelope';
import { IdempotencyOutcome } from '../../lambdas/shared/tables';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, getItem } from './support/aws';
import { cloudEvent, failedSequenceNumbers, kinesisEvent, lambdaContext, recordsOf } from './support/events';
import { clientsFailing, clientsWithDynamoHook, createTestPipeline, type TestPipeline } from './support/pipeline';

let pipeline: TestPipeline;
before(async () => {
  pipeline = await createTestPipeline('orders', orders);
});
after(async () => pipeline.cleanup());

const base = Date.parse('2026-11-25T12:00:00.000Z');
const change = (orderId: string, status: string, secondsAfterBase: number, extra: Record<string, unknown> = {}): CloudEvent =>
  cloudEvent({ subject: orderId, type: OrderEventType.StatusChanged, time: new Date(base + secondsAfterBase * 1000).toISOString(), data: { status, ...extra } });

function lastCounts(): Record<string, number> {
  return JSON.parse(pipeline.metricLines.at(-1)!) as Record<string, number>;
}
/** The count document is the first line of a batch; latency-only lines follow it when >100 values. */
function batchCounts(mark: number): Record<string, number> {
  return JSON.parse(pipeline.metricLines[mark]!) as Record<string, number>;
}

test('status changes of one order in one batch become one state item, with details and the last position', async () => {
  const events = [change('o-1', 'created', 0, { total: 42 }), change('o-1', 'paid', 1), change('o-1', 'shipped', 2, { carrier: 'DHL' })];
  const records = recordsOf(events);
  assert.deepEqual(await pipeline.processor()(kinesisEvent(records), lambdaContext()), { batchItemFailures: [] });
  const state = await getItem(pipeline.settings.stateTableName!, 'o-1');
  assert.equal(state?.status, 'shipped');
  assert.deepEqual(state?.details, { carrier: 'DHL' });
  assert.equal(state?.eventId, events[2]!.id);
  assert.equal(state?.sequenceNumber, records[2]!.kinesis.sequenceNumber);
  assert.equal(state?.version, 1, 'one write for the whole batch');
  assert.equal(state?.appliedEvents, 3, 'each of the three changes counted once');
  for (const event of events) assert.equal((await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(event)))?.status, 'COMPLETED');
});

test('an out-of-order event in the same batch is stale and does not win', async () => {
  const mark = pipeline.metricLines.length;
  const events = [change('o-2', 'shipped', 10), change('o-2', 'paid', 5)];
  assert.deepEqual(await pipeline.processor()(kinesisEvent(recordsOf(events)), lambdaContext()), { batchItemFailures: [] });
  assert.equal((await getItem(pipeline.settings.stateTableName!, 'o-2'))?.status, 'shipped');
  assert.equal(batchCounts(mark).EventsStale, 1);
  assert.equal(batchCounts(mark).EventsProcessed, 1);
  // Each key says what its event did: the reconciliation checks per-key order event by event with it.
  const outcomes = await Promise.all(events.map(async (e) => (await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(e)))?.outcome));
  assert.deepEqual(outcomes, [IdempotencyOutcome.Processed, IdempotencyOutcome.Stale]);
});

test('a late event in a later batch is stale, acknowledged once, and never overwrites newer state', async () => {
  await pipeline.processor()(kinesisEvent(recordsOf([change('o-3', 'delivered', 100)])), lambdaContext());
  const late = change('o-3', 'shipped', 50);
  const response = await pipeline.processor()(kinesisEvent(recordsOf([late])), lambdaContext());
  assert.deepEqual(response, { batchItemFailures: [] });
  assert.equal(lastCounts().EventsStale, 1);
  const state = await getItem(pipeline.settings.stateTableName!, 'o-3');
  assert.deepEqual([state?.status, state?.version], ['delivered', 1]);
  assert.equal((await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(late)))?.outcome, IdempotencyOutcome.Stale);
  await pipeline.processor()(kinesisEvent(recordsOf([late])), lambdaContext());
  assert.equal(lastCounts().EventsDuplicate, 1, 'the stale event is remembered like any other');
});

test('same event time: the later stream position wins', async () => {
  const first = change('o-4', 'paid', 7);
  const second = change('o-4', 'cancelled', 7);
  await pipeline.processor()(kinesisEvent(recordsOf([first, second])), lambdaContext());
  assert.equal((await getItem(pipeline.settings.stateTableName!, 'o-4'))?.status, 'cancelled');
});

test('events without a time or a subject are poison, not guesses', async () => {
  const noTime = { ...change('o-5', 'paid', 1) };
  delete noTime.time;
  const mark = pipeline.metricLines.length;
  await pipeline.processor()(kinesisEvent(recordsOf([noTime])), lambdaContext());
  assert.equal(batchCounts(mark).EventsPoison, 1);
  assert.equal(await getItem(pipeline.settings.stateTableName!, 'o-5'), undefined);
});

test('concurrent invocations racing on the same orders apply each event exactly once', async () => {
  const orderIds = Array.from({ length: 10 }, (_, i) => `race-${i}`);
  const events = orderIds.flatMap((id) => [change(id, 'created', 0), change(id, 'paid', 1)]);
  const records = recordsOf(events);
  const mark = pipeline.metricLines.length;
  const responses = await Promise.all([0, 1, 2].map(() => pipeline.processor()(kinesisEvent(records), lambdaContext())));
  const processed = pipeline.metricLines.slice(mark).reduce((sum, line) => sum + ((JSON.parse(line) as Record<string, number>).EventsProcessed ?? 0), 0);
  assert.equal(processed, 20, 'every event applied by exactly one invocation');
  // Redeliver whatever was reported failed until nothing is: the state ends the same.
  for (const response of responses) {
    if (response.batchItemFailures.length === 0) continue;
    assert.deepEqual(await pipeline.processor()(kinesisEvent(records), lambdaContext()), { batchItemFailures: [] });
  }
  for (const id of orderIds) {
    const state = await getItem(pipeline.settings.stateTableName!, id);
    assert.equal(state?.status, 'paid');
  }
});

test('a state change and its idempotency key commit together or not at all', async () => {
  const event = change('o-atomic', 'paid', 1);
  const records = recordsOf([event]);
  const failed = await pipeline.processor({ clients: clientsFailing(['TransactWriteItems']) })(kinesisEvent(records), lambdaContext());
  assert.deepEqual(failedSequenceNumbers(failed), [records[0]!.kinesis.sequenceNumber]);
  assert.equal(await getItem(pipeline.settings.stateTableName!, 'o-atomic'), undefined);
  assert.equal(await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(event)), undefined);
  assert.deepEqual(await pipeline.processor()(kinesisEvent(records), lambdaContext()), { batchItemFailures: [] });
  assert.equal((await getItem(pipeline.settings.stateTableName!, 'o-atomic'))?.status, 'paid');
});

test('more than 99 changes of one order in a batch commit in successive transactions, in order', async () => {
  const events = Array.from({ length: 150 }, (_, i) => change('o-many', `step-${i}`, i));
  assert.deepEqual(await pipeline.processor()(kinesisEvent(recordsOf(events)), lambdaContext()), { batchItemFailures: [] });
  const state = await getItem(pipeline.settings.stateTableName!, 'o-many');
  assert.equal(state?.status, 'step-149');
  assert.equal(state?.version, 2);
});

test('a concurrent writer changing the order between read and commit makes the batch retry, not overwrite', async () => {
  await pipeline.processor()(kinesisEvent(recordsOf([change('o-cas', 'created', 0)])), lambdaContext());
  const next = change('o-cas', 'paid', 1);
  const records = recordsOf([next]);
  // Another writer bumps the version after our read, just before our commit.
  const sneaky = pipeline.processor({
    clients: clientsWithDynamoHook(async (operation) => {
      if (operation !== 'TransactWriteItems') return;
      await documentClient.send(
        new UpdateCommand({ TableName: pipeline.settings.stateTableName!, Key: { pk: 'o-cas' }, UpdateExpression: 'SET version = version + :one', ExpressionAttributeValues: { ':one': 1 } }),
      );
    }),
  });
  const response = await sneaky(kinesisEvent(records), lambdaContext());
  assert.deepEqual(failedSequenceNumbers(response), [records[0]!.kinesis.sequenceNumber]);
  assert.equal((await getItem(pipeline.settings.stateTableName!, 'o-cas'))?.status, 'created');
  assert.deepEqual(await pipeline.processor()(kinesisEvent(records), lambdaContext()), { batchItemFailures: [] });
  assert.equal((await getItem(pipeline.settings.stateTableName!, 'o-cas'))?.status, 'paid');
});

test('large orders are split across transactions under the 4 MB limit; too large ones are poison', async () => {
  const big = 'x'.repeat(290 * 1024);
  const events = Array.from({ length: 14 }, (_, i) => change(`o-big-${i}`, 'created', 0, { note: big }));
  const tooBig = change('o-too-big', 'created', 0, { note: 'y'.repeat(310 * 1024) });
  const mark = pipeline.metricLines.length;
  assert.deepEqual(await pipeline.processor()(kinesisEvent(recordsOf([...events, tooBig])), lambdaContext()), { batchItemFailures: [] });
  assert.deepEqual([batchCounts(mark).EventsProcessed, batchCounts(mark).EventsPoison], [14, 1]);
  assert.equal(((await getItem(pipeline.settings.stateTableName!, 'o-big-13'))?.details as { note: string }).note.length, big.length);
});
