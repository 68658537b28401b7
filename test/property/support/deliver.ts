/**
 * Delivers batches to the processor as one sequential event source mapping does: each batch once,
 * then (when it reports batch item failures or throws) again from the lowest failed sequence number
 * until the retries run out, then the redeliveries the scenario asks for (the whole batch again, or
 * its tail), as at-least-once delivery allows.
 */
import type { KinesisStreamBatchResponse, KinesisStreamRecord } from 'aws-lambda';
import { ProcessorMetric } from '../../../lambdas/shared/metrics-contract';
import { kinesisEvent, lambdaContext } from '../../processor/support/events';
import type { TestPipeline } from '../../processor/support/pipeline';
import type { SentBatch } from './materialize';

/** Counts from the processor's EMF documents of one invocation. */
export interface InvocationCounts {
  readonly processed: number;
  readonly stale: number;
  readonly duplicate: number;
  readonly poison: number;
  readonly failed: number;
}

export interface Invocation {
  readonly batch: number;
  /** `first`, `retry 2`, `redelivery full`, `redelivery tail from 3`. */
  readonly why: string;
  readonly records: number;
  readonly response?: KinesisStreamBatchResponse;
  /** The invocation threw (a function error). */
  readonly error?: string;
  readonly counts: InvocationCounts;
}

/** What the mapping does when retries run out: give the rest of the batch up (an on-failure record). */
export interface GiveUp {
  readonly batch: number;
  readonly fromSequenceNumber: string;
}

export interface Delivery {
  readonly invocations: readonly Invocation[];
  readonly giveUps: readonly GiveUp[];
}

type Handler = ReturnType<TestPipeline['processor']>;

/** Kinesis sequence numbers are decimal strings of up to 128 bits. */
export const compareSequenceNumbers = (a: string, b: string): number => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

/** The stack's retry count for the orders mapping (lib/config default): 1 + 5 invocations per failing batch. */
export const MAX_RETRY_ATTEMPTS = 5;

export function countsOf(lines: readonly string[]): InvocationCounts {
  const sum = (name: string) => lines.reduce((n, line) => n + (Number((JSON.parse(line) as Record<string, unknown>)[name]) || 0), 0);
  return {
    processed: sum(ProcessorMetric.EventsProcessed),
    stale: sum(ProcessorMetric.EventsStale),
    duplicate: sum(ProcessorMetric.EventsDuplicate),
    poison: sum(ProcessorMetric.EventsPoison),
    failed: sum(ProcessorMetric.EventsFailed),
  };
}

/** `handler` must write its EMF lines to `metricLines`. */
export async function deliver(handler: Handler, metricLines: string[], batches: readonly SentBatch[]): Promise<Delivery> {
  const invocations: Invocation[] = [];
  const giveUps: GiveUp[] = [];

  const invoke = async (batch: number, why: string, records: readonly KinesisStreamRecord[]): Promise<string | undefined> => {
    metricLines.length = 0;
    let response: KinesisStreamBatchResponse | undefined;
    let error: string | undefined;
    try {
      response = (await handler(kinesisEvent(records), lambdaContext())) ?? { batchItemFailures: [] };
    } catch (thrown) {
      error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    }
    invocations.push({ batch, why, records: records.length, ...(response ? { response } : {}), ...(error ? { error } : {}), counts: countsOf(metricLines) });
    if (error) return records[0]?.kinesis.sequenceNumber;
    const failed = response!.batchItemFailures.map((f) => f.itemIdentifier).sort(compareSequenceNumbers);
    return failed[0];
  };

  /** One delivery and the mapping's retries of it, from the lowest failed sequence number on. */
  const withRetries = async (batch: number, why: string, records: readonly KinesisStreamRecord[]): Promise<void> => {
    let from = await invoke(batch, why, records);
    for (let attempt = 1; from !== undefined; attempt++) {
      const tail = records.filter((r) => compareSequenceNumbers(r.kinesis.sequenceNumber, from!) >= 0);
      if (attempt > MAX_RETRY_ATTEMPTS || tail.length === 0) {
        giveUps.push({ batch, fromSequenceNumber: from });
        return;
      }
      from = await invoke(batch, `retry ${attempt} after ${why}`, tail);
    }
  };

  for (const [b, batch] of batches.entries()) {
    await withRetries(b, 'first', batch.records);
    for (const redelivery of batch.redeliveries) {
      if (redelivery.kind === 'full') await withRetries(b, 'redelivery of the whole batch', batch.records);
      else await withRetries(b, `redelivery from record ${redelivery.from}`, batch.records.slice(redelivery.from));
    }
  }
  return { invocations, giveUps };
}
