/**
 * Turns a Lambda Kinesis event into user records: KPL aggregates are unpacked (aws-kinesis-agg),
 * each user record keeps the outer sequence number (the batch item identifier AWS understands) and
 * its position inside the aggregate, and is decoded into a CloudEvent or a poison reason.
 *
 * A record that does not start with the KPL magic number is a plain record, passed through as the
 * library itself would (it makes the same test): aws-kinesis-agg, and protobufjs with it, is loaded at
 * the first aggregated record only, not at every cold start (producers aggregate only when asked to).
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import type * as KinesisAggregation from 'aws-kinesis-agg';
import { decodeEnvelope, idempotencyKeyOf, type CloudEvent } from '../shared/envelope';
import { PoisonReason } from '../shared/dlq-message';

export interface UserRecord {
  /** Outer Kinesis sequence number: what a batch item failure names. */
  readonly sequenceNumber: string;
  /** Position inside a KPL aggregate; undefined for a plain record. */
  readonly subSequenceNumber?: number;
  readonly partitionKey: string;
  readonly data: Buffer;
  readonly shardId: string;
  /** Kinesis approximateArrivalTimestamp, epoch ms. */
  readonly arrivalMs: number;
  readonly eventSourceARN: string;
}

export type DecodedRecord =
  | (UserRecord & { readonly ok: true; readonly event: CloudEvent; readonly idempotencyKey: string })
  | (UserRecord & { readonly ok: false; readonly reason: PoisonReason; readonly error: string });

/** `shardId-000000000006:4959...` → `shardId-000000000006`. */
function shardIdOf(record: KinesisStreamRecord): string {
  const colon = record.eventID.indexOf(':');
  return colon > 0 ? record.eventID.slice(0, colon) : record.eventID;
}

/** The first 4 bytes of a KPL aggregated record (aggregation-format.md of the KPL). */
const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

let aggregation: typeof KinesisAggregation | undefined;
function kinesisAggregation(): typeof KinesisAggregation {
  // A require at first use, not an import: esbuild bundles it as a module initialised when first required.
  aggregation ??= require('aws-kinesis-agg') as typeof KinesisAggregation;
  return aggregation;
}

/** A user record of an aggregate whose partition key index points outside the aggregate's key table. */
type KeylessUserRecord = UserRecord & { readonly keyless: true };

/**
 * Unpacks one Kinesis record; a plain record gives itself. Throws if an aggregate is corrupt. A user
 * record naming a partition key its aggregate lacks keeps the outer record's key and is marked keyless
 * (poison on its own; its siblings are fine).
 */
function userRecordsOf(record: KinesisStreamRecord): (UserRecord | KeylessUserRecord)[] {
  const common = {
    shardId: shardIdOf(record),
    arrivalMs: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
    eventSourceARN: record.eventSourceARN,
    sequenceNumber: record.kinesis.sequenceNumber,
  };
  const bytes = Buffer.from(record.kinesis.data, 'base64');
  if (bytes.length < KPL_MAGIC.length || !bytes.subarray(0, KPL_MAGIC.length).equals(KPL_MAGIC)) {
    // What the library gives for a plain record, key check included.
    const { partitionKey } = record.kinesis;
    return [typeof partitionKey === 'string' ? { ...common, partitionKey, data: bytes } : { ...common, partitionKey, data: bytes, keyless: true as const }];
  }
  const out: (UserRecord | KeylessUserRecord)[] = [];
  let failure: Error | undefined;
  // The library calls back synchronously; an error may be reported more than once, keep the first.
  kinesisAggregation().deaggregate(
    record.kinesis,
    true,
    (error, user) => {
      if (error) failure ??= error;
      else if (user) {
        const aggregated = user.subSequenceNumber !== undefined;
        const keyed = typeof user.partitionKey === 'string';
        out.push({
          ...common,
          partitionKey: keyed ? user.partitionKey : record.kinesis.partitionKey,
          data: Buffer.from(user.data, 'base64'),
          ...(aggregated ? { subSequenceNumber: user.subSequenceNumber } : {}),
          ...(keyed ? {} : { keyless: true as const }),
        });
      }
    },
    (error) => {
      if (error) failure ??= error;
    },
  );
  if (failure) throw failure;
  return out;
}

/** Every user record of the batch, in batch order, decoded or with the reason it is poison. */
export function decodeBatch(records: readonly KinesisStreamRecord[]): DecodedRecord[] {
  const decoded: DecodedRecord[] = [];
  for (const record of records) {
    let users: (UserRecord | KeylessUserRecord)[];
    try {
      users = userRecordsOf(record);
    } catch (error) {
      decoded.push({
        sequenceNumber: record.kinesis.sequenceNumber,
        partitionKey: record.kinesis.partitionKey,
        data: Buffer.from(record.kinesis.data, 'base64'),
        shardId: shardIdOf(record),
        arrivalMs: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
        eventSourceARN: record.eventSourceARN,
        ok: false,
        reason: PoisonReason.Undecodable,
        error: `KPL aggregated record could not be unpacked: ${(error as Error).message}`,
      });
      continue;
    }
    for (const entry of users) {
      if ('keyless' in entry) {
        const { keyless: _keyless, ...user } = entry;
        decoded.push({ ...user, ok: false, reason: PoisonReason.Undecodable, error: 'KPL user record names a partition key index its aggregate does not have' });
        continue;
      }
      const user = entry;
      const result = decodeEnvelope(user.data);
      if (result.ok) {
        decoded.push({ ...user, ok: true, event: result.event, idempotencyKey: idempotencyKeyOf(result.event) });
      } else {
        const reason = result.stage === 'decode' ? PoisonReason.Undecodable : PoisonReason.InvalidEnvelope;
        decoded.push({ ...user, ok: false, reason, error: result.reason });
      }
    }
  }
  return decoded;
}

/** Where a user record sits in its shard. */
export type StreamPosition = Pick<UserRecord, 'sequenceNumber' | 'subSequenceNumber'>;

/** Kinesis order of two user records: sequence number (decimal, up to 128 bits), then position in the aggregate. */
export function compareRecordOrder(a: StreamPosition, b: StreamPosition): number {
  if (a.sequenceNumber !== b.sequenceNumber) return compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber);
  return (a.subSequenceNumber ?? -1) - (b.subSequenceNumber ?? -1);
}

/** Kinesis sequence numbers are decimal strings; shorter is smaller, then lexical. */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A user record's place in the stream, as one string: `shardId:sequenceNumber[:subSequenceNumber]`.
 * Unique within a stream, and the same on every redelivery of the record (a re-put gets a new one).
 */
export function recordPosition(record: Pick<UserRecord, 'shardId' | 'sequenceNumber' | 'subSequenceNumber'>): string {
  return record.subSequenceNumber === undefined ? `${record.shardId}:${record.sequenceNumber}` : `${record.shardId}:${record.sequenceNumber}:${record.subSequenceNumber}`;
}
