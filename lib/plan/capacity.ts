/**
 * Capacity of one pipeline under a load: shards, the parallelization factor and Lambda concurrency
 * that keep up with the peak, how the mean load falls into batches, and the latency floor.
 *
 * The rules (AWS's, as the fact sheet and the Kinesis and Lambda guides state them):
 * - a shard takes 1 MiB/s or 1,000 records/s of writes, and so does one partition key;
 * - an on-demand stream starts with 4 shards' worth (4 MiB/s) and keeps room for twice its peak;
 * - the event source mapping runs one batch per shard and parallelization slot at a time (1–10 slots);
 * - a batch holds up to BatchSize records and at most 6 MB of invoke payload.
 */
import type { PipelineConfig } from '../config';
import type { Load } from './load';
import { CONSUMER_MODES, plannedAs, processingTime } from './processor-figures';

export const MIB = 1024 * 1024;
export const SHARD_WRITE_BYTES_PER_SECOND = MIB;
export const SHARD_WRITE_RECORDS_PER_SECOND = 1000;
export const MAX_RECORD_BYTES = MIB;
export const MAX_PARALLELIZATION_FACTOR = 10;
export const ON_DEMAND_MIN_SHARDS = 4;
/** On-demand streams keep capacity for twice the peak of the last 30 days. */
export const ON_DEMAND_HEADROOM = 2;
/** A slot kept busier than this falls behind after any blip and never catches up: the plan keeps below it. */
export const TARGET_SLOT_UTILISATION = 0.8;
/** Synchronous invoke payload limit. */
export const INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Bytes of a Kinesis event record around its base64 data (eventID, ARNs, sequence number...). */
export const EVENT_RECORD_OVERHEAD_BYTES = 500;

export interface Capacity {
  readonly mode: PipelineConfig['stream']['mode'];
  /** Shards the plan runs on: provisioned, the larger of configured and needed; on-demand, AWS's estimated count. */
  readonly shards: number;
  /** Provisioned only: the configured shard count. */
  readonly configuredShards?: number;
  /** Shards the peak's writes alone need. */
  readonly shardsForWrites: number;
  readonly parallelizationFactor: { readonly configured: number; readonly needed: number };
  /** Concurrent executions that keep up: shards × the larger of the configured and the needed factor. */
  readonly concurrency: number;
  /** How busy each slot is at the peak with that factor (0–1 is keeping up). */
  readonly peakSlotUtilisation: number;
  /** Processing time of a new and of a duplicate record (ms), and where it comes from. */
  readonly processing: { readonly freshMsPerRecord: number; readonly duplicateMsPerRecord: number; readonly msPerRecord: number; readonly basis: string };
  /** At the mean load. */
  readonly meanBatch: { readonly records: number; readonly invocationsPerSecond: number; readonly durationMs: number };
  /** Largest batch the 6 MB payload allows with records of this size (never above BatchSize). */
  readonly maxBatchRecords: number;
  /** Consumer delivery + batching window + one mean batch. */
  readonly latencyFloorMs: number;
  readonly latencyObjectiveMs: number;
  /** The busiest partition key at the peak. */
  readonly hotKey: { readonly recordsPerSecond: number; readonly bytesPerSecond: number };
}

const ceil = (x: number): number => Math.ceil(x - 1e-9);

/** Shards the writes need: 1 MiB/s and 1,000 records/s each. */
export function shardsForWrites(eventsPerSecond: number, recordBytes: number): number {
  return Math.max(1, ceil(Math.max((eventsPerSecond * recordBytes) / SHARD_WRITE_BYTES_PER_SECOND, eventsPerSecond / SHARD_WRITE_RECORDS_PER_SECOND)));
}

/** Base64 data plus the event record around it. */
export function invokeBytesPerRecord(recordBytes: number): number {
  return 4 * Math.ceil(recordBytes / 3) + EVENT_RECORD_OVERHEAD_BYTES;
}

export function planCapacity(pipeline: PipelineConfig, load: Load): Capacity {
  const source = pipeline.eventSource;
  const time = processingTime(plannedAs(pipeline));
  // The mix the slots run: new and poison records at the new-record time, duplicates at theirs.
  const msPerRecord = (1 - load.duplicateFraction) * load.msPerRecord + load.duplicateFraction * time.duplicateMsPerRecord;
  const slotRecordsPerSecond = msPerRecord > 0 ? (1000 / msPerRecord) * TARGET_SLOT_UTILISATION : Infinity;

  const forWrites = shardsForWrites(load.peakEventsPerSecond, load.recordBytes);
  let shards: number;
  if (pipeline.stream.mode === 'PROVISIONED') {
    // Enough shards that the needed factor stays within 10 slots per shard.
    const forProcessing = Math.max(1, ceil(load.peakEventsPerSecond / (slotRecordsPerSecond * MAX_PARALLELIZATION_FACTOR)));
    shards = Math.max(pipeline.stream.shardCount ?? 1, forWrites, forProcessing);
  } else {
    shards = Math.max(ON_DEMAND_MIN_SHARDS, shardsForWrites(load.peakEventsPerSecond * ON_DEMAND_HEADROOM, load.recordBytes));
  }
  const perShardPeak = load.peakEventsPerSecond / shards;
  const needed = Math.max(1, ceil(perShardPeak / slotRecordsPerSecond));
  const factor = Math.max(source.parallelizationFactor, needed);
  const slots = shards * factor;

  // Mean load: a batch gathers for the window (at least one delivery interval), up to BatchSize and 6 MB.
  const consumer = CONSUMER_MODES[load.consumer];
  const maxBatchRecords = Math.max(1, Math.min(source.batchSize, Math.floor(INVOKE_PAYLOAD_BYTES / invokeBytesPerRecord(load.recordBytes))));
  const gatherSeconds = Math.max(source.maxBatchingWindowSeconds, consumer.deliveryMs / 1000);
  const perSlotMean = load.meanEventsPerSecond / slots;
  const batchRecords = perSlotMean === 0 ? 0 : Math.min(maxBatchRecords, Math.max(1, perSlotMean * gatherSeconds));
  const invocationsPerSecond = batchRecords === 0 ? 0 : (perSlotMean / batchRecords) * slots;
  const durationMs = batchRecords * msPerRecord;

  return {
    mode: pipeline.stream.mode,
    shards,
    ...(pipeline.stream.mode === 'PROVISIONED' ? { configuredShards: pipeline.stream.shardCount } : {}),
    shardsForWrites: forWrites,
    parallelizationFactor: { configured: source.parallelizationFactor, needed },
    concurrency: slots,
    peakSlotUtilisation: msPerRecord === 0 ? 0 : (perShardPeak / factor) * (msPerRecord / 1000),
    processing: { freshMsPerRecord: load.msPerRecord, duplicateMsPerRecord: time.duplicateMsPerRecord, msPerRecord, basis: load.msPerRecord === time.freshMsPerRecord ? time.basis : 'given by ms-per-record' },
    meanBatch: { records: batchRecords, invocationsPerSecond, durationMs },
    maxBatchRecords,
    latencyFloorMs: consumer.deliveryMs + source.maxBatchingWindowSeconds * 1000 + Math.max(durationMs, msPerRecord),
    latencyObjectiveMs: pipeline.alarms.latencyObjectiveMs,
    hotKey: { recordsPerSecond: load.peakEventsPerSecond * load.hotKeyShare, bytesPerSecond: load.peakEventsPerSecond * load.hotKeyShare * load.recordBytes },
  };
}
