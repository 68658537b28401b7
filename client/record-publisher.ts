/**
 * The engine under the producer: puts raw Kinesis records with PutRecords, batched, retried and in
 * order per partition key, in bounded memory.
 *
 * Ordering rule: a key has at most one record (or one aggregate of its records) in flight or waiting
 * for a retry. A later record of that key is not sent until the earlier one was accepted or given up
 * on, so neither a throttled record nor a partially failed call can reorder a key. Different keys are
 * independent: one call carries the head record of many keys, and several calls run concurrently.
 */
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { aggregatePrefix } from './aggregation';
import { createKinesisClient } from '../sdk/clients';
import { describeError, fullJitterDelayMs, isRetryableCallError, isRetryableRecordError, type BackoffOptions } from './backoff';
import { DeliveryError, ProducerClosedError, type DeliveryFailure } from './errors';

/** Kinesis PutRecords limits. */
export const MAX_RECORDS_PER_CALL = 500;
export const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;
/** The Kinesis Producer Library's default AggregationMaxSize. */
export const DEFAULT_AGGREGATE_MAX_BYTES = 51_200;

export type StreamTarget = { readonly streamName: string } | { readonly streamArn: string };

export interface PublisherOptions<T> {
  /** Where records go. */
  readonly stream: StreamTarget;
  /** Kinesis client. Default: one from the standard configuration chain (destroyed by close()). */
  readonly client?: KinesisClient;
  /** How long a partial batch waits for company before it is sent (ms). Default 20. */
  readonly lingerMs?: number;
  /** Records per PutRecords call (1–500). Default 500. */
  readonly maxRecordsPerCall?: number;
  /** Bytes (data + partition keys) per PutRecords call. Default 5 MiB, the Kinesis limit. */
  readonly maxBytesPerCall?: number;
  /** PutRecords calls in flight at once. Default 8. */
  readonly maxConcurrentCalls?: number;
  /** Records accepted but not yet delivered; beyond it put() waits (backpressure). Default 10,000. */
  readonly maxBufferedRecords?: number;
  /** Bytes accepted but not yet delivered; beyond it put() waits (backpressure). Default 32 MiB. */
  readonly maxBufferedBytes?: number;
  /** Sends of one record before it is reported failed. Default: no limit (`retryWindowMs` decides). */
  readonly maxAttempts?: number;
  /**
   * How long a record may stay unacknowledged, from put(), before a failed attempt gives it up (ms):
   * the outage the producer rides out in memory. Infinity: never give up on a retryable error.
   * Default 60,000 (a regional blip). Records of a key queued behind a failing one age too, so after a
   * long outage a key's whole backlog is given back at once, not one window per record.
   */
  readonly retryWindowMs?: number;
  /** Backoff between attempts (full jitter). Default 100 ms base, 5 s cap. */
  readonly backoff?: BackoffOptions;
  /**
   * KPL aggregation of consecutive records of one key marked `aggregatable`, up to `maxBytes` per
   * aggregate. Default off.
   */
  readonly aggregation?: { readonly maxBytes?: number } | false;
  /** Called once per record (or aggregate) given up on, besides flush() rejecting. */
  readonly onFailure?: (failure: DeliveryFailure<T>) => void;
}

export interface PutRecordInput<T> {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** What the caller wants back in outcomes and failure reports. */
  readonly item: T;
  /** May be packed with neighbours of the same key into a KPL aggregate. Default false. */
  readonly aggregatable?: boolean;
}

export type RecordOutcome =
  | { readonly ok: true; readonly shardId: string; readonly sequenceNumber: string; readonly attempts: number; /** Epoch ms of Kinesis' acknowledgement (the publisher always sets it). */ readonly acknowledgedAt?: number }
  | { readonly ok: false; readonly reason: string; readonly attempts: number };

/** Returned once a record is accepted into the buffer; `outcome` settles when Kinesis acknowledged it or it was given up on. It never rejects. */
export interface Delivery {
  readonly outcome: Promise<RecordOutcome>;
}

export interface PublisherStats {
  /** Records accepted by put(). */
  readonly enqueued: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly putRecordsCalls: number;
  /** Kinesis records written (an aggregate counts once). */
  readonly kinesisRecords: number;
  /** Record sends that failed and were retried (throttling, internal errors, failed calls). */
  readonly retries: number;
  /** Per-record ProvisionedThroughputExceededException responses. */
  readonly throttled: number;
  /** Records currently buffered (queued, in flight or waiting for a retry). */
  readonly buffered: number;
  /** Age of the oldest record put and not yet acknowledged or given up on (ms); 0 when there is none. */
  readonly oldestUnacknowledgedAgeMs: number;
}

interface Entry<T> {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly item: T;
  readonly aggregatable: boolean;
  readonly size: number;
  /** Epoch ms of put(): the retry window counts from here. */
  readonly putAt: number;
  settle(outcome: RecordOutcome): void;
}

/** What one key sends at a time, as one Kinesis record: one record put, or a KPL aggregate of consecutive records. */
interface OutgoingRecord<T> {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly size: number;
  readonly entries: Entry<T>[];
  attempts: number;
}

interface KeyState<T> {
  readonly queue: Entry<T>[];
  /** Formed and not yet acknowledged or given up on (in flight, waiting for a retry, or next to go). */
  current?: OutgoingRecord<T>;
  /** In flight or backing off: nothing else of this key may be sent. */
  busy: boolean;
}

interface AdmissionWaiter {
  readonly size: number;
  readonly admit: () => void;
}

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

export class RecordPublisher<T> {
  private readonly client: KinesisClient;
  private readonly ownsClient: boolean;
  private readonly lingerMs: number;
  private readonly maxRecordsPerCall: number;
  private readonly maxBytesPerCall: number;
  private readonly maxConcurrentCalls: number;
  private readonly maxBufferedRecords: number;
  private readonly maxBufferedBytes: number;
  private readonly maxAttempts: number;
  private readonly retryWindowMs: number;
  /** Every record put and not settled, oldest first (a Set keeps insertion order). */
  private readonly unsettled = new Set<Entry<T>>();
  private readonly aggregateMaxBytes: number | undefined;

  private readonly keys = new Map<string, KeyState<T>>();
  /** Keys whose next outgoing record may be sent now, oldest first. */
  private readonly ready = new Set<string>();
  private readySince: number | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private inFlightCalls = 0;
  private bufferedRecords = 0;
  private bufferedBytes = 0;
  private readonly admissionQueue: AdmissionWaiter[] = [];
  private idleWaiters: Array<() => void> = [];
  private flushing = 0;
  private closed = false;
  private unreported: DeliveryFailure<T>[] = [];
  private counters = { enqueued: 0, acknowledged: 0, failed: 0, putRecordsCalls: 0, kinesisRecords: 0, retries: 0, throttled: 0 };

  constructor(private readonly options: PublisherOptions<T>) {
    this.client = options.client ?? createKinesisClient();
    this.ownsClient = options.client === undefined;
    this.lingerMs = options.lingerMs ?? 20;
    this.maxRecordsPerCall = Math.min(options.maxRecordsPerCall ?? MAX_RECORDS_PER_CALL, MAX_RECORDS_PER_CALL);
    this.maxBytesPerCall = Math.min(options.maxBytesPerCall ?? MAX_BYTES_PER_CALL, MAX_BYTES_PER_CALL);
    this.maxConcurrentCalls = options.maxConcurrentCalls ?? 8;
    this.maxBufferedRecords = options.maxBufferedRecords ?? 10_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 32 * 1024 * 1024;
    this.maxAttempts = options.maxAttempts ?? Infinity;
    this.retryWindowMs = options.retryWindowMs ?? 60_000;
    this.aggregateMaxBytes = options.aggregation ? (options.aggregation.maxBytes ?? DEFAULT_AGGREGATE_MAX_BYTES) : undefined;
    if (this.maxRecordsPerCall < 1 || this.maxConcurrentCalls < 1 || this.maxBufferedRecords < 1 || !(this.maxAttempts >= 1)) {
      throw new RangeError('maxRecordsPerCall, maxConcurrentCalls, maxBufferedRecords and maxAttempts must be at least 1');
    }
    if (!(this.retryWindowMs >= 0)) throw new RangeError('retryWindowMs must be zero or more');
  }

  get stats(): PublisherStats {
    const oldest = this.unsettled.values().next();
    return { ...this.counters, buffered: this.bufferedRecords, oldestUnacknowledgedAgeMs: oldest.done ? 0 : Date.now() - oldest.value.putAt };
  }

  /**
   * Accepts a record for delivery. Waits while the buffer is full (backpressure). Records of one key
   * are delivered in the order put() was called, whether or not the caller awaited each call.
   */
  put(input: PutRecordInput<T>): Promise<Delivery> {
    if (this.closed) return Promise.reject(new ProducerClosedError());
    const size = input.data.byteLength + utf8Length(input.partitionKey);
    let settle!: (outcome: RecordOutcome) => void;
    const outcome = new Promise<RecordOutcome>((resolve) => (settle = resolve));
    const entry: Entry<T> = {
      partitionKey: input.partitionKey,
      data: input.data,
      item: input.item,
      aggregatable: input.aggregatable ?? false,
      size,
      putAt: Date.now(),
      settle: (result) => {
        this.unsettled.delete(entry);
        settle(result);
      },
    };
    this.unsettled.add(entry);
    // Decided synchronously, and a waiting record is enqueued the moment it is admitted, so that
    // enqueue order is call order: that is what keeps per-key order.
    if (this.admissionQueue.length === 0 && this.hasRoomFor(size)) {
      this.reserve(size);
      this.enqueue(entry);
      return Promise.resolve({ outcome });
    }
    return new Promise<Delivery>((resolve) =>
      this.admissionQueue.push({
        size,
        admit: () => {
          this.enqueue(entry);
          resolve({ outcome });
        },
      }),
    );
  }

  /**
   * Sends everything buffered without waiting for the linger, and resolves when every record was
   * acknowledged or given up on. Rejects with a DeliveryError listing what was given up on since the
   * previous flush.
   */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      this.schedule();
      await this.whenIdle();
    } finally {
      this.flushing--;
    }
    const failures = this.unreported;
    this.unreported = [];
    if (failures.length > 0) throw new DeliveryError(failures);
  }

  /** Refuses new records, flushes, and releases the client if this publisher created it. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.flush();
    } finally {
      if (this.ownsClient) this.client.destroy();
    }
  }

  private hasRoomFor(size: number): boolean {
    if (this.bufferedRecords === 0) return true; // a single record always fits, whatever its size
    return this.bufferedRecords < this.maxBufferedRecords && this.bufferedBytes + size <= this.maxBufferedBytes;
  }

  private reserve(size: number): void {
    this.bufferedRecords++;
    this.bufferedBytes += size;
  }

  private release(entries: readonly Entry<T>[]): void {
    for (const entry of entries) {
      this.bufferedRecords--;
      this.bufferedBytes -= entry.size;
    }
    while (this.admissionQueue.length > 0 && this.hasRoomFor(this.admissionQueue[0]!.size)) {
      const waiter = this.admissionQueue.shift()!;
      this.reserve(waiter.size);
      waiter.admit();
    }
    if (this.bufferedRecords === 0 && this.admissionQueue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((resolve) => resolve());
    }
  }

  private whenIdle(): Promise<void> {
    if (this.bufferedRecords === 0 && this.admissionQueue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(entry: Entry<T>): void {
    this.counters.enqueued++;
    let state = this.keys.get(entry.partitionKey);
    if (!state) {
      state = { queue: [], busy: false };
      this.keys.set(entry.partitionKey, state);
    }
    state.queue.push(entry);
    if (!state.busy) this.markReady(entry.partitionKey);
    this.schedule();
  }

  private markReady(partitionKey: string): void {
    this.ready.add(partitionKey);
    this.readySince ??= Date.now();
  }

  /** Starts as many calls as allowed once the linger has passed (or at once when flushing or full). */
  private schedule(): void {
    while (this.ready.size > 0 && this.inFlightCalls < this.maxConcurrentCalls) {
      const waited = Date.now() - (this.readySince ?? Date.now());
      const urgent = this.flushing > 0 || this.closed || this.ready.size >= this.maxRecordsPerCall;
      if (!urgent && waited < this.lingerMs) {
        this.lingerTimer ??= setTimeout(() => {
          this.lingerTimer = undefined;
          this.schedule();
        }, this.lingerMs - waited);
        return;
      }
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      void this.sendBatch(batch);
    }
  }

  private takeBatch(): OutgoingRecord<T>[] {
    const batch: OutgoingRecord<T>[] = [];
    let bytes = 0;
    for (const partitionKey of this.ready) {
      if (batch.length >= this.maxRecordsPerCall) break;
      const state = this.keys.get(partitionKey)!;
      state.current ??= this.formRecord(partitionKey, state);
      const outgoing = state.current;
      if (batch.length > 0 && bytes + outgoing.size > this.maxBytesPerCall) break;
      bytes += outgoing.size;
      batch.push(outgoing);
      state.busy = true;
      this.ready.delete(partitionKey);
    }
    if (this.ready.size === 0) this.readySince = undefined;
    return batch;
  }

  private formRecord(partitionKey: string, state: KeyState<T>): OutgoingRecord<T> {
    const head = state.queue[0]!;
    if (this.aggregateMaxBytes !== undefined && head.aggregatable && state.queue.length > 1) {
      const candidates: Entry<T>[] = [];
      for (const entry of state.queue) {
        if (!entry.aggregatable) break;
        candidates.push(entry);
      }
      const aggregate = aggregatePrefix(
        partitionKey,
        candidates.map((e) => e.data),
        this.aggregateMaxBytes,
      );
      if (aggregate) {
        const entries = state.queue.splice(0, aggregate.count);
        return { partitionKey, data: aggregate.data, size: aggregate.data.byteLength + utf8Length(partitionKey), entries, attempts: 0 };
      }
    }
    state.queue.shift();
    return { partitionKey, data: head.data, size: head.size, entries: [head], attempts: 0 };
  }

  private async sendBatch(batch: OutgoingRecord<T>[]): Promise<void> {
    this.inFlightCalls++;
    this.counters.putRecordsCalls++;
    const target = 'streamName' in this.options.stream ? { StreamName: this.options.stream.streamName } : { StreamARN: this.options.stream.streamArn };
    const records: PutRecordsRequestEntry[] = batch.map((outgoing) => ({ PartitionKey: outgoing.partitionKey, Data: outgoing.data }));
    try {
      const response = await this.client.send(new PutRecordsCommand({ ...target, Records: records }));
      batch.forEach((outgoing, i) => {
        const result = response.Records?.[i];
        if (result?.SequenceNumber && result.ShardId && !result.ErrorCode) {
          this.acknowledge(outgoing, result.ShardId, result.SequenceNumber);
        } else {
          const code = result?.ErrorCode ?? 'MissingResult';
          if (code === 'ProvisionedThroughputExceededException') this.counters.throttled++;
          const retryable = result === undefined || isRetryableRecordError(code);
          this.retryOrFail(outgoing, result?.ErrorMessage ? `${code}: ${result.ErrorMessage}` : code, retryable);
        }
      });
    } catch (error) {
      const retryable = isRetryableCallError(error);
      for (const outgoing of batch) this.retryOrFail(outgoing, describeError(error), retryable);
    } finally {
      this.inFlightCalls--;
      this.schedule();
    }
  }

  private acknowledge(outgoing: OutgoingRecord<T>, shardId: string, sequenceNumber: string): void {
    outgoing.attempts++;
    this.counters.kinesisRecords++;
    this.counters.acknowledged += outgoing.entries.length;
    const acknowledgedAt = Date.now();
    for (const entry of outgoing.entries) entry.settle({ ok: true, shardId, sequenceNumber, attempts: outgoing.attempts, acknowledgedAt });
    this.finishRecord(outgoing);
  }

  private retryOrFail(outgoing: OutgoingRecord<T>, reason: string, retryable: boolean): void {
    outgoing.attempts++;
    const delay = fullJitterDelayMs(outgoing.attempts, this.options.backoff);
    const oldestPutAt = Math.min(...outgoing.entries.map((e) => e.putAt));
    const withinWindow = Date.now() + delay - oldestPutAt <= this.retryWindowMs;
    if (retryable && outgoing.attempts < this.maxAttempts && withinWindow) {
      this.counters.retries += outgoing.entries.length;
      setTimeout(() => {
        this.keys.get(outgoing.partitionKey)!.busy = false;
        this.markReady(outgoing.partitionKey);
        this.schedule();
      }, delay);
      return;
    }
    const failure: DeliveryFailure<T> = {
      partitionKey: outgoing.partitionKey,
      reason: retryable
        ? `gave up after ${outgoing.attempts} attempts${withinWindow ? '' : ` and ${((Date.now() - oldestPutAt) / 1000).toFixed(1)} s (retry window ${this.retryWindowMs / 1000} s)`}: ${reason}`
        : reason,
      attempts: outgoing.attempts,
      items: outgoing.entries.map((e) => e.item),
    };
    this.counters.failed += outgoing.entries.length;
    for (const entry of outgoing.entries) entry.settle({ ok: false, reason: failure.reason, attempts: outgoing.attempts });
    this.unreported.push(failure);
    try {
      this.options.onFailure?.(failure);
    } catch {
      // A throwing callback must not stop delivery of other keys; the failure still reaches flush().
    }
    this.finishRecord(outgoing);
  }

  private finishRecord(outgoing: OutgoingRecord<T>): void {
    const state = this.keys.get(outgoing.partitionKey)!;
    state.current = undefined;
    state.busy = false;
    if (state.queue.length > 0) this.markReady(outgoing.partitionKey);
    else this.keys.delete(outgoing.partitionKey);
    this.release(outgoing.entries);
  }
}
