/** What a workload hands the scheduler: events to put, each at a time, some deliberately odd. */
import type { CloudEvent } from '../../lambdas/shared/envelope';

/**
 * Producer behaviours the scenario injects:
 *  - `duplicate`: the same event (same source and id) put again, as a producer retry would;
 *  - `out-of-order`: put right after a newer event of the same key;
 *  - `late`: put seconds after newer events of the same key were put.
 */
export type Injection = 'duplicate' | 'out-of-order' | 'late';

export interface PlannedSend {
  /** Real milliseconds from the start of the load at which to put it. */
  readonly atMs: number;
  readonly event: CloudEvent;
  readonly injected?: Injection;
}

export interface InjectionRates {
  readonly duplicate: number;
  readonly outOfOrder: number;
  readonly late: number;
}

export interface Workload {
  readonly pipeline: string;
  /** Creates `count` new events at `nowMs` (plus their injected companions, possibly due later). */
  create(nowMs: number, count: number): PlannedSend[];
}

/**
 * How late a `late` event is put after its own time (real ms). Its event-to-action latency is this plus
 * the pipeline's own delay (~1–2 s: poll and batching window), which must stay inside the smallest
 * latency objective (telemetry's 3 s), or late events alone would fire the latency alarm.
 */
export const LATE_BY_MS = 1000;
/** How long after the original a producer duplicate is put (real ms, upper bound). */
export const DUPLICATE_WITHIN_MS = 2000;

/** Numbers a pipeline's events and stamps them with the run's source, so every reader can find the run's keys. */
export function eventFactory(pipeline: string, runId: string) {
  const source = `/stream-pipeline/scenario/${runId}/${pipeline}`;
  let count = 0;
  return <TData>(type: string, subject: string, timeMs: number, data: TData): CloudEvent<TData> => ({
    specversion: '1.0',
    id: `${runId}-${pipeline}-${String(++count).padStart(7, '0')}`,
    source,
    type,
    subject,
    time: new Date(timeMs).toISOString(),
    datacontenttype: 'application/json',
    data,
  });
}
