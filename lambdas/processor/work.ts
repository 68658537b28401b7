/**
 * The processor's bookkeeping for one batch: one WorkItem per user record, its outcome, and the
 * partition-key groups that fix the order in which records may be attempted.
 */
import type { CloudEvent } from '../shared/envelope';
import type { PoisonReason } from '../shared/dlq-message';
import { compareRecordOrder, compareSequenceNumbers, type DecodedRecord, type UserRecord } from './records';
import type { ActionEvent } from '../actions/action';

export type Outcome = 'processed' | 'stale' | 'duplicate' | 'poison' | 'failed';

export class WorkItem {
  outcome: Outcome | undefined;
  /** Why it failed or is poison (never the payload). */
  error: string | undefined;
  /** Poison waiting for the dead-letter queue. */
  poison: { reason: PoisonReason; error: string } | undefined;
  /** An earlier record of this batch with the same idempotency key. */
  duplicateOf: WorkItem | undefined;
  /** Epoch ms when the action's effect was done (committed). */
  doneAtMs: number | undefined;
  /** Idempotency key as stored (undefined for records that are not valid events). */
  readonly storageKey: string | undefined;

  constructor(
    readonly record: DecodedRecord,
    storageKey: string | undefined,
  ) {
    this.storageKey = storageKey;
  }

  get event(): CloudEvent | undefined {
    return this.record.ok ? this.record.event : undefined;
  }

  actionEvent(): ActionEvent {
    if (!this.record.ok) throw new Error('not a valid event');
    return { event: this.record.event, record: this.record as UserRecord };
  }

  /** Still waiting for the action (no final outcome, not poison waiting for the DLQ). */
  get open(): boolean {
    return this.outcome === undefined && this.poison === undefined;
  }

  fail(error: string): void {
    this.outcome = 'failed';
    this.error = error;
  }

  done(outcome: 'processed' | 'stale', atMs: number): void {
    this.outcome = outcome;
    this.doneAtMs = atMs;
  }
}

/** Records of one partition key, in stream order. */
export type KeyGroup = { readonly partitionKey: string; readonly items: WorkItem[] };

export function groupByPartitionKey(items: readonly WorkItem[]): KeyGroup[] {
  const groups = new Map<string, WorkItem[]>();
  for (const item of items) {
    const list = groups.get(item.record.partitionKey);
    if (list) list.push(item);
    else groups.set(item.record.partitionKey, [item]);
  }
  return [...groups].map(([partitionKey, list]) => ({ partitionKey, items: list.sort((a, b) => compareRecordOrder(a.record, b.record)) }));
}

/**
 * After a record fails, the later records of its partition key are not attempted: every open one
 * fails too, naming the record that stopped the key.
 */
export function stopAfter(group: KeyGroup, failed: WorkItem): void {
  const from = group.items.indexOf(failed);
  const because = `not attempted: an earlier record of partition key "${group.partitionKey}" (sequence number ${failed.record.sequenceNumber}) failed`;
  for (const item of group.items.slice(from + 1)) {
    if (item.open) item.fail(because);
    else if (item.poison) {
      item.poison = undefined;
      item.fail(because);
    }
  }
}

/** The first failed item of a group, if any. */
export function firstFailure(group: KeyGroup): WorkItem | undefined {
  return group.items.find((item) => item.outcome === 'failed');
}

/**
 * Sequence numbers to report as batch item failures: every failed record and every record after the
 * first failure of its partition key (they were not attempted, or must be seen again in order).
 */
export function batchItemFailures(groups: readonly KeyGroup[]): string[] {
  const sequenceNumbers = new Set<string>();
  for (const group of groups) {
    const first = group.items.findIndex((item) => item.outcome === 'failed');
    if (first < 0) continue;
    for (const item of group.items.slice(first)) sequenceNumbers.add(item.record.sequenceNumber);
  }
  return [...sequenceNumbers].sort(compareSequenceNumbers);
}

/** Runs `fn` over `items` with at most `limit` running at once. */
export async function forEachWithConcurrency<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
