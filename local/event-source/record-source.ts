/**
 * Where a shard's records come from, as one replaceable piece: the ShardPoller asks its source for the
 * next records and never talks to Kinesis itself. The source today is PollingShardReader (GetRecords on
 * a shard iterator, under the shard's shared read limit, as Lambda's standard consumer does);
 * FanOutShardReader (./fan-out-reader.ts) is the enhanced fan-out one, with the same contract:
 * records in shard order, starting after the position it was created with, and `closed` with the child
 * shards once a closed shard is read to its end (what resharding, issue 13, follows).
 */
import { GetRecordsCommand, GetShardIteratorCommand, type GetShardIteratorCommandInput, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { PolledRecord } from './records';
import type { ReadBudget } from './shard-read-limits';

/** GetRecords returns at most 10,000 records. */
export const MAX_GET_RECORDS = 10_000;

/** A shard that follows a closed one (GetRecords' ChildShards): a split has two, a merge's child has two parents. */
export interface ChildShard {
  readonly shardId: string;
  /** Every parent of the child: one after a split, two after a merge. */
  readonly parentShardIds: readonly string[];
}

export type ReadResult =
  | { readonly kind: 'records'; readonly records: PolledRecord[] }
  /** The shard is closed and every record of it was returned: its children (if Kinesis named them) come next. */
  | { readonly kind: 'closed'; readonly childShards: readonly ChildShard[] };

export interface ShardRecordSource {
  /** Up to `limit` records after the last ones returned (possibly none yet). */
  read(limit: number): Promise<ReadResult>;
  /** Takes the starting position now (a LATEST start means "from now"), before the first read. */
  prime?(): Promise<void>;
}

/** Where a source starts: after a sequence number, or the mapping's starting position. */
export type SourceStart =
  | { readonly after: string }
  | { readonly position: Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'Timestamp'> };

export interface PollingShardReaderDeps {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly shardId: string;
  readonly start: SourceStart;
  /** The shard's shared read limit (polling), or an enhanced fan-out consumer's own budget. */
  readonly limiter: ReadBudget;
  readonly sleep: (ms: number) => Promise<void>;
  /** Epoch ms, for records without an arrival time. */
  readonly now: () => number;
}

/** GetShardIterator once, then GetRecords; an expired iterator is replaced after the last record read. */
export class PollingShardReader implements ShardRecordSource {
  private iterator: string | undefined;
  /** Last sequence number returned (where a new iterator continues). */
  private lastRead: string | undefined;
  /** Set once the shard's end was read: the child shards Kinesis named. */
  private closedWith: readonly ChildShard[] | undefined;

  constructor(private readonly deps: PollingShardReaderDeps) {
    if ('after' in deps.start) this.lastRead = deps.start.after;
  }

  /** Gets the first shard iterator now, so a LATEST mapping starts at the moment it is enabled. */
  async prime(): Promise<void> {
    this.iterator ??= await this.newIterator();
  }

  async read(limit: number): Promise<ReadResult> {
    for (;;) {
      if (this.closedWith) return { kind: 'closed', childShards: this.closedWith };
      this.iterator ??= await this.newIterator();
      await this.untilShardHasRoom();
      let out;
      try {
        out = await this.deps.kinesis.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: Math.max(1, Math.min(MAX_GET_RECORDS, limit)) }));
      } catch (error) {
        // Iterators expire after 5 minutes: continue from the last record read.
        if (error instanceof Error && error.name === 'ExpiredIteratorException') {
          this.iterator = undefined;
          continue;
        }
        throw error;
      }
      const records = (out.Records ?? []).map(
        (r): PolledRecord => ({
          shardId: this.deps.shardId,
          sequenceNumber: r.SequenceNumber ?? '',
          partitionKey: r.PartitionKey ?? '',
          data: r.Data ?? new Uint8Array(),
          arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? this.deps.now(),
        }),
      );
      const last = records[records.length - 1];
      if (last) this.lastRead = last.sequenceNumber;
      if (!out.NextShardIterator) {
        // The shard is closed and read to its end (no next iterator: kinesis-mock and AWS alike; the
        // EndingSequenceNumber ListShards reports is no help, kinesis-mock puts a sentinel there, 2^63-1,
        // smaller than any real sequence number). Records of this last read still come first.
        this.closedWith = (out.ChildShards ?? [])
          .filter((c) => c.ShardId)
          .map((c) => ({ shardId: c.ShardId as string, parentShardIds: (c.ParentShards ?? []).filter((p) => p !== '') }));
        if (records.length > 0) return { kind: 'records', records };
        continue;
      }
      this.iterator = out.NextShardIterator;
      return { kind: 'records', records };
    }
  }

  /** The shard's shared read limit: a throttled read is counted and waits for room, as AWS's consumer backs off. */
  private async untilShardHasRoom(): Promise<void> {
    for (;;) {
      const attempt = this.deps.limiter.tryRead();
      if (attempt.granted) return;
      await this.deps.sleep(attempt.retryInMs);
    }
  }

  private async newIterator(): Promise<string> {
    const position: Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'Timestamp' | 'StartingSequenceNumber'> = this.lastRead
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: this.lastRead }
      : 'position' in this.deps.start
        ? this.deps.start.position
        : { ShardIteratorType: 'TRIM_HORIZON' };
    const out = await this.deps.kinesis.send(new GetShardIteratorCommand({ StreamName: this.deps.streamName, ShardId: this.deps.shardId, ...position }));
    if (!out.ShardIterator) throw new Error(`no shard iterator for ${this.deps.shardId}`);
    return out.ShardIterator;
  }
}
