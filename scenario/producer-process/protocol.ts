/**
 * The messages between the scenario (parent) and a producer child process (./child.ts) on the IPC
 * channel. Sends are numbered by the parent; an event a previous child left in the spool is reported by
 * its envelope id only (the new child never saw its number).
 */
import type { CloudEvent } from '../../lambdas/shared/envelope';
import type { ProducerMetrics, RecordOutcome, SpoolCorruption } from '../../client';
import type { BackoffOptions } from '../../client/backoff';
import type { FsyncPolicy } from '../../client/spool/spool';

/** How the child's producer is set up (passed as its one argument, JSON). */
export interface ChildProducerOptions {
  readonly streamName: string;
  readonly spoolDirectory: string;
  readonly fsync?: FsyncPolicy;
  readonly maxSpoolBytes?: number;
  readonly segmentBytes?: number;
  readonly lingerMs?: number;
  readonly backoff?: BackoffOptions;
  /** Epoch ms between metrics reports. Default 500. */
  readonly metricsEveryMs?: number;
}

export type ToChild =
  | { readonly type: 'send'; readonly n: number; readonly event: CloudEvent }
  | { readonly type: 'flush' }
  | { readonly type: 'close' };

export type FromChild =
  | { readonly type: 'ready'; readonly recovered: number; readonly corruption: readonly SpoolCorruption[] }
  /** send() resolved: the event is on the spool's disk. */
  | { readonly type: 'spooled'; readonly n: number }
  | { readonly type: 'rejected'; readonly n: number; readonly error: string }
  /** `n` for this child's own sends; `id` alone for an event recovered from the spool. */
  | { readonly type: 'outcome'; readonly n?: number; readonly id: string; readonly outcome: RecordOutcome }
  | { readonly type: 'metrics'; readonly metrics: ProducerMetrics }
  | { readonly type: 'flushed'; readonly error?: string }
  | { readonly type: 'closed'; readonly error?: string };
