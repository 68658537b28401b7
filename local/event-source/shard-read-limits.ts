/**
 * Kinesis read limits per stream shard, shared by every consumer of the shard: 5 GetRecords calls per
 * second (AWS's shared-throughput quota, whatever the number of event source mappings on the stream).
 * kinesis-mock enforces none, so the local target enforces them here: one ShardReadLimiter per stream
 * shard, handed to every mapping's reader of that shard through one ShardReadLimits. A read over the
 * limit is what AWS answers with ProvisionedThroughputExceededException: it is counted (the stream's
 * `ReadProvisionedThroughputExceeded` metric) and the reader backs off until the shard has room.
 */

/** AWS: each shard supports up to five GetRecords calls per second across all its consumers. */
export const GET_RECORDS_PER_SECOND_PER_SHARD = 5;

/** What a reader asks before each GetRecords: a read now, or how long to wait for one. */
export interface ReadBudget {
  tryRead(): { readonly granted: true } | { readonly granted: false; readonly retryInMs: number };
}

/**
 * An enhanced fan-out consumer's own throughput: its reads never count against the shard's shared
 * 5 GetRecords/s (AWS: each registered consumer gets its own 2 MB/s per shard, pushed to it).
 */
export const DEDICATED_READ_BUDGET: ReadBudget = { tryRead: () => ({ granted: true }) };

export class ShardReadLimiter implements ReadBudget {
  /** Times (ms) of the reads granted in the last second, oldest first. */
  private readonly granted: number[] = [];

  constructor(
    readonly streamName: string,
    readonly shardId: string,
    private readonly readsPerSecond: number,
    private readonly now: () => number,
    private readonly onThrottled: (streamName: string) => void,
  ) {}

  /**
   * Takes one read if the shard has room in the last second; otherwise counts a throttled read and
   * returns how long (ms) until it has room.
   */
  tryRead(): { readonly granted: true } | { readonly granted: false; readonly retryInMs: number } {
    const now = this.now();
    while (this.granted.length > 0 && (this.granted[0] as number) <= now - 1000) this.granted.shift();
    if (this.granted.length < this.readsPerSecond) {
      this.granted.push(now);
      return { granted: true };
    }
    this.onThrottled(this.streamName);
    return { granted: false, retryInMs: Math.max(1, (this.granted[0] as number) + 1000 - now) };
  }
}

/** The limiters of every stream shard the local target reads, created on first use. */
export class ShardReadLimits {
  private readonly limiters = new Map<string, ShardReadLimiter>();

  constructor(
    private readonly options: {
      /** Called once per throttled read, with the stream's name. */
      readonly onThrottled?: (streamName: string) => void;
      /** Default 5 (AWS). */
      readonly readsPerSecond?: number;
      /** Epoch ms. Default Date.now. */
      readonly now?: () => number;
    } = {},
  ) {}

  /** The one limiter of this shard of this stream (streams are told apart by ARN). */
  forShard(streamArn: string, streamName: string, shardId: string): ShardReadLimiter {
    const key = `${streamArn}/${shardId}`;
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new ShardReadLimiter(streamName, shardId, this.options.readsPerSecond ?? GET_RECORDS_PER_SECOND_PER_SHARD, this.options.now ?? Date.now, this.options.onThrottled ?? (() => undefined));
      this.limiters.set(key, limiter);
    }
    return limiter;
  }
}
