/**
 * Poison records of every kind go to the DLQ with what is needed to replay them, and count as handled;
 * a DLQ that cannot be written makes the record fail, never vanish. Includes KPL-aggregated input.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate } from 'aws-kinesis-agg';
import { orders } from '../../lambdas/actions/orders';
import { OrderEventType } from '../../lambdas/shared/orders-events';
import { parsePoisonRecordMessage, POISON_RECORD_ATTRIBUTE, POISON_RECORD_KIND } from '../../lambdas/shared/dlq-message';
import { idempotencyKeyOf } from '../../lambdas/shared/envelope';
import { drainQueue, getItem } from './support/aws';
import { cloudEvent, failedSequenceNumbers, kinesisEvent, kinesisRecord, lambdaContext, recordsOf, SHARD_ID, STREAM_ARN } from './support/events';
import { clientsWithDeadQueue, createTestPipeline, type TestPipeline } from './support/pipeline';

let pipeline: TestPipeline;
before(async () => {
  pipeline = await createTestPipeline('poison', orders);
});
after(async () => pipeline.cleanup());

const orderEvent = (subject: string, data: unknown = { status: 'paid' }) => cloudEvent({ subject, type: OrderEventType.StatusChanged, data });

/** KPL-aggregates user records into the bytes of one Kinesis record. */
function aggregated(users: { partitionKey: string; data: Buffer }[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    aggregate(
      users,
      (encoded, callback) => {
        out.push(encoded.data);
        callback();
      },
      () => (out.length === 1 ? resolve(out[0]!) : reject(new Error(`expected one aggregate, got ${out.length}`))),
      (error) => reject(error),
    );
  });
}

async function dlqMessages() {
  return (await drainQueue(pipeline.settings.deadLetterQueueUrl)).map((m) => ({ body: parsePoisonRecordMessage(m.Body ?? ''), attributes: m.MessageAttributes }));
}

test('each kind of poison is dead-lettered with its reason, raw data and position, and does not block its key', async () => {
  const good = orderEvent('order-p1');
  const afterPoison = orderEvent('order-p1', { status: 'shipped' });
  const invalid = { specversion: '1.0', id: 'x-1', type: OrderEventType.StatusChanged, subject: 'order-p1' };
  const unknownType = cloudEvent({ subject: 'order-p1', type: 'order.teleported' });
  const rejected = orderEvent('order-p1', { status: '' });
  const arrivalMs = Date.parse('2026-11-25T10:00:00.123Z');
  const records = [
    kinesisRecord({ data: good, partitionKey: 'order-p1' }),
    kinesisRecord({ data: Buffer.from('not json at all'), partitionKey: 'order-p1', arrivalMs }),
    kinesisRecord({ data: JSON.stringify(invalid), partitionKey: 'order-p1' }),
    kinesisRecord({ data: unknownType, partitionKey: 'order-p1' }),
    kinesisRecord({ data: rejected, partitionKey: 'order-p1' }),
    kinesisRecord({ data: { ...good, time: new Date(Date.now() + 1000).toISOString(), id: afterPoison.id, data: afterPoison.data }, partitionKey: 'order-p1' }),
  ];
  const response = await pipeline.processor()(kinesisEvent(records), lambdaContext());
  assert.deepEqual(response, { batchItemFailures: [] }, 'poison counts as handled');
  assert.equal((await getItem(pipeline.settings.stateTableName!, 'order-p1'))?.status, 'shipped', 'the record after the poison ones was applied');

  const messages = await dlqMessages();
  assert.equal(messages.length, 4);
  const bySequence = new Map(messages.map((m) => [m.body?.record.sequenceNumber, m]));
  const undecodable = bySequence.get(records[1]!.kinesis.sequenceNumber)!;
  assert.equal(undecodable.body?.reason, 'undecodable');
  assert.equal(Buffer.from(undecodable.body!.record.data!, 'base64').toString(), 'not json at all', 'the exact bytes, for replay');
  assert.deepEqual(
    { ...undecodable.body!.record, data: undefined },
    { data: undefined, partitionKey: 'order-p1', shardId: SHARD_ID, sequenceNumber: records[1]!.kinesis.sequenceNumber, approximateArrivalTimestamp: '2026-11-25T10:00:00.123Z', eventSourceARN: STREAM_ARN },
  );
  assert.equal(undecodable.body?.kind, POISON_RECORD_KIND);
  assert.equal(undecodable.body?.pipeline, 'poison');
  assert.equal(undecodable.attributes?.[POISON_RECORD_ATTRIBUTE]?.StringValue, POISON_RECORD_KIND);
  assert.ok(undecodable.body!.error.startsWith('record data is not JSON'));

  const invalidMessage = bySequence.get(records[2]!.kinesis.sequenceNumber)!.body!;
  assert.equal(invalidMessage.reason, 'invalid-envelope');
  assert.equal(invalidMessage.error, 'source: is required');

  const unknown = bySequence.get(records[3]!.kinesis.sequenceNumber)!.body!;
  assert.equal(unknown.reason, 'unknown-type');
  assert.deepEqual(unknown.event, { id: unknownType.id, source: unknownType.source, type: 'order.teleported' });

  const actionRejected = bySequence.get(records[4]!.kinesis.sequenceNumber)!.body!;
  assert.equal(actionRejected.reason, 'action-rejected');
  assert.match(actionRejected.error, /PoisonEventError: data: status must be a non-empty string/);
});

test('a batch of only poison records succeeds with everything on the DLQ', async () => {
  const records = [Buffer.from([0xff]), Buffer.from('{}'), Buffer.from('[]')].map((data, i) => kinesisRecord({ data, partitionKey: `p${i}` }));
  const mark = pipeline.metricLines.length;
  assert.deepEqual(await pipeline.processor()(kinesisEvent(records), lambdaContext()), { batchItemFailures: [] });
  assert.equal((await dlqMessages()).length, 3);
  assert.equal(JSON.parse(pipeline.metricLines[mark]!).EventsPoison, 3);
});

test('when the DLQ cannot be written the poison record fails (and stops its key) instead of being dropped', async () => {
  const before = orderEvent('order-dlq-down', { status: 'created' });
  const after = orderEvent('order-dlq-down', { status: 'paid' });
  const other = orderEvent('order-unaffected');
  const records = [
    kinesisRecord({ data: before, partitionKey: 'order-dlq-down' }),
    kinesisRecord({ data: 'garbage', partitionKey: 'order-dlq-down' }),
    kinesisRecord({ data: { ...after, time: new Date(Date.now() + 1000).toISOString() }, partitionKey: 'order-dlq-down' }),
    kinesisRecord({ data: other, partitionKey: 'order-unaffected' }),
  ];
  const response = await pipeline.processor({ clients: clientsWithDeadQueue() })(kinesisEvent(records), lambdaContext());
  assert.deepEqual(failedSequenceNumbers(response), [records[1]!, records[2]!].map((r) => r.kinesis.sequenceNumber));
  assert.equal((await getItem(pipeline.settings.stateTableName!, 'order-dlq-down'))?.status, 'created', 'the key stopped at the undelivered poison');
  assert.equal((await getItem(pipeline.settings.stateTableName!, 'order-unaffected'))?.status, 'paid', 'other keys went on');
});

test('an action-rejected poison whose DLQ write fails is retried, not dropped', async () => {
  const rejected = orderEvent('order-rejected-dlq-down', { nostatus: true });
  const records = recordsOf([rejected]);
  const response = await pipeline.processor({ clients: clientsWithDeadQueue() })(kinesisEvent(records), lambdaContext());
  assert.deepEqual(failedSequenceNumbers(response), [records[0]!.kinesis.sequenceNumber]);
  assert.equal(await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(rejected)), undefined);
});

test('KPL-aggregated records are unpacked; each user record is processed under its own partition key', async () => {
  const a = orderEvent('order-kpl-a', { status: 'created' });
  const b = orderEvent('order-kpl-b', { status: 'created' });
  const bLater = { ...orderEvent('order-kpl-b', { status: 'paid' }), time: new Date(Date.now() + 1000).toISOString() };
  const bytes = await aggregated([
    { partitionKey: 'order-kpl-a', data: Buffer.from(JSON.stringify(a)) },
    { partitionKey: 'order-kpl-b', data: Buffer.from(JSON.stringify(b)) },
    { partitionKey: 'order-kpl-b', data: Buffer.from('not an event') },
    { partitionKey: 'order-kpl-b', data: Buffer.from(JSON.stringify(bLater)) },
  ]);
  const record = kinesisRecord({ data: bytes, partitionKey: 'order-kpl-a' });
  const response = await pipeline.processor()(kinesisEvent([record]), lambdaContext());
  assert.deepEqual(response, { batchItemFailures: [] });
  assert.equal((await getItem(pipeline.settings.stateTableName!, 'order-kpl-a'))?.status, 'created');
  const stateB = await getItem(pipeline.settings.stateTableName!, 'order-kpl-b');
  assert.equal(stateB?.status, 'paid');
  assert.equal(stateB?.subSequenceNumber, 3, 'the position inside the aggregate is kept');
  const [poison] = await dlqMessages();
  assert.equal(poison?.body?.record.sequenceNumber, record.kinesis.sequenceNumber, 'the outer sequence number');
  assert.equal(poison?.body?.record.subSequenceNumber, 2);
  assert.equal(poison?.body?.record.partitionKey, 'order-kpl-b');
  assert.equal(Buffer.from(poison!.body!.record.data!, 'base64').toString(), 'not an event');
});

test('a failure inside an aggregate is reported by the outer sequence number', async () => {
  const event = orderEvent('order-kpl-fail');
  const bytes = await aggregated([{ partitionKey: 'order-kpl-fail', data: Buffer.from(JSON.stringify(event)) }]);
  const record = kinesisRecord({ data: bytes, partitionKey: 'order-kpl-fail' });
  const response = await pipeline.processor({ settings: { timeMarginMs: 10_000 } })(kinesisEvent([record]), lambdaContext(5_000));
  assert.deepEqual(failedSequenceNumbers(response), [record.kinesis.sequenceNumber]);
});

test('a corrupt KPL aggregate is dead-lettered whole as undecodable', async () => {
  const bytes = await aggregated([{ partitionKey: 'k', data: Buffer.from('{}') }]);
  bytes[bytes.length - 1] ^= 0xff; // breaks the MD5 trailer
  const record = kinesisRecord({ data: bytes, partitionKey: 'k' });
  assert.deepEqual(await pipeline.processor()(kinesisEvent([record]), lambdaContext()), { batchItemFailures: [] });
  const [poison] = await dlqMessages();
  assert.equal(poison?.body?.reason, 'undecodable');
  assert.match(poison!.body!.error, /KPL aggregated record could not be unpacked: Invalid record checksum/);
  assert.deepEqual(Buffer.from(poison!.body!.record.data!, 'base64'), bytes);
});
