/**
 * Polls one shard like Lambda's standard (non-EFO) Kinesis poller: GetRecords about every poll interval,
 * batches of up to BatchSize records gathered for up to MaximumBatchingWindowInSeconds (or 6 MB), one
 * batch in flight per shard, or with ParallelizationFactor N up to N batches in flight, records grouped
 * by partition key into N slots so one key's records stay in order. A slot whose batch keeps failing
 * blocks only its own keys.
 *
 * Reading is not on a batch's critical path, as with AWS's poller, which keeps a shard's batches coming
 * back to back while there is a backlog ("Lambda keeps processing batches until the function catches
 * up"): each GetRecords asks for up to 10,000 records (Kinesis' limit per call), so a backlog is read a
 * few calls per second within the shard's 5 reads/s whatever the batch size; and while there is a
 * backlog (records read and not yet batched), the next batch of each slot is gathered while its current
 * one is in flight, so it is invoked the moment that one returns. The reader stops reading ahead once BatchSize × (N + 1) records are handed to slots and
 * unfinished (one batch in flight and one ready per slot). Read-ahead records are not checkpointed
 * before they are finished: a stopped poller's successor reads them again.
 *
 * The checkpoint (last sequence number of the shard whose records, and all before them, are finished)
 * lives in memory in a ShardPosition shared with the mapping: a stopped poller's successor resumes
 * from it. Records after the checkpoint may be delivered again (at least once, as on AWS). Records
 * come from a ShardRecordSource (./record-source.ts); records no filter matches are dropped before
 * batching. A closed shard's poller finishes its last records, marks the position finished and tells
 * the mapping (the hook resharding will use to start the children).
 */
import { createHash } from 'node:crypto';
import type { BatchRunner } from './batch-runner';
import type { KinesisMappingConfig } from './config';
import type { RecordFilter } from './filter';
import type { MappingMetrics } from './metrics';
import { MAX_GET_RECORDS, type ChildShard, type ShardRecordSource } from './record-source';
import { payloadBytes, type PolledRecord } from './records';

export interface ShardPosition {
  /** Last finished sequence number, if any. */
  checkpoint?: string;
  /** Set once the shard was closed and every record of it finished (what a reshard's children wait for). */
  finished?: boolean;
}

export interface ShardPollerDeps {
  readonly config: KinesisMappingConfig;
  readonly shardId: string;
  readonly streamName: string;
  readonly position: ShardPosition;
  /** Where the records come from (GetRecords polling today; SubscribeToShard with enhanced fan-out). */
  readonly source: ShardRecordSource;
  readonly filter: RecordFilter;
  readonly runner: BatchRunner;
  readonly metrics: MappingMetrics;
  readonly pollIntervalMs: number;
  /** Largest invoke payload (bytes); a batch is cut before a record that would exceed it. */
  readonly maxPayloadBytes: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly log: (line: string) => void;
  /** Called once the shard is closed and all its records are finished, with the children Kinesis named. */
  readonly onShardFinished?: (shardId: string, children: readonly ChildShard[]) => void;
}

export class ShardPoller {
  private running = false;
  private loop: Promise<void> | undefined;
  /** Read but not yet put in a batch (a 6 MB cut or a full batch left them over). */
  private carry: PolledRecord[] = [];
  /** Sequence numbers read, in shard order, until the checkpoint passes them. */
  private readonly outstanding: { readonly sequenceNumber: string; finished: boolean }[] = [];
  private unfinished = 0;
  /** Per slot: records waiting for the slot's next batch. */
  private readonly slotQueues: PolledRecord[][];
  /** Per slot: the batch in flight, if any. */
  private readonly inFlight: (Promise<void> | undefined)[];
  private batchFinished: (() => void) | undefined;
  /** Set when the source reported the shard's end: the children Kinesis named. */
  private closedWith: readonly ChildShard[] | undefined;

  constructor(private readonly deps: ShardPollerDeps) {
    const factor = deps.config.ParallelizationFactor;
    this.slotQueues = Array.from({ length: factor }, () => []);
    this.inFlight = Array.from({ length: factor }, () => undefined);
  }

  get busy(): boolean {
    return this.inFlight.some((b) => b !== undefined);
  }

  get shardId(): string {
    return this.deps.shardId;
  }

  /** Lets the source take its starting position now (see ShardRecordSource.prime). */
  async prime(): Promise<void> {
    await this.deps.source.prime?.();
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
    await Promise.all(this.inFlight);
    // Records read but not handed to a batch are read again from the checkpoint by the next poller.
    for (const queue of this.slotQueues) queue.length = 0;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const batch = await this.gather();
        if (batch.length > 0) {
          this.enqueue(batch);
          await this.untilReadAheadAllowed();
        }
        if (this.closedWith && this.carry.length === 0) {
          await this.untilIdle();
          this.finishClosedShard();
          return;
        }
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
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
        if (!this.deps.filter.matches(next)) {
          // Dropped before any batch, as Lambda drops what matches no filter; the checkpoint passes it.
          records.shift();
          this.outstanding.push({ sequenceNumber: next.sequenceNumber, finished: true });
          this.deps.metrics.eventCount('FilteredOutEventCount', 1);
          continue;
        }
        const size = payloadBytes(next);
        if (batch.length >= config.BatchSize || (batch.length > 0 && bytes + size > this.deps.maxPayloadBytes)) return true;
        batch.push(next);
        bytes += size;
        records.shift();
      }
      return batch.length >= config.BatchSize;
    };
    const full = take(this.carry);
    this.advanceCheckpoint();
    if (full) return batch;
    while (this.running && !this.closedWith) {
      let read;
      try {
        // The whole backlog the call can return, not one batch: what is left over waits in `carry`.
        read = await this.deps.source.read(MAX_GET_RECORDS);
      } catch (error) {
        // The records gathered so far were read past (the reader continues after them): hand them out
        // now, or a failing read (Kinesis unreachable) in the batching window would skip them for good.
        if (batch.length > 0) return batch;
        throw error;
      }
      if (read.kind === 'closed') {
        this.closedWith = read.childShards;
        return batch;
      }
      this.deps.metrics.eventCount('PolledEventCount', read.records.length);
      this.carry.push(...read.records);
      const isFull = take(this.carry);
      this.advanceCheckpoint();
      if (isFull) return batch;
      const remaining = windowEnds - this.deps.now();
      if (batch.length > 0 && remaining <= 0) return batch;
      await this.deps.sleep(batch.length > 0 ? Math.min(this.deps.pollIntervalMs, remaining) : this.deps.pollIntervalMs);
    }
    // Stopped while gathering: nothing was handed out, so the records will be read again from the checkpoint.
    return this.running ? batch : [];
  }

  /** Waits until no batch is in flight and nothing is queued (a closed shard's last records). */
  private async untilIdle(): Promise<void> {
    while (this.running && (this.unfinished > 0 || this.busy)) {
      await new Promise<void>((resolve) => {
        this.batchFinished = resolve;
      });
      this.batchFinished = undefined;
    }
  }

  private finishClosedShard(): void {
    if (!this.running) return;
    this.deps.position.finished = true;
    this.running = false;
    const children = this.closedWith ?? [];
    this.deps.log(`shard ${this.deps.shardId} of ${this.deps.streamName} is closed and finished${children.length > 0 ? ` (children: ${children.map((c) => c.shardId).join(', ')})` : ''}`);
    this.deps.onShardFinished?.(this.deps.shardId, children);
  }

  /** Queues the records on their key's slot and starts every idle slot that has records. */
  private enqueue(batch: PolledRecord[]): void {
    const factor = this.deps.config.ParallelizationFactor;
    for (const record of batch) {
      this.outstanding.push({ sequenceNumber: record.sequenceNumber, finished: false });
      this.unfinished += 1;
      (this.slotQueues[factor === 1 ? 0 : slotOf(record.partitionKey, factor)] as PolledRecord[]).push(record);
    }
    this.startIdleSlots();
  }

  /**
   * Each idle slot takes its queued records as its next batch (one batch per slot at a time): up to
   * BatchSize, cut before a record that would take the payload over the limit (records gathered while
   * the slot was busy may join into one batch, as on AWS).
   */
  private startIdleSlots(): void {
    if (!this.running) return;
    this.slotQueues.forEach((queue, slot) => {
      if (this.inFlight[slot] !== undefined || queue.length === 0) return;
      const batch = queue.splice(0, this.batchLength(queue));
      this.inFlight[slot] = (async () => {
        try {
          const finished = await this.deps.runner.run(batch);
          this.markFinished(batch.slice(0, finished));
        } catch (error) {
          this.deps.log(`batch on ${this.deps.shardId} failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        } finally {
          this.inFlight[slot] = undefined;
          this.startIdleSlots();
          this.batchFinished?.();
        }
      })();
    });
  }

  /**
   * Gathering goes on while fewer than BatchSize × (ParallelizationFactor + 1) records are unfinished:
   * with full batches, one in flight and the next one ready per slot; a slot stuck on a failing batch
   * lets the others go on until its records fill that budget. With factor 1, the next batch is gathered
   * during the current one only from records already read (a backlog): a caught-up shard is not polled
   * while its batch is in flight, as before.
   */
  private async untilReadAheadAllowed(): Promise<void> {
    const { BatchSize, ParallelizationFactor } = this.deps.config;
    const budget = BatchSize * (ParallelizationFactor + 1);
    while (this.running && (this.unfinished >= budget || (ParallelizationFactor === 1 && this.busy && this.carry.length === 0))) {
      await new Promise<void>((resolve) => {
        this.batchFinished = resolve;
      });
      this.batchFinished = undefined;
    }
  }

  /** How many of the queued records make the next batch: at most BatchSize and the payload limit, at least one. */
  private batchLength(queue: readonly PolledRecord[]): number {
    let bytes = 0;
    let count = 0;
    for (const record of queue) {
      const size = payloadBytes(record);
      if (count >= this.deps.config.BatchSize || (count > 0 && bytes + size > this.deps.maxPayloadBytes)) break;
      bytes += size;
      count += 1;
    }
    return count;
  }

  private markFinished(records: readonly PolledRecord[]): void {
    const done = new Set(records.map((r) => r.sequenceNumber));
    for (const entry of this.outstanding) {
      if (!entry.finished && done.has(entry.sequenceNumber)) {
        entry.finished = true;
        this.unfinished -= 1;
      }
    }
    this.advanceCheckpoint();
  }

  /** The checkpoint moves over every finished record at the head of the shard (delivered or filtered out). */
  private advanceCheckpoint(): void {
    while (this.outstanding[0]?.finished) {
      this.deps.position.checkpoint = (this.outstanding.shift() as { sequenceNumber: string }).sequenceNumber;
    }
  }
}

/** Kinesis maps a partition key to a shard by MD5; the same idea keeps one key on one slot. */
export function slotOf(partitionKey: string, slots: number): number {
  return createHash('md5').update(partitionKey).digest().readUInt32BE(0) % slots;
}
