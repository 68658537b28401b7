/**
 * Batching chosen for the latency objective: how long a pipeline's mapping may gather records
 * (`eventSource.maxBatchingWindowSeconds`) and how many it may put in one invocation
 * (`eventSource.batchSize`), given its objective (`alarms.latencyObjectiveMs`, p99 event to action).
 *
 * The floor of one event's latency is delivery (polling about 1 s, enhanced fan-out about 70 ms) +
 * the batching window + the processing of a full batch. Half of the objective is left to what the floor
 * does not hold (a retried batch, a cold start, a batch waiting for the slot), so the floor may take the
 * other half; a full batch may take a tenth of it. The window is the largest whole second that keeps
 * the floor there (a longer window only saves invocations, never latency). The configuration reference
 * prints these figures per example pipeline (`bin/stack-docs.ts`), and test/plan holds the examples to them.
 */
import type { PipelineConfig } from '../config';
import { CONSUMER_MODES, plannedAs, processingTime } from './processor-figures';

/** Share of the objective the latency floor (delivery + window + a full batch) may take. */
export const FLOOR_SHARE_OF_OBJECTIVE = 0.5;
/** Share of the objective one full batch's processing may take. */
export const FULL_BATCH_SHARE_OF_OBJECTIVE = 0.1;
/** Lambda's largest Kinesis batch. */
const MAX_BATCH_SIZE = 10_000;

export interface BatchingBudget {
  readonly objectiveMs: number;
  /** Delivery of the pipeline's consumer mode (before any window). */
  readonly deliveryMs: number;
  readonly msPerRecord: number;
  /** The largest batch whose processing fits FULL_BATCH_SHARE_OF_OBJECTIVE of the objective. */
  readonly maxBatchSize: number;
  /** Processing of one full batch of the configured size. */
  readonly fullBatchMs: number;
  /** The largest whole-second window that keeps the floor within FLOOR_SHARE_OF_OBJECTIVE. */
  readonly maxWindowSeconds: number;
  /** Delivery + the configured window + a full batch. */
  readonly floorMs: number;
}

export function batchingBudget(pipeline: PipelineConfig): BatchingBudget {
  const objectiveMs = pipeline.alarms.latencyObjectiveMs;
  const deliveryMs = CONSUMER_MODES[pipeline.eventSource.consumer].deliveryMs;
  const { freshMsPerRecord: msPerRecord } = processingTime(plannedAs(pipeline));
  const maxBatchSize = Math.max(1, Math.min(MAX_BATCH_SIZE, Math.floor((objectiveMs * FULL_BATCH_SHARE_OF_OBJECTIVE) / msPerRecord)));
  const fullBatchMs = pipeline.eventSource.batchSize * msPerRecord;
  const maxWindowSeconds = Math.max(0, Math.floor((objectiveMs * FLOOR_SHARE_OF_OBJECTIVE - deliveryMs - fullBatchMs) / 1000));
  return {
    objectiveMs,
    deliveryMs,
    msPerRecord,
    maxBatchSize,
    fullBatchMs,
    maxWindowSeconds,
    floorMs: deliveryMs + pipeline.eventSource.maxBatchingWindowSeconds * 1000 + fullBatchMs,
  };
}
