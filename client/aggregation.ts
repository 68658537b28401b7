/**
 * KPL-compatible record aggregation (many small user records in one Kinesis record), through the
 * maintained `aws-kinesis-agg` library, so the processor's deaggregation reads what we write.
 *
 * The producer only aggregates records of ONE partition key together: an aggregate lands on the shard
 * of its outer partition key, so mixing keys would move a key's events to another shard and break its
 * order. Per key, an aggregate is also atomic: its events are accepted or retried together, in order.
 */
import * as kinesisAgg from 'aws-kinesis-agg';

interface UserRecordInput {
  partitionKey: string;
  data: Buffer;
}

interface RecordAggregatorApi {
  addUserRecord(record: UserRecordInput): void;
  checkIfUserRecordFits(record: UserRecordInput): boolean;
  calculateUserRecordSize(record: UserRecordInput): number;
  length(): number;
  build(): { partitionKey: string; data: Buffer } | undefined;
}

// The library exports RecordAggregator at run time, but its type declarations leave it out.
const { RecordAggregator } = kinesisAgg as unknown as { RecordAggregator: new () => RecordAggregatorApi };

/** KPL's magic prefix of an aggregated record. */
const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
/** Magic prefix and the trailing MD5 digest around the protobuf message. */
export const AGGREGATE_OVERHEAD_BYTES = KPL_MAGIC.length + 16;

export interface AggregatedRecord {
  /** How many of the given records went in (a prefix of the input, in order). */
  readonly count: number;
  readonly data: Uint8Array;
}

/**
 * Packs the longest prefix of `records` (all of one partition key) that fits in `maxBytes` of
 * aggregated data. Returns undefined when fewer than two fit: a lone record is sent as is.
 */
export function aggregatePrefix(partitionKey: string, records: readonly Uint8Array[], maxBytes: number): AggregatedRecord | undefined {
  const aggregator = new RecordAggregator();
  let size = AGGREGATE_OVERHEAD_BYTES;
  for (const data of records) {
    const userRecord = { partitionKey, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
    const recordSize = aggregator.calculateUserRecordSize(userRecord);
    if (size + recordSize > maxBytes) break;
    aggregator.addUserRecord(userRecord);
    size += recordSize;
  }
  const count = aggregator.length();
  if (count < 2) return undefined;
  const built = aggregator.build();
  if (!built) return undefined;
  return { count, data: new Uint8Array(built.data.buffer, built.data.byteOffset, built.data.byteLength) };
}

export function isAggregated(data: Uint8Array): boolean {
  return data.length > AGGREGATE_OVERHEAD_BYTES && Buffer.from(data.buffer, data.byteOffset, 4).equals(KPL_MAGIC);
}

export interface UserRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** Position inside an aggregated record; undefined for a plain record. */
  readonly subSequenceNumber?: number;
}

/**
 * Splits a Kinesis record into its user records (one for a plain record). A corrupt aggregate
 * (bad checksum or protobuf) is an error, never silently returned as one opaque record.
 */
export function deaggregate(partitionKey: string, data: Uint8Array): UserRecord[] {
  if (!isAggregated(data)) return [{ partitionKey, data }];
  let failure: Error | undefined;
  let records: UserRecord[] = [];
  kinesisAgg.deaggregateSync(
    { partitionKey, data: Buffer.from(data).toString('base64'), sequenceNumber: '0', kinesisSchemaVersion: '1.0', approximateArrivalTimestamp: 0 },
    true,
    (error, userRecords) => {
      if (error) {
        failure = error;
        return;
      }
      records = (userRecords ?? []).map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data, 'base64'), subSequenceNumber: r.subSequenceNumber }));
    },
  );
  if (failure) throw new Error(`corrupt KPL aggregated record: ${failure.message}`);
  return records;
}
