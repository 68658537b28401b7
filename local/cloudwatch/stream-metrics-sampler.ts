/**
 * Publishes the AWS/Kinesis stream metrics CloudWatch would (dimension StreamName): IncomingRecords and
 * IncomingBytes, at each record's arrival time.
 *
 * AWS counts these where records are written; the emulator publishes no metrics, and reading them from
 * the processor's side would miss exactly the case they exist for (a consumer that reads nothing). So
 * the sampler reads every shard on its own, from the start of the stream, once a second: one extra
 * GetRecords per shard and second, well inside the shard's 5 reads/s. It reads through the emulator's
 * own endpoint, not the fault proxy, because AWS counts writes even while a consumer cannot read.
 *
 * Resharding: the shards listed at the first read (closed ones included) are each read once from their
 * start, and a shard read to its end (closed) hands over to the children GetRecords names, each read
 * from its start by one reader (a merge's child is named by both parents): every record lives in exactly
 * one shard, so each is counted once, before and after a split or merge.
 */
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  ResourceNotFoundException,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type { MetricStore } from './metric-store';
import { logToStderr, PeriodicTask } from './periodic-task';

export interface StreamMetricsSamplerOptions {
  readonly kinesis: KinesisClient;
  readonly store: MetricStore;
  readonly streamNames: readonly string[];
  /** Real ms between reads of a shard. Default 1000. */
  readonly intervalMs?: number;
  readonly logger?: (line: string) => void;
}

interface ShardReader {
  readonly streamName: string;
  readonly shardId: string;
  iterator: string | undefined;
  lastSequenceNumber: string | undefined;
  done: boolean;
}

export class StreamMetricsSampler {
  private readonly task = new PeriodicTask(
    async () => {
      this.readers ??= await this.listShards();
      await Promise.all(this.readers.filter((r) => !r.done).map((r) => this.read(r)));
    },
    (error) => this.log(`[cloudwatch] listing the shards for stream metrics failed: ${error instanceof Error ? error.message : String(error)}`),
  );
  private readers: ShardReader[] | undefined;
  /** `stream/shard` of every reader, so a shard named again (a merge's second parent) gets no second one. */
  private readonly known = new Set<string>();

  constructor(private readonly options: StreamMetricsSamplerOptions) {}

  start(): void {
    this.task.start(this.options.intervalMs ?? 1000);
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Reads every shard once now and records what arrived since the last read. */
  sampleNow(): Promise<void> {
    return this.task.runNow();
  }

  private async listShards(): Promise<ShardReader[]> {
    const readers: ShardReader[] = [];
    for (const streamName of this.options.streamNames) {
      let nextToken: string | undefined;
      do {
        const out = await this.options.kinesis.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }));
        for (const shard of out.Shards ?? []) {
          if (shard.ShardId) this.addReader(readers, streamName, shard.ShardId);
        }
        nextToken = out.NextToken;
      } while (nextToken);
    }
    return readers;
  }

  private addReader(readers: ShardReader[], streamName: string, shardId: string): void {
    const key = `${streamName}/${shardId}`;
    if (this.known.has(key)) return;
    this.known.add(key);
    readers.push({ streamName, shardId, iterator: undefined, lastSequenceNumber: undefined, done: false });
  }

  private async read(reader: ShardReader): Promise<void> {
    const kinesis = this.options.kinesis;
    try {
      reader.iterator ??= (
        await kinesis.send(
          new GetShardIteratorCommand({
            StreamName: reader.streamName,
            ShardId: reader.shardId,
            ...(reader.lastSequenceNumber
              ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: reader.lastSequenceNumber }
              : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        )
      ).ShardIterator;
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: reader.iterator }));
      reader.iterator = out.NextShardIterator;
      if (!out.NextShardIterator) {
        // Closed and read to its end: its children are read from their start from the next round on.
        reader.done = true;
        for (const child of out.ChildShards ?? []) if (child.ShardId && this.readers) this.addReader(this.readers, reader.streamName, child.ShardId);
      }
      const bySecond = new Map<number, { records: number; bytes: number }>();
      for (const record of out.Records ?? []) {
        reader.lastSequenceNumber = record.SequenceNumber ?? reader.lastSequenceNumber;
        const second = Math.floor((record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000) * 1000;
        const sum = bySecond.get(second) ?? { records: 0, bytes: 0 };
        sum.records += 1;
        sum.bytes += (record.Data?.byteLength ?? 0) + Buffer.byteLength(record.PartitionKey ?? '');
        bySecond.set(second, sum);
      }
      for (const [timestamp, sum] of bySecond) {
        this.put(reader.streamName, 'IncomingRecords', sum.records, 'Count', timestamp);
        this.put(reader.streamName, 'IncomingBytes', sum.bytes, 'Bytes', timestamp);
      }
    } catch (error) {
      if (error instanceof ExpiredIteratorException) {
        reader.iterator = undefined;
        return;
      }
      if (error instanceof ResourceNotFoundException) {
        // The stream was deleted (teardown): nothing more to count.
        reader.done = true;
        return;
      }
      reader.iterator = undefined;
      this.log(`[cloudwatch] reading ${reader.streamName}/${reader.shardId} for its metrics failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private log(line: string): void {
    (this.options.logger ?? logToStderr)(line);
  }

  private put(streamName: string, metricName: string, value: number, unit: string, timestamp: number): void {
    this.options.store.put({ namespace: 'AWS/Kinesis', metricName, dimensions: { StreamName: streamName }, value, unit, timestamp });
  }
}
