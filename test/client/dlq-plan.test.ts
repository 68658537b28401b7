/**
 * Which records a DLQ message stands for, against the real Kinesis emulator: payloads stored in the
 * message, payloads too large for it (read back from the stream, inside a KPL aggregate too),
 * SNS-wrapped messages, and messages that cannot be replayed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { aggregatePrefix } from '../../client/aggregation';
import { parseDlqBody } from '../../client/operations/dlq-messages';
import { planReplay } from '../../client/operations/dlq-replay';
import type { DlqMessage } from '../../client/operations/dlq-queue';
import { RecordPublisher } from '../../client/record-publisher';
import { POISON_RECORD_KIND, POISON_RECORD_VERSION, type PoisonRecordMessage } from '../../lambdas/shared/dlq-message';
import { TestStream } from './support/kinesis-streams';

function message(body: unknown): DlqMessage {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return { messageId: 'm-1', receiptHandle: 'r-1', receiveCount: 1, raw, body: parseDlqBody(raw) };
}

function poison(record: Partial<PoisonRecordMessage['record']> & Pick<PoisonRecordMessage['record'], 'shardId' | 'sequenceNumber' | 'eventSourceARN'>): PoisonRecordMessage {
  return {
    kind: POISON_RECORD_KIND,
    version: POISON_RECORD_VERSION,
    pipeline: 'orders',
    reason: 'unknown-type',
    error: 'no action handles order.refunded',
    time: new Date().toISOString(),
    record: { partitionKey: 'order-9', approximateArrivalTimestamp: new Date().toISOString(), ...record },
  };
}

describe('DLQ replay plans', () => {
  let stream: TestStream;
  let arn: string;
  const stored: Array<{ shardId: string; sequenceNumber: string }> = [];
  const users = ['{"n":1}', '{"n":2}', '{"n":3}'].map((s) => Buffer.from(s));

  before(async () => {
    stream = await TestStream.create('dlq-plan', 1);
    arn = await stream.streamArn;
    const publisher = new RecordPublisher<null>({ stream: { streamName: stream.streamName }, client: stream.client });
    const plain = await publisher.put({ partitionKey: 'order-9', data: Buffer.from('{"plain":true}'), item: null });
    const aggregate = aggregatePrefix('order-9', users, 51_200)!;
    const packed = await publisher.put({ partitionKey: 'order-9', data: aggregate.data, item: null });
    await publisher.flush();
    for (const delivery of [plain, packed]) {
      const outcome = await delivery.outcome;
      assert.ok(outcome.ok);
      stored.push(outcome);
    }
  });
  after(async () => {
    await stream.delete();
    stream.client.destroy();
  });

  it('uses the payload stored in a poison-record message', async () => {
    const plan = await planReplay(stream.client, message(poison({ ...stored[0]!, eventSourceARN: arn, data: Buffer.from('{"stored":1}').toString('base64') })));
    assert.equal(plan.status, 'ready');
    assert.deepEqual(
      plan.records.map((r) => [r.partitionKey, Buffer.from(r.data).toString()]),
      [['order-9', '{"stored":1}']],
    );
  });

  it('reads a payload that did not fit in the message back from the stream, picking the user record out of a KPL aggregate', async () => {
    const plain = await planReplay(stream.client, message(poison({ ...stored[0]!, eventSourceARN: arn, dataOmitted: 'too-large' })));
    assert.equal(plain.status, 'ready');
    assert.equal(Buffer.from(plain.records[0]!.data).toString(), '{"plain":true}');

    const inner = await planReplay(stream.client, message(poison({ ...stored[1]!, eventSourceARN: arn, dataOmitted: 'too-large', subSequenceNumber: 2 })));
    assert.equal(inner.status, 'ready');
    assert.deepEqual(
      inner.records.map((r) => [r.partitionKey, Buffer.from(r.data).toString(), r.subSequenceNumber]),
      [['order-9', '{"n":3}', 2]],
    );
  });

  it('reports a payload that left the stream as expired', async () => {
    const gone = (BigInt(stored[0]!.sequenceNumber) - 1n).toString();
    const plan = await planReplay(stream.client, message(poison({ shardId: stored[0]!.shardId, sequenceNumber: gone, eventSourceARN: arn, dataOmitted: 'too-large' })));
    assert.equal(plan.status, 'expired');
    assert.match(plan.status === 'expired' ? plan.problem : '', /no longer in shardId-000000000000/);
  });

  it('reads an on-failure record delivered through SNS (a Notification wrapping it)', async () => {
    const onFailure = {
      requestContext: { requestId: 'x', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f', condition: 'RecordAgeExceeded', approximateInvokeCount: 0 },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: { shardId: stored[0]!.shardId, startSequenceNumber: stored[0]!.sequenceNumber, endSequenceNumber: stored[1]!.sequenceNumber, batchSize: 2, streamArn: arn },
    };
    const plan = await planReplay(stream.client, message({ Type: 'Notification', Message: JSON.stringify(onFailure) }));
    assert.equal(plan.status, 'ready');
    assert.equal(plan.records.length, 2, 'outer records: the aggregate goes back as one record');
  });

  it('keeps a poison record Kinesis would refuse (a partition key out of 1 to 256 characters), so it cannot fail the records put with it', async () => {
    for (const partitionKey of ['', 'k'.repeat(257)]) {
      const plan = await planReplay(stream.client, message(poison({ ...stored[0]!, eventSourceARN: arn, partitionKey, data: Buffer.from('{}').toString('base64') })));
      assert.equal(plan.status, 'unreplayable');
      assert.match(plan.status === 'unreplayable' ? plan.problem : '', /the partition key is \d+ characters long; Kinesis takes 1 to 256/);
    }
  });

  it('keeps what it cannot make sense of', async () => {
    const plan = await planReplay(stream.client, message('{"hello":"world"}'));
    assert.equal(plan.status, 'unreplayable');
    assert.match(plan.status === 'unreplayable' ? plan.problem : '', /neither a poison-record message nor an on-failure invocation record/);
  });
});
