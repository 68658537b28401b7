/**
 * KPL aggregated records for the generators, built synchronously with aws-kinesis-agg's
 * RecordAggregator, plus the damage a stranger's producer can do: a user record naming a partition
 * key the aggregate's table does not have, a wrong checksum, a truncated record, garbage after the
 * magic number. Format (see /work/shared/reference): magic, protobuf AggregatedRecord, MD5 of it.
 */
import { createHash } from 'node:crypto';
import { RecordAggregator } from 'aws-kinesis-agg';

declare module 'aws-kinesis-agg' {
  /** Exported by the library (lib/kpl-agg.js) but missing from its type declarations. */
  export class RecordAggregator {
    constructor(onReadyCallback?: () => void);
    addUserRecord(record: { partitionKey: string; data: Buffer }): void;
    build(): { partitionKey: string; data: Buffer } | undefined;
  }
}

const MAGIC = Buffer.from('f3899ac2', 'hex');
const CHECKSUM_BYTES = 16;

export interface AggregateUser {
  readonly partitionKey: string;
  readonly data: Buffer;
}

/** Protobuf varint. */
function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/**
 * `AggregatedRecord.records` entry (field 3) whose `partition_key_index` points past the table: the
 * library has no way to write one, so it is encoded here (field 1 varint, field 3 bytes).
 */
function recordWithKeyIndex(index: number, data: Buffer): Buffer {
  const record = Buffer.concat([Buffer.from([0x08]), varint(index), Buffer.from([0x1a]), varint(data.length), data]);
  return Buffer.concat([Buffer.from([0x1a]), varint(record.length), record]);
}

function withChecksum(protobuf: Buffer): Buffer {
  return Buffer.concat([MAGIC, protobuf, createHash('md5').update(protobuf).digest()]);
}

/**
 * One aggregated Kinesis record of `users` (in order, sub-sequence numbers 0…), then `missingKey`
 * records appended after them (their partition key index names no entry of the table).
 * Returns the outer record's partition key (the first user's, as the KPL does) and bytes.
 */
export function encodeAggregate(users: readonly AggregateUser[], missingKey: readonly Buffer[] = []): { partitionKey: string; data: Buffer } {
  if (users.length === 0) throw new Error('an aggregate needs at least one user record with a partition key');
  const aggregator = new RecordAggregator(() => undefined);
  for (const user of users) aggregator.addUserRecord({ partitionKey: user.partitionKey, data: user.data });
  const built = aggregator.build();
  if (!built) throw new Error('the aggregator built nothing');
  if (missingKey.length === 0) return built;
  const protobuf = built.data.subarray(MAGIC.length, built.data.length - CHECKSUM_BYTES);
  const tableSize = new Set(users.map((u) => u.partitionKey)).size;
  const extra = missingKey.map((data, i) => recordWithKeyIndex(tableSize + 7 + i, data));
  return { partitionKey: built.partitionKey, data: withChecksum(Buffer.concat([protobuf, ...extra])) };
}

export type Corruption = 'checksum' | 'truncated' | 'garbage';

/** Damages a good aggregate so that no deaggregator can trust any of its user records. */
export function corrupt(aggregate: Buffer, corruption: Corruption): Buffer {
  switch (corruption) {
    case 'checksum': {
      const copy = Buffer.from(aggregate);
      copy[copy.length - 1] = copy[copy.length - 1]! ^ 0xff;
      return copy;
    }
    case 'truncated':
      return aggregate.subarray(0, Math.max(MAGIC.length + 1, aggregate.length - 9));
    case 'garbage': {
      // The magic number, then bytes that are not a protobuf message with its checksum.
      const body = createHash('sha256').update(aggregate).digest();
      return Buffer.concat([MAGIC, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), body]);
    }
  }
}
