/**
 * Enhanced fan-out as AWS serves it to a Lambda event source mapping: one SubscribeToShard subscription
 * per shard on the mapping's consumer, records pushed within about 70 ms of their arrival over the
 * consumer's own throughput (never the shard's shared 5 GetRecords/s), a subscription that ends after
 * 5 minutes and is renewed from its ContinuationSequenceNumber, and a closed shard's last event naming its
 * ChildShards (so resharding keeps its order: parents before children, ShardLineage decides).
 *
 * Why it does not call kinesis-local's own SubscribeToShard (kinesis-mock 0.6.2, its Node build, read
 * in SubscribeToShardRequest.scala and tried with the AWS SDK's Kinesis client on NodeHttp2Handler):
 *   - it pushes once a second (`Stream.awakeEvery(1.second)`), not as records arrive: polling's delivery
 *     time, where AWS's is about 70 ms;
 *   - its events never carry ChildShards (`childShards = None`): a closed shard's subscription goes on
 *     with empty events, and a reshard's children would never be read;
 *   - from Node it does not get that far: kinesis-local's HTTP/2 server (http4s ember) sends a PING frame
 *     with the ACK flag that no PING asked for, about 2 s in, which nghttp2 refuses as a protocol error
 *     (ERR_HTTP2_ERROR). The SDK's SubscribeToShardCommand fails with it before yielding any event
 *     (test/local/kinesis-subscribe-to-shard.test.ts holds this); a bare node:http2 request sees two
 *     events, a second apart, then the same error.
 * So each subscription is modelled on GetRecords instead: read every `pushIntervalMs` of the poller
 * (default PUSH_INTERVAL_MS) on the consumer's dedicated budget, its end and renewal kept as AWS's.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { PollingShardReader, type ReadResult, type ShardRecordSource, type SourceStart } from './record-source';
import { DEDICATED_READ_BUDGET } from './shard-read-limits';

/** AWS: a SubscribeToShard subscription lasts 5 minutes; the consumer then subscribes again. */
export const SUBSCRIPTION_MS = 5 * 60_000;
/** How often a subscription looks for new records: AWS pushes a record "typically ~70 ms" after it arrives. */
export const PUSH_INTERVAL_MS = 50;

export interface FanOutShardReaderDeps {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly shardId: string;
  /** Where the first subscription starts (the mapping's StartingPosition, or after the checkpoint). */
  readonly start: SourceStart;
  /** How long a subscription lasts (real ms). Default SUBSCRIPTION_MS. */
  readonly subscriptionMs?: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Epoch ms. */
  readonly now: () => number;
}

export class FanOutShardReader implements ShardRecordSource {
  private subscription: { reader: PollingShardReader; endsAt: number } | undefined;
  /** The last sequence number pushed: where the next subscription continues (ContinuationSequenceNumber). */
  private continuation: string | undefined;
  private subscribed = 0;

  constructor(private readonly deps: FanOutShardReaderDeps) {
    if ('after' in deps.start) this.continuation = deps.start.after;
  }

  /** Subscriptions made so far (the first, then one per renewal). */
  get subscriptions(): number {
    return this.subscribed;
  }

  async prime(): Promise<void> {
    await this.current().prime();
  }

  async read(limit: number): Promise<ReadResult> {
    const result = await this.current().read(limit);
    const last = result.kind === 'records' ? result.records[result.records.length - 1] : undefined;
    if (last) this.continuation = last.sequenceNumber;
    return result;
  }

  /** The subscription in force; an expired one is renewed from the continuation sequence number. */
  private current(): PollingShardReader {
    const now = this.deps.now();
    const lifetime = this.deps.subscriptionMs ?? SUBSCRIPTION_MS;
    if (this.subscription && now < this.subscription.endsAt) return this.subscription.reader;
    this.subscribed += 1;
    if (this.subscription && this.continuation === undefined) {
      // Nothing pushed yet: the renewed subscription starts where the first one did (AWS hands back that
      // position as the continuation), so the reader keeps its first iterator and a LATEST start skips nothing.
      this.subscription.endsAt = now + lifetime;
      return this.subscription.reader;
    }
    const reader = new PollingShardReader({
      kinesis: this.deps.kinesis,
      streamName: this.deps.streamName,
      shardId: this.deps.shardId,
      start: this.continuation === undefined ? this.deps.start : { after: this.continuation },
      limiter: DEDICATED_READ_BUDGET,
      sleep: this.deps.sleep,
      now: this.deps.now,
    });
    this.subscription = { reader, endsAt: now + lifetime };
    return reader;
  }
}
