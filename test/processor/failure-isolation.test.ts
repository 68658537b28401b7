/**
 * One hostile event never takes innocent events down with it (issue 10): a write the store refuses is
 * attributed to the event that causes it, whatever the commit point; a deterministic crash in action
 * code is poison, not a retry; poison is dead-lettered once however often its batch is delivered; an
 * event dated in the future cannot freeze its entity.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import type { ActionFactory, TransactionalAction } from '../../lambdas/actions/action';
import { orders } from '../../lambdas/actions/orders';
import { telemetry } from '../../lambdas/actions/telemetry';
import { OrderEventType } from '../../lambdas/shared/orders-events';
import { TelemetryEventType } from '../../lambdas/shared/telemetry-events';
import { parsePoisonRecordMessage, type PoisonRecordMessage } from '../../lambdas/shared/dlq-message';
import { idempotencyKeyOf, type CloudEvent } from '../../lambdas/shared/envelope';
import { ProcessorMetric } from '../../lambdas/shared/metrics-contract';
import { storabilityProblem } from '../../lambdas/processor/storable';
import { findPipeline, loadConfig } from '../../lib/config';
import { createTable, deleteTable, drainQueue, dynamodbClient, getItem, putItem, sns, uniqueName } from './support/aws';
import { cloudEvent, failedSequenceNumbers, kinesisEvent, kinesisRecord, lambdaContext, recordsOf } from './support/events';
import { createTestPipeline, type TestPipeline } from './support/pipeline';

let ordersPipeline: TestPipeline;
let telemetryPipeline: TestPipeline;
const telemetryConfig = findPipeline(loadConfig(), 'telemetry').telemetry!;
before(async () => {
  ordersPipeline = await createTestPipeline('isolation-orders', orders);
  telemetryPipeline = await createTestPipeline('isolation-telemetry', telemetry(sns), { withTopic: true, settings: { telemetryConfigJson: JSON.stringify(telemetryConfig) } });
});
after(async () => Promise.all([ordersPipeline.cleanup(), telemetryPipeline.cleanup()]));

let tick = Date.now() - 60_000;
const order = (subject: string, data: unknown, time = new Date((tick += 10)).toISOString()): CloudEvent =>
  cloudEvent({ subject, type: OrderEventType.StatusChanged, data, time });

async function dlq(pipeline: TestPipeline): Promise<PoisonRecordMessage[]> {
  return (await drainQueue(pipeline.settings.deadLetterQueueUrl)).map((m) => parsePoisonRecordMessage(m.Body ?? '')!);
}

function counts(pipeline: TestPipeline, from: number): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of pipeline.metricLines.slice(from)) {
    for (const [name, value] of Object.entries(JSON.parse(line) as Record<string, unknown>)) {
      if (typeof value === 'number') totals[name] = (totals[name] ?? 0) + value;
      if (Array.isArray(value)) totals[`${name}.count`] = (totals[`${name}.count`] ?? 0) + value.length;
    }
  }
  return totals;
}

test('an order whose data DynamoDB cannot hold is dead-lettered alone; every other order of the transaction commits', async () => {
  const run = `iso-${Date.now()}`;
  const valid = Array.from({ length: 12 }, (_, i) => order(`${run}-${i % 4}`, { status: `s${i}` }));
  const hostile = [
    order(`${run}-1`, { status: 'paid', amount: 1e200 }),
    order(`${run}-x`, { status: 'paid', tiny: -1e-200 }),
    order(`${run}-y`, { status: 'paid', nested: JSON.parse('['.repeat(40) + ']'.repeat(40)) }),
    order(`${run}-z`, { status: 'paid', '': 'empty key' }),
    order(`${run}-w`, JSON.parse('{"status":"paid","__proto__":{"admin":true}}')),
  ];
  const records = recordsOf([...valid.slice(0, 6), ...hostile, ...valid.slice(6)]);
  const response = await ordersPipeline.processor()(kinesisEvent(records), lambdaContext());
  assert.deepEqual(response, { batchItemFailures: [] }, 'no batch-level failure while DynamoDB is up');
  for (let k = 0; k < 4; k++) {
    const state = await getItem(ordersPipeline.settings.stateTableName!, `${run}-${k}`);
    assert.equal(state?.appliedEvents, 3, `order ${k}: its three valid events applied`);
    assert.equal(state?.status, `s${k + 8}`);
  }
  const messages = await dlq(ordersPipeline);
  assert.deepEqual(messages.map((m) => m.record.sequenceNumber).sort(), records.slice(6, 11).map((r) => r.kinesis.sequenceNumber).sort(), 'exactly the hostile events, once each');
  for (const message of messages) {
    // A `__proto__` key is refused at the door (JavaScript would drop it silently), the rest by the store's rules.
    assert.equal(message.reason, message.record.sequenceNumber === records[10]!.kinesis.sequenceNumber ? 'invalid-envelope' : 'store-rejected');
    const original = records.find((r) => r.kinesis.sequenceNumber === message.record.sequenceNumber)!;
    assert.equal(message.record.data, original.kinesis.data, 'the exact bytes');
  }
  assert.match(messages.find((m) => m.event?.id === hostile[0]!.id)!.error, /1e\+200 is above DynamoDB's range/);
  assert.match(messages.find((m) => m.event?.id === hostile[2]!.id)!.error, /nested deeper than DynamoDB's 32 levels/);
  assert.match(messages.find((m) => m.record.sequenceNumber === records[10]!.kinesis.sequenceNumber)!.error, /data\.__proto__: a "__proto__" key cannot be carried as data/);
});

test('numbers beyond 2^53 are stored as the doubles they are, and the next batch of the same order reads them back', async () => {
  const subject = `big-${Date.now()}`;
  const first = order(subject, { status: 'created', quantity: 12345678901234567890, ratio: 1.5e21 });
  assert.deepEqual(await ordersPipeline.processor()(kinesisEvent(recordsOf([first])), lambdaContext()), { batchItemFailures: [] });
  const later = order(subject, { status: 'paid' });
  assert.deepEqual(await ordersPipeline.processor()(kinesisEvent(recordsOf([later])), lambdaContext()), { batchItemFailures: [] }, 'reading the stored big numbers does not fail the batch');
  const state = await getItem(ordersPipeline.settings.stateTableName!, subject);
  assert.equal(state?.status, 'paid');
  assert.equal(state?.appliedEvents, 2);
});

/** An action whose state DynamoDB refuses though every check before sending passes: 39 significant digits. */
const preciseAction: TransactionalAction = {
  kind: 'transactional',
  eventTypes: '*',
  stateKey: (event) => event.event.subject,
  decide: (event) => {
    const digits = (event.event.data as { digits?: string } | undefined)?.digits;
    return { kind: 'write', attributes: { value: digits ? NumberValue.from(digits) : 1 } };
  },
};
const precise: ActionFactory = () => preciseAction;

test('a write only the store itself refuses: the transaction is split until the culprit is alone, the rest commits', async () => {
  const pipeline = await createTestPipeline('isolation-split', precise);
  try {
    const run = `split-${Date.now()}`;
    const events = Array.from({ length: 20 }, (_, i) => cloudEvent({ subject: `${run}-${i % 5}`, data: i === 18 ? { digits: '123456789012345678901234567890123456789' } : {} }));
    // Event 18 is the last of key 3: its state is the one the key's folded write would store.
    const response = await pipeline.processor()(kinesisEvent(recordsOf(events)), lambdaContext());
    assert.deepEqual(response, { batchItemFailures: [] });
    const [message, ...more] = await dlq(pipeline);
    assert.equal(more.length, 0);
    assert.equal(message?.event?.id, events[18]!.id);
    assert.equal(message?.reason, 'store-rejected');
    assert.match(message!.error, /ValidationException: .*38 digits/, "the store's own message");
    for (const [i, event] of events.entries()) {
      const key = await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(event));
      assert.equal(key?.status, i === 18 ? undefined : 'COMPLETED', `event ${i}`);
    }
    assert.equal((await getItem(pipeline.settings.stateTableName!, `${run}-0`))?.version, 1, 'an innocent key: one folded write');
    assert.equal((await getItem(pipeline.settings.stateTableName!, `${run}-3`))?.version, 3, 'the culprit’s key: its other events one by one, the culprit left out');
  } finally {
    await pipeline.cleanup();
  }
});

test('the nesting rule checked before packing is the store\'s own: DynamoDB Local refuses exactly what it refuses', async () => {
  const table = await createTable(uniqueName('nesting'), 'pk');
  try {
    const disagreements: string[] = [];
    for (const container of ['M', 'L'] as const) {
      for (let levels = 29; levels <= 33; levels++) {
        for (const leaf of [false, true]) {
          // `levels` maps or lists, the item's attribute being the first; the innermost one empty or holding a number.
          let value: AttributeValue = container === 'M' ? { M: leaf ? { n: { N: '1' } } : {} } : { L: leaf ? [{ N: '1' }] : [] };
          let plain: unknown = container === 'M' ? (leaf ? { n: 1 } : {}) : leaf ? [1] : [];
          for (let i = 1; i < levels; i++) {
            value = container === 'M' ? { M: { n: value } } : { L: [value] };
            plain = container === 'M' ? { n: plain } : [plain];
          }
          const pk = `${container}-${levels}-${leaf}`;
          const stored = await dynamodbClient.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, nested: value } })).then(
            () => true,
            (error: Error) => (/Nesting Levels have exceeded/.test(error.message) ? false : Promise.reject(error)),
          );
          const refused = storabilityProblem({ pk, nested: plain }) !== undefined;
          if (stored === refused) disagreements.push(`${pk}: the store ${stored ? 'accepts' : 'refuses'} it, the check ${refused ? 'refuses' : 'accepts'} it`);
        }
      }
    }
    assert.deepEqual(disagreements, []);
  } finally {
    await deleteTable(table);
  }
});

test('details nested to the store\'s limit are applied; one level more is refused by the check before packing, with its rule', async () => {
  const run = `nest-${Date.now()}`;
  // details (level 1) → `lists` (level 2) → … : 30 lists put the innermost at level 31, 31 lists at level 32.
  const lists = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
  const deepest = order(`${run}-a`, { status: 'paid', lists: lists(30) });
  const tooDeep = order(`${run}-b`, { status: 'paid', lists: lists(31) });
  const neighbour = order(`${run}-b`, { status: 'shipped' });
  assert.deepEqual(await ordersPipeline.processor()(kinesisEvent(recordsOf([deepest, tooDeep, neighbour])), lambdaContext()), { batchItemFailures: [] });
  assert.deepEqual((await getItem(ordersPipeline.settings.stateTableName!, `${run}-a`))?.details, { lists: lists(30) }, 'stored whole and read back equal');
  const [message, ...more] = await dlq(ordersPipeline);
  assert.equal(more.length, 0);
  assert.equal(message?.event?.id, tooDeep.id);
  assert.equal(message?.reason, 'store-rejected');
  assert.match(message!.error, /details\.lists(\[0\]){30} is nested deeper than DynamoDB's 32 levels/, 'the rule, found before the write (not the store\'s refusal of a whole transaction)');
  assert.equal((await getItem(ordersPipeline.settings.stateTableName!, `${run}-b`))?.status, 'shipped', 'its order went on');
});

test('an event repeated inside one batch is a duplicate of the first, also when the first is poison: the DLQ holds it once; a repeat in a later batch is dead-lettered at its own position', async () => {
  const run = `repeat-${Date.now()}`;
  const unknown = cloudEvent({ subject: `${run}-u`, type: 'order.unknown-kind' });
  const future = order(`${run}-f`, { status: 'paid' }, new Date(Date.now() + 3_600_000).toISOString());
  const rejected = order(`${run}-r`, { status: '' });
  const events = [unknown, future, rejected];
  const first = recordsOf([...events, ...events]);
  const mark = ordersPipeline.metricLines.length;
  assert.deepEqual(await ordersPipeline.processor()(kinesisEvent(first), lambdaContext()), { batchItemFailures: [] });
  const once = await dlq(ordersPipeline);
  assert.deepEqual(once.map((m) => m.record.sequenceNumber).sort(), first.slice(0, 3).map((r) => r.kinesis.sequenceNumber).sort(), 'the first of each, once');
  assert.deepEqual(once.map((m) => m.reason).sort(), ['action-rejected', 'time-in-future', 'unknown-type']);
  assert.equal(counts(ordersPipeline, mark)[ProcessorMetric.EventsDuplicate], 3, 'the repeats are duplicates of them');

  const later = recordsOf(events);
  assert.deepEqual(await ordersPipeline.processor()(kinesisEvent(later), lambdaContext()), { batchItemFailures: [] });
  assert.deepEqual((await dlq(ordersPipeline)).map((m) => m.record.sequenceNumber).sort(), later.map((r) => r.kinesis.sequenceNumber).sort(), 'new records: each dead-lettered at its own position');
});

test('an order dead-lettered for its details, then overtaken by a newer one of its batch, stays dead-lettered when the batch is redelivered', async () => {
  const subject = `overtaken-${Date.now()}`;
  const refused = order(subject, { status: 'paid', total: 1e200 });
  const newer = order(subject, { status: 'shipped' });
  const records = recordsOf([refused, newer]);
  const mark = ordersPipeline.metricLines.length;
  for (let delivery = 0; delivery < 3; delivery++) {
    assert.deepEqual(await ordersPipeline.processor()(kinesisEvent(records), lambdaContext()), { batchItemFailures: [] }, `delivery ${delivery}`);
  }
  const messages = await dlq(ordersPipeline);
  assert.deepEqual(messages.map((m) => [m.event?.id, m.reason]), [[refused.id, 'store-rejected']], 'on the DLQ once');
  const total = counts(ordersPipeline, mark);
  assert.equal(total[ProcessorMetric.EventsStale] ?? 0, 0, 'never acknowledged as stale besides: one outcome per record');
  assert.equal(total[ProcessorMetric.EventsPoison], 3, 'poison on every delivery');
  assert.equal((await getItem(ordersPipeline.settings.idempotencyTableName, idempotencyKeyOf(refused)))?.status, undefined, 'its key stays free for a replay');

  // A replay (a new record of it) is decided afresh: older than the order now, it is stale.
  const replayMark = ordersPipeline.metricLines.length;
  assert.deepEqual(await ordersPipeline.processor()(kinesisEvent(recordsOf([refused])), lambdaContext()), { batchItemFailures: [] });
  assert.equal(counts(ordersPipeline, replayMark)[ProcessorMetric.EventsStale], 1);
  assert.deepEqual(await dlq(ordersPipeline), []);
  assert.equal((await getItem(ordersPipeline.settings.stateTableName!, subject))?.status, 'shipped');
});

test('a data-dependent crash in action code (stack overflow on deep nesting) is poison at once, not a retried batch', async () => {
  const subject = `deep-${Date.now()}`;
  const depth = 20_000;
  const deep = order(subject, { status: 'paid' });
  const bytes = Buffer.from(JSON.stringify({ ...deep, data: '__DATA__' }).replace('"__DATA__"', `{"status":"paid","x":${'['.repeat(depth)}${']'.repeat(depth)}}`));
  const next = order(subject, { status: 'shipped' });
  const records = [kinesisRecord({ data: bytes, partitionKey: subject }), ...recordsOf([next])];
  assert.deepEqual(await ordersPipeline.processor()(kinesisEvent(records), lambdaContext()), { batchItemFailures: [] });
  const [message] = await dlq(ordersPipeline);
  assert.equal(message?.reason, 'action-failed');
  assert.match(message!.error, /RangeError: Maximum call stack size exceeded/);
  assert.deepEqual(Buffer.from(message!.record.data!, 'base64'), bytes, 'its bytes, for the on-call engineer');
  assert.equal((await getItem(ordersPipeline.settings.stateTableName!, subject))?.status, 'shipped', 'the key went on');
});

test('poison is dead-lettered once however often its batch is delivered, and its neighbours are applied once', async () => {
  const run = `once-${Date.now()}`;
  const blocked = order(`${run}-blocked`, { status: 'paid' });
  // Another record holds the blocked key's claim: its key fails, so the batch comes back again and again.
  const nowMs = Date.now();
  await putItem(ordersPipeline.settings.idempotencyTableName, { pk: idempotencyKeyOf(blocked), status: 'IN_PROGRESS', leaseExpiresAt: nowMs + 60_000, claimedBy: 'shardId-other:1', expiresAt: Math.floor(nowMs / 1000) + 3600 });
  const records = [
    kinesisRecord({ data: 'not json', partitionKey: `${run}-a` }),
    ...recordsOf([order(`${run}-b`, { status: 'paid', n: 1e300 }), order(`${run}-c`, { status: 'ok' }), blocked]),
    kinesisRecord({ data: { ...order(`${run}-d`, {}) }, partitionKey: `${run}-d` }),
  ];
  const mark = ordersPipeline.metricLines.length;
  for (let delivery = 0; delivery < 4; delivery++) {
    const response = await ordersPipeline.processor()(kinesisEvent(records), lambdaContext());
    assert.deepEqual(failedSequenceNumbers(response), [records[3]!.kinesis.sequenceNumber], `delivery ${delivery}: only the claimed key fails`);
  }
  const messages = await dlq(ordersPipeline);
  assert.deepEqual(messages.map((m) => m.reason).sort(), ['action-rejected', 'store-rejected', 'undecodable'], 'each poison record once, not once per delivery');
  assert.equal((await getItem(ordersPipeline.settings.stateTableName!, `${run}-c`))?.appliedEvents, 1);
  const total = counts(ordersPipeline, mark);
  assert.equal(total[ProcessorMetric.EventsPoison], 12, 'still counted as handled on every delivery');
  assert.equal(total[ProcessorMetric.EventsProcessed], 1);
});

test('an event dated an hour ahead is refused as time-in-future and does not freeze its order; skew is measured, not clamped', async () => {
  const subject = `skew-${Date.now()}`;
  const now = Date.now();
  const future = order(subject, { status: 'cancelled' }, new Date(now + 3600_000).toISOString());
  const slightlyAhead = order(subject, { status: 'paid' }, new Date(now + 60_000).toISOString());
  const mark = ordersPipeline.metricLines.length;
  assert.deepEqual(await ordersPipeline.processor()(kinesisEvent(recordsOf([future, slightlyAhead])), lambdaContext()), { batchItemFailures: [] });
  const [message] = await dlq(ordersPipeline);
  assert.equal(message?.reason, 'time-in-future');
  assert.match(message!.error, /is 3600 s ahead of the processor's clock \(allowance 300 s\)/);
  assert.equal((await getItem(ordersPipeline.settings.stateTableName!, subject))?.status, 'paid', 'the event within the allowance is applied');

  const correct = order(subject, { status: 'shipped' }, new Date(now + 61_000).toISOString());
  await ordersPipeline.processor()(kinesisEvent(recordsOf([correct])), lambdaContext());
  assert.equal((await getItem(ordersPipeline.settings.stateTableName!, subject))?.status, 'shipped', 'later correct events are not stale');

  const docs = ordersPipeline.metricLines.slice(mark).map((line) => JSON.parse(line) as Record<string, unknown>);
  const ahead = docs.flatMap((d) => (d[ProcessorMetric.EventTimeAhead] as number[] | undefined) ?? []);
  assert.equal(ahead.length, 3, 'every event ahead of the clock is measured as skew');
  assert.ok(ahead.some((ms) => ms > 3_500_000) && ahead.some((ms) => ms > 50_000 && ms < 70_000));
  assert.equal(docs.flatMap((d) => (d[ProcessorMetric.EventToActionLatency] as number[] | undefined) ?? []).length, 0, 'no clamped 0 ms latency');
});

test('telemetry: a device whose incident key DynamoDB cannot hold is dead-lettered; the rest of the batch alerts and completes', async () => {
  const max = telemetryConfig.thresholds.temperatureC!.max!;
  const hugeDevice = `dev-${'x'.repeat(3000)}`;
  const readings = [
    cloudEvent({ subject: 'dev-iso-1', type: TelemetryEventType.Reading, data: { deviceId: 'dev-iso-1', readings: { temperatureC: max + 1 } } }),
    cloudEvent({ subject: 'dev-iso-2', type: TelemetryEventType.Reading, data: { deviceId: hugeDevice, readings: { temperatureC: max + 1 } } }),
    cloudEvent({ subject: 'dev-iso-3', type: TelemetryEventType.Reading, data: { deviceId: 'dev-iso-3', readings: { temperatureC: max + 2, pressureBar: 1e200 } } }),
  ];
  assert.deepEqual(await telemetryPipeline.processor()(kinesisEvent(recordsOf(readings)), lambdaContext()), { batchItemFailures: [] });
  const messages = await dlq(telemetryPipeline);
  assert.deepEqual(messages.map((m) => m.event?.id).sort(), [readings[1]!.id, readings[2]!.id].sort());
  assert.ok(messages.every((m) => m.reason === 'store-rejected'));
  assert.match(messages.find((m) => m.event?.id === readings[1]!.id)!.error, /partition key is at most 2048 bytes/);
  // The reading's temperature alert was published before its pressure incident proved unstorable:
  // an external effect is at-least-once, and a replay finds the open incident and does not alert again.
  assert.match(messages.find((m) => m.event?.id === readings[2]!.id)!.error, /lastValue: number 1e\+200 is above DynamoDB's range/);
  assert.equal((await getItem(telemetryPipeline.settings.idempotencyTableName, idempotencyKeyOf(readings[0]!)))?.status, 'COMPLETED');
  assert.equal((await getItem(telemetryPipeline.settings.idempotencyTableName, idempotencyKeyOf(readings[2]!)))?.status, 'DEAD_LETTERED', 'a redelivery does not publish again; a replay runs');
});

test('a DLQ message quoting hostile strings is still accepted by SQS (ASCII-only body) and reads back exactly', async () => {
  const type = `order.\uffff\u0001\u202e${'é'.repeat(10)}`;
  const event = cloudEvent({ subject: `hostile-${Date.now()}`, type });
  assert.deepEqual(await ordersPipeline.processor()(kinesisEvent(recordsOf([event])), lambdaContext()), { batchItemFailures: [] });
  const [message] = await dlq(ordersPipeline);
  assert.equal(message?.reason, 'unknown-type');
  assert.equal(message?.event?.type, type, 'the escaped body parses back to the original strings');
});
