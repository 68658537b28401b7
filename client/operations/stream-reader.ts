/**
 * Reading records back from a stream: an exact sequence-number range of one shard (what an on-failure
 * message points at), and following every shard (the `tail` command).
 */
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../backoff';

/** A stream by name or ARN (on-failure messages carry the ARN). */
export type StreamRef = { readonly streamName: string } | { readonly streamArn: string };

export interface StoredRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly arrival?: Date;
}

/**
 * Read calls name the stream: kinesis-mock ignores StreamARN on GetShardIterator ("stream None"), and
 * every ARN we read from (on-failure records, poison records) belongs to the account we talk to.
 */
export function streamParams(stream: StreamRef): { StreamName: string } {
  if ('streamName' in stream) return { StreamName: stream.streamName };
  const name = /^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/(.+)$/.exec(stream.streamArn)?.[1];
  if (!name) throw new Error(`not a Kinesis stream ARN: ${stream.streamArn}`);
  return { StreamName: name };
}

/** The stream's retention (hours); `fallback` when it cannot be described (no permission, no stream). */
export async function retentionHoursOf(client: KinesisClient, stream: StreamRef, fallback: number): Promise<number> {
  try {
    const summary = await client.send(new DescribeStreamSummaryCommand(streamParams(stream)));
    return summary.StreamDescriptionSummary?.RetentionPeriodHours ?? fallback;
  } catch {
    return fallback;
  }
}

function stored(shardId: string, record: _Record): StoredRecord {
  return { shardId, sequenceNumber: record.SequenceNumber!, partitionKey: record.PartitionKey!, data: record.Data ?? new Uint8Array(), arrival: record.ApproximateArrivalTimestamp };
}

export type RangeRead =
  | { readonly complete: true; readonly records: StoredRecord[] }
  | { readonly complete: false; readonly records: StoredRecord[]; readonly problem: string };

/** Pages per range read before giving up; a 10,000-record range needs 1 to a few. */
const MAX_PAGES = 200;

/**
 * Reads the records of `shardId` from `start` to `end` (inclusive) with an AT_SEQUENCE_NUMBER
 * iterator. Complete only if the range starts exactly at `start`, reaches `end` and, when given,
 * holds `expectedCount` records: anything else means records left the stream (retention) or the
 * message points at records that never were there.
 */
export async function readSequenceRange(
  client: KinesisClient,
  stream: StreamRef,
  shardId: string,
  start: string,
  end: string,
  expectedCount?: number,
): Promise<RangeRead> {
  const first = BigInt(start);
  const last = BigInt(end);
  const records: StoredRecord[] = [];
  let iterator: string | undefined;
  try {
    iterator = (
      await client.send(new GetShardIteratorCommand({ ...streamParams(stream), ShardId: shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: start }))
    ).ShardIterator;
  } catch (error) {
    // Kinesis answers ResourceNotFound for a sequence number it does not hold (any more).
    const gone = (error as { name?: string }).name === 'ResourceNotFoundException' && /SequenceNumber/i.test((error as Error).message);
    const problem = gone
      ? `the record at sequence number ${start} is no longer in ${shardId} (past retention, trimmed, or never written)`
      : `cannot read from sequence number ${start} of ${shardId}: ${describeError(error)}`;
    return { complete: false, records, problem };
  }
  for (let page = 0; iterator && page < MAX_PAGES; page++) {
    const response = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    for (const record of response.Records ?? []) {
      const sequence = BigInt(record.SequenceNumber!);
      if (records.length === 0 && sequence !== first) {
        return { complete: false, records, problem: `the record at sequence number ${start} is no longer in the stream (past retention, or trimmed)` };
      }
      if (sequence > last) return finish(records, end, expectedCount);
      records.push(stored(shardId, record));
      if (sequence === last) return finish(records, end, expectedCount);
    }
    const caughtUp = (response.Records ?? []).length === 0 && (response.MillisBehindLatest ?? 0) === 0;
    if (caughtUp) break;
    iterator = response.NextShardIterator;
  }
  if (records.length === 0) return { complete: false, records, problem: `no record at sequence number ${start} in ${shardId} (past retention, or never written)` };
  return { complete: false, records, problem: `the range ends before sequence number ${end}: ${records.length} record(s) found` };
}

function finish(records: StoredRecord[], end: string, expectedCount: number | undefined): RangeRead {
  if (records[records.length - 1]?.sequenceNumber !== end) {
    return { complete: false, records, problem: `sequence number ${end} (the end of the range) is not in the stream` };
  }
  if (expectedCount !== undefined && records.length !== expectedCount) {
    return { complete: false, records, problem: `expected ${expectedCount} record(s) in the range, found ${records.length}` };
  }
  return { complete: true, records };
}

/** Reads the one record at a sequence number (a poison record whose data did not fit its DLQ message). */
export async function readRecordAt(client: KinesisClient, stream: StreamRef, shardId: string, sequenceNumber: string): Promise<RangeRead> {
  return readSequenceRange(client, stream, shardId, sequenceNumber, sequenceNumber, 1);
}

export type StartPosition = { readonly type: 'LATEST' | 'TRIM_HORIZON' } | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: Date };

export interface FollowOptions {
  readonly from: StartPosition;
  /** Keep polling at the tip (true) or stop once every shard is caught up (false). */
  readonly follow: boolean;
  /** Pause between polls of a shard at the tip (ms). Default 1000 (AWS allows 5 GetRecords/s per shard). */
  readonly pollIntervalMs?: number;
  readonly signal?: AbortSignal;
}

interface ShardCursor {
  iterator: string | undefined;
  lastSequence?: string;
}

/** Yields every record of every shard from a position on, shard by shard as they arrive; picks up new shards when following. */
export async function* followStream(client: KinesisClient, stream: StreamRef, options: FollowOptions): AsyncGenerator<StoredRecord> {
  const cursors = new Map<string, ShardCursor>();
  const iteratorFor = async (shardId: string, position: StartPosition | { type: 'AFTER_SEQUENCE_NUMBER'; sequence: string }): Promise<string | undefined> => {
    const input: GetShardIteratorCommandInput = { ...streamParams(stream), ShardId: shardId, ShardIteratorType: position.type };
    if (position.type === 'AT_TIMESTAMP') input.Timestamp = position.timestamp;
    if (position.type === 'AFTER_SEQUENCE_NUMBER') input.StartingSequenceNumber = position.sequence;
    return (await client.send(new GetShardIteratorCommand(input))).ShardIterator;
  };
  const discoverShards = async (positionForNew: StartPosition): Promise<void> => {
    const shards = await client.send(new ListShardsCommand(streamParams(stream)));
    for (const shard of shards.Shards ?? []) {
      if (!cursors.has(shard.ShardId!)) cursors.set(shard.ShardId!, { iterator: await iteratorFor(shard.ShardId!, positionForNew) });
    }
  };
  await discoverShards(options.from);
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  let lastDiscovery = Date.now();
  while (!options.signal?.aborted) {
    let caughtUp = true;
    for (const [shardId, cursor] of cursors) {
      if (!cursor.iterator) continue; // closed shard, fully read
      let response;
      try {
        response = await client.send(new GetRecordsCommand({ ShardIterator: cursor.iterator, Limit: 1000 }));
      } catch (error) {
        if ((error as { name?: string }).name !== 'ExpiredIteratorException') throw error;
        cursor.iterator = await iteratorFor(shardId, cursor.lastSequence ? { type: 'AFTER_SEQUENCE_NUMBER', sequence: cursor.lastSequence } : options.from);
        caughtUp = false;
        continue;
      }
      for (const record of response.Records ?? []) {
        cursor.lastSequence = record.SequenceNumber;
        yield stored(shardId, record);
      }
      cursor.iterator = response.NextShardIterator;
      if ((response.Records ?? []).length > 0 || (response.MillisBehindLatest ?? 0) > 0) caughtUp = false;
    }
    if (caughtUp && !options.follow) return;
    if (options.follow && Date.now() - lastDiscovery > 30_000) {
      // Resharding creates child shards; they hold everything written after the split.
      await discoverShards({ type: 'TRIM_HORIZON' });
      lastDiscovery = Date.now();
    }
    if (caughtUp) await sleep(pollIntervalMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
