/**
 * Lambda Kinesis events as the event source mapping delivers them, and the Lambda context, built
 * by hand: they are the function's interface, not an AWS service, so nothing is mocked.
 */
import { randomUUID } from 'node:crypto';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { CloudEvent } from '../../../lambdas/shared/envelope';

export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/test-events';
export const SHARD_ID = 'shardId-000000000000';

let sequence = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
/** Strictly increasing sequence numbers, like one shard's. */
export function nextSequenceNumber(): string {
  sequence += 1000n;
  return sequence.toString();
}

export interface RecordInput {
  readonly data: Buffer | CloudEvent | string;
  readonly partitionKey: string;
  readonly sequenceNumber?: string;
  /** Epoch ms. Default now. */
  readonly arrivalMs?: number;
}

export function kinesisRecord(input: RecordInput): KinesisStreamRecord {
  const sequenceNumber = input.sequenceNumber ?? nextSequenceNumber();
  const bytes = Buffer.isBuffer(input.data) ? input.data : Buffer.from(typeof input.data === 'string' ? input.data : JSON.stringify(input.data));
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: input.partitionKey,
      sequenceNumber,
      data: bytes.toString('base64'),
      approximateArrivalTimestamp: (input.arrivalMs ?? Date.now()) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${SHARD_ID}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/processor',
    awsRegion: 'us-east-1',
    eventSourceARN: STREAM_ARN,
  };
}

export function kinesisEvent(records: readonly (RecordInput | KinesisStreamRecord)[]): KinesisStreamEvent {
  return { Records: records.map((r) => ('kinesis' in r ? r : kinesisRecord(r))) };
}

/** A CloudEvent whose partition key is its subject. */
export function cloudEvent(overrides: Partial<CloudEvent> & { subject: string }): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/test/producer',
    type: 'test.event',
    time: new Date().toISOString(),
    ...overrides,
  };
}

/** Records for events, partition key = subject. */
export function recordsOf(events: readonly CloudEvent[]): KinesisStreamRecord[] {
  return events.map((event) => kinesisRecord({ data: event, partitionKey: event.subject ?? event.id }));
}

/** The Lambda context: only what the processor reads. */
export function lambdaContext(remainingMs = 60_000): { getRemainingTimeInMillis: () => number; awsRequestId: string } {
  return { getRemainingTimeInMillis: () => remainingMs, awsRequestId: randomUUID() };
}

/** The sequence numbers of a batch response, as a sorted list. */
export function failedSequenceNumbers(response: { batchItemFailures: { itemIdentifier: string }[] }): string[] {
  return response.batchItemFailures.map((f) => f.itemIdentifier);
}
