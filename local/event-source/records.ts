/**
 * A polled Kinesis record as the mapping keeps it, and the Lambda event AWS builds from a batch of them
 * (field order and formats as AWS sends them: base64 data, arrival time in epoch seconds with a
 * millisecond fraction, eventID `shardId:sequenceNumber`).
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

export interface PolledRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** Epoch milliseconds. */
  readonly arrivalMs: number;
}

/** Who the event says it comes from (mapping-wide values). */
export interface EventOrigin {
  readonly streamArn: string;
  readonly region: string;
  /** The function's execution role, as `invokeIdentityArn`. */
  readonly invokeIdentityArn: string;
}

export function toLambdaRecord(record: PolledRecord, origin: EventOrigin): KinesisStreamRecord {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      data: Buffer.from(record.data).toString('base64'),
      approximateArrivalTimestamp: record.arrivalMs / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${record.shardId}:${record.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: origin.invokeIdentityArn,
    awsRegion: origin.region,
    eventSourceARN: origin.streamArn,
  };
}

export function toLambdaEvent(records: readonly PolledRecord[], origin: EventOrigin): KinesisStreamEvent {
  return { Records: records.map((r) => toLambdaRecord(r, origin)) };
}

/** Bytes a record adds to the invoke payload (its base64 data plus the envelope), for the 6 MB cap. */
export function payloadBytes(record: PolledRecord): number {
  const ENVELOPE_BYTES = 600;
  return Math.ceil(record.data.length / 3) * 4 + record.partitionKey.length + ENVELOPE_BYTES;
}

/** Sequence numbers are decimal strings up to 128 bits: compare them as integers. */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
