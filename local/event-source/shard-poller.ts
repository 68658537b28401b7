/**
 * Polls one shard like Lambda's standard (non-EFO) Kinesis poller: GetRecords about every poll interval,
 * batches of up to BatchSize records gathered for up to MaximumBatchingWindowInSeconds (or 6 MB), one
 * batch in flight per shard, or with ParallelizationFactor N up to N batches in flight, records grouped
 * by partition key so one key's records stay in order.
 *
 * The checkpoint (last sequence number of the shard whose records, and all before them, are finished)
 * lives in memory in a CheckpointStore shared with the mapping: a stopped poller's successor resumes
 * from it. Records after the checkpoint may be delivered again (at least once, as on AWS).
 */
import { createHash } from 'node:crypto';
import { GetRecordsCommand, GetShardIteratorCommand, type GetShardIteratorCommandInput, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { BatchRunner } from './batch-runner';
import type { KinesisMappingConfig } from './config';
import type { MappingMetrics } from './metrics';
import { payloadBytes, type PolledRecord } from './records';

/** GetRecords returns at most 10,000 records. */
const MAX_GET_RECORDS = 10_000;

export interface ShardPosition {
  /** Last finished sequence number, if any. */
  checkpoint?: string;
}

export interface ShardPollerDeps {
  readonly config: KinesisMappingConfig;
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly shardId: string;
  readonly position: ShardPosition;
  /** Where to start when the shard has no checkpoint yet (set once at mapping creation). */
  readonly initialIterator: Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'Timestamp'>;
  readonly runner: BatchRunner;
  readonly metrics: MappingMetrics;
  readonly pollIntervalMs: number;
  /** Largest invoke payload (bytes); a batch is cut before a record that would exceed it. */
  readonly maxPayloadBytes: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export class ShardPoller {
  private running = false;
  private loop: Promise<void> | undefined;
  private iterator: string | undefined;
  /** Last sequence number read from the shard (where a new iterator continues). */
  private lastRead: string | undefined;
  /** Read but not yet put in a batch (a 6 MB cut or a full batch left them over). */
  private carry: PolledRecord[] = [];
  /** Records handed to batches, in shard order, until the checkpoint passes them. */
  private readonly outstanding: { readonly record: PolledRecord; finished: boolean }[] = [];
  private readonly slots: Promise<void>[];
  private inFlightBatches = 0;
  private batchFinished: (() => void) | undefined;

  constructor(private readonly deps: ShardPollerDeps) {
    this.slots = Array.from({ length: deps.config.ParallelizationFactor }, () => Promise.resolve());
  }

  get busy(): boolean {
    return this.inFlightBatches > 0;
  }

  /** Gets the first shard iterator now, so a LATEST mapping starts at the moment it is enabled. */
  async prime(): Promise<void> {
    this.iterator ??= await this.newIterator();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops reading; resolves once the batches in flight have returned (or been abandoned). */
  async stop(): Promise<void> {
    this.running = false;
    this.batchFinished?.();
    await this.loop;
    await Promise.all(this.slots);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const batch = await this.gather();
        if (batch.length === 0) continue;
        this.deps.metrics.eventCount('PolledEventCount', batch.length);
        this.dispatch(batch);
        await this.untilSlotFree();
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        if (name === 'ExpiredIteratorException') {
          // Iterators expire after 5 minutes: continue from the last record read.
          this.iterator = undefined;
          continue;
        }
        if (name === 'ResourceNotFoundException') {
          this.deps.log(`shard ${this.deps.shardId} of ${this.deps.streamName} is gone; its poller stops`);
          this.running = false;
          break;
        }
        this.deps.log(`reading ${this.deps.shardId} of ${this.deps.streamName} failed (${name}: ${error instanceof Error ? error.message : String(error)}); retrying`);
        await this.deps.sleep(this.deps.pollIntervalMs);
      }
    }
  }

  /** Reads until a batch is full, the batching window is over, or 6 MB; empty if stopped meanwhile. */
  private async gather(): Promise<PolledRecord[]> {
    const { config } = this.deps;
    const batch: PolledRecord[] = [];
    let bytes = 0;
    const windowEnds = this.deps.now() + config.MaximumBatchingWindowInSeconds * 1000;
    const take = (records: PolledRecord[]): boolean => {
      while (records.length > 0) {
        const next = records[0] as PolledRecord;
        const size = payloadBytes(next);
        if (batch.length >= config.BatchSize || (batch.length > 0 && bytes + size > this.deps.maxPayloadBytes)) return true;
        batch.push(next);
        bytes += size;
        records.shift();
      }
      return batch.length >= config.BatchSize;
    };
    if (take(this.carry)) return batch;
    while (this.running) {
      const read = await this.read(Math.min(MAX_GET_RECORDS, config.BatchSize - batch.length));
      if (read === undefined) return batch; // shard closed
      this.carry.push(...read);
      if (take(this.carry)) return batch;
      const remaining = windowEnds - this.deps.now();
      if (batch.length > 0 && remaining <= 0) return batch;
      await this.deps.sleep(batch.length > 0 ? Math.min(this.deps.pollIntervalMs, remaining) : this.deps.pollIntervalMs);
    }
    // Stopped while gathering: nothing was handed out, so the records will be read again from the checkpoint.
    return [];
  }

  /** One GetRecords call; undefined once the shard is closed (resharding is not followed). */
  private async read(limit: number): Promise<PolledRecord[] | undefined> {
    this.iterator ??= await this.newIterator();
    const out = await this.deps.kinesis.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: Math.max(1, limit) }));
    if (!out.NextShardIterator) {
      this.deps.log(`shard ${this.deps.shardId} of ${this.deps.streamName} is closed; resharding is not followed by the local target`);
      this.running = false;
      return undefined;
    }
    this.iterator = out.NextShardIterator;
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
    return records;
  }

  private async newIterator(): Promise<string> {
    const after = this.lastRead ?? this.deps.position.checkpoint;
    const position: Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'Timestamp' | 'StartingSequenceNumber'> = after
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }
      : this.deps.initialIterator;
    const out = await this.deps.kinesis.send(new GetShardIteratorCommand({ StreamName: this.deps.streamName, ShardId: this.deps.shardId, ...position }));
    if (!out.ShardIterator) throw new Error(`no shard iterator for ${this.deps.shardId}`);
    return out.ShardIterator;
  }

  /** Hands the batch to the slots: one slot per key group, each slot runs its batches one after another. */
  private dispatch(batch: PolledRecord[]): void {
    const factor = this.deps.config.ParallelizationFactor;
    const groups = new Map<number, PolledRecord[]>();
    for (const record of batch) {
      this.outstanding.push({ record, finished: false });
      const slot = factor === 1 ? 0 : slotOf(record.partitionKey, factor);
      const group = groups.get(slot) ?? [];
      group.push(record);
      groups.set(slot, group);
    }
    for (const [slot, group] of groups) {
      this.inFlightBatches += 1;
      this.slots[slot] = (this.slots[slot] as Promise<void>).then(async () => {
        try {
          const finished = this.running ? await this.deps.runner.run(group) : 0;
          this.markFinished(group.slice(0, finished));
        } catch (error) {
          this.deps.log(`batch on ${this.deps.shardId} failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        } finally {
          this.inFlightBatches -= 1;
          this.batchFinished?.();
        }
      });
    }
  }

  /** Waits until fewer batches than ParallelizationFactor are in flight (1: the batch is done). */
  private async untilSlotFree(): Promise<void> {
    while (this.running && this.inFlightBatches >= this.deps.config.ParallelizationFactor) {
      await new Promise<void>((resolve) => {
        this.batchFinished = resolve;
      });
      this.batchFinished = undefined;
    }
  }

  private markFinished(records: readonly PolledRecord[]): void {
    const done = new Set(records.map((r) => r.sequenceNumber));
    for (const entry of this.outstanding) if (done.has(entry.record.sequenceNumber)) entry.finished = true;
    while (this.outstanding[0]?.finished) {
      this.deps.position.checkpoint = (this.outstanding.shift() as { record: PolledRecord }).record.sequenceNumber;
    }
  }
}

/** Kinesis maps a partition key to a shard by MD5; the same idea keeps one key on one slot. */
export function slotOf(partitionKey: string, slots: number): number {
  return createHash('md5').update(partitionKey).digest().readUInt32BE(0) % slots;
}
