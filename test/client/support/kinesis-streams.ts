/**
 * Test streams on the real Kinesis emulator the test runner started (AWS_ENDPOINT_URL_KINESIS): each
 * test creates its own uniquely named stream, reads it back in full, and deletes it.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../../../sdk/clients';

export interface StoredRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

export class TestStream {
  private constructor(
    readonly client: KinesisClient,
    readonly streamName: string,
  ) {}

  static async create(prefix: string, shardCount = 2, client: KinesisClient = createKinesisClient()): Promise<TestStream> {
    const streamName = `${prefix}-${randomUUID().slice(0, 8)}`;
    await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
    const stream = new TestStream(client, streamName);
    await stream.waitUntilActive();
    return stream;
  }

  get streamArn(): Promise<string> {
    return this.client.send(new DescribeStreamSummaryCommand({ StreamName: this.streamName })).then((d) => d.StreamDescriptionSummary!.StreamARN!);
  }

  private async waitUntilActive(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const summary = await this.client.send(new DescribeStreamSummaryCommand({ StreamName: this.streamName }));
      if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`stream ${this.streamName} did not become ACTIVE`);
  }

  /** Every record in the stream, per shard in sequence order, shards one after the other. */
  async readAll(): Promise<StoredRecord[]> {
    const shards = await this.client.send(new ListShardsCommand({ StreamName: this.streamName }));
    const out: StoredRecord[] = [];
    for (const shard of shards.Shards ?? []) {
      const shardId = shard.ShardId!;
      let iterator = (await this.client.send(new GetShardIteratorCommand({ StreamName: this.streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      while (iterator) {
        const page = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        for (const r of page.Records ?? []) out.push({ shardId, sequenceNumber: r.SequenceNumber!, partitionKey: r.PartitionKey!, data: r.Data! });
        if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return out;
  }

  async delete(): Promise<void> {
    await this.client.send(new DeleteStreamCommand({ StreamName: this.streamName, EnforceConsumerDeletion: true })).catch(() => undefined);
  }
}

/** Sequence numbers are decimal strings longer than 2^53: compare them as BigInts. */
export function bySequence(a: { sequenceNumber: string }, b: { sequenceNumber: string }): number {
  const x = BigInt(a.sequenceNumber);
  const y = BigInt(b.sequenceNumber);
  return x < y ? -1 : x > y ? 1 : 0;
}
