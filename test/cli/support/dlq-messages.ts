/**
 * Records on a test stream and DLQ messages about them, shaped exactly as the processor (poison
 * records) and the event source mapping (on-failure records) write them.
 */
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { POISON_RECORD_KIND, POISON_RECORD_VERSION, type PoisonReason, type PoisonRecordMessage } from '../../../lambdas/shared/dlq-message';
import { RecordPublisher } from '../../../client/record-publisher';
import { bySequence, type TestStream } from '../../client/support/kinesis-streams';

export interface Written {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly shardId: string;
  readonly sequenceNumber: string;
}

/** Writes records through the producer; resolves in stream order. */
export async function writeRecords(stream: TestStream, records: ReadonlyArray<{ partitionKey: string; data: string }>): Promise<Written[]> {
  const publisher = new RecordPublisher<null>({ stream: { streamName: stream.streamName }, client: stream.client });
  const outcomes = [];
  for (const r of records) outcomes.push((await publisher.put({ partitionKey: r.partitionKey, data: Buffer.from(r.data), item: null })).outcome);
  await publisher.flush();
  const written = await Promise.all(
    outcomes.map(async (o, i) => {
      const outcome = await o;
      if (!outcome.ok) throw new Error(outcome.reason);
      return { partitionKey: records[i]!.partitionKey, data: Buffer.from(records[i]!.data), shardId: outcome.shardId, sequenceNumber: outcome.sequenceNumber };
    }),
  );
  // Stream order: only each key's order is the put order.
  return written.sort(bySequence);
}

/** Writes bytes as they are with the plain Kinesis API (PutRecord, one after the other: stream order is this order). */
export async function putRaw(stream: TestStream, records: ReadonlyArray<{ partitionKey: string; data: Uint8Array }>): Promise<Written[]> {
  const written: Written[] = [];
  for (const r of records) {
    const { ShardId, SequenceNumber } = await stream.client.send(new PutRecordCommand({ StreamName: stream.streamName, PartitionKey: r.partitionKey, Data: r.data }));
    written.push({ partitionKey: r.partitionKey, data: r.data, shardId: ShardId!, sequenceNumber: SequenceNumber! });
  }
  return written;
}

/** Records grouped by partition key, in order, as comparable strings. */
export function perKey(records: ReadonlyArray<{ partitionKey: string; data: Uint8Array }>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of records) (out[r.partitionKey] ??= []).push(Buffer.from(r.data).toString('utf8'));
  return out;
}

export function onFailureMessage(streamArn: string, first: Written, last: Written, batchSize: number, startSequenceNumber = first.sequenceNumber): unknown {
  const now = new Date().toISOString();
  return {
    requestContext: { requestId: 'c9b8fa9f-5a7f-4a2b-af9c-0c604cde93a5', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 6 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: now,
    KinesisBatchInfo: {
      shardId: first.shardId,
      startSequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: now,
      approximateArrivalOfLastRecord: now,
      batchSize,
      streamArn,
    },
  };
}

export function poisonMessage(streamArn: string, record: Written, reason: PoisonReason = 'undecodable', error = 'record data is not JSON'): PoisonRecordMessage {
  return {
    kind: POISON_RECORD_KIND,
    version: POISON_RECORD_VERSION,
    pipeline: 'orders',
    reason,
    error,
    time: new Date().toISOString(),
    record: {
      data: Buffer.from(record.data).toString('base64'),
      partitionKey: record.partitionKey,
      shardId: record.shardId,
      sequenceNumber: record.sequenceNumber,
      approximateArrivalTimestamp: new Date().toISOString(),
      eventSourceARN: streamArn,
    },
  };
}
