/**
 * Records of one partition key in stream order, and the one rule that keeps a key's order through
 * failures: once a record fails, the key's later records are not attempted (they fail too, naming it),
 * and every record from the first failure on is reported, so the event source mapping redelivers the
 * key's tail in order.
 */
import { compareRecordOrder, compareSequenceNumbers } from './records';
import type { WorkItem } from './work-item';

export class KeyGroup {
  readonly items: readonly WorkItem[];

  constructor(
    readonly partitionKey: string,
    items: WorkItem[],
  ) {
    this.items = items.sort((a, b) => compareRecordOrder(a.record, b.record));
  }

  get firstFailure(): WorkItem | undefined {
    return this.items.find((item) => item.outcome === 'failed');
  }

  /** Fails every record after the first failed one that has no outcome yet. */
  stopAfterFirstFailure(): void {
    const first = this.firstFailure;
    if (!first) return;
    const because = `not attempted: an earlier record of partition key "${this.partitionKey}" (sequence number ${first.record.sequenceNumber}) failed`;
    for (const item of this.items.slice(this.items.indexOf(first) + 1)) {
      if (item.outcome === undefined) item.fail(because);
    }
  }
}

export function groupByPartitionKey(items: readonly WorkItem[]): KeyGroup[] {
  const groups = new Map<string, WorkItem[]>();
  for (const item of items) {
    const list = groups.get(item.record.partitionKey);
    if (list) list.push(item);
    else groups.set(item.record.partitionKey, [item]);
  }
  return [...groups].map(([partitionKey, list]) => new KeyGroup(partitionKey, list));
}

export function stopKeysAfterFailures(groups: readonly KeyGroup[]): void {
  for (const group of groups) group.stopAfterFirstFailure();
}

/**
 * Sequence numbers to report as batch item failures: every record from the first failure of its
 * partition key on (not attempted, or to be seen again in order).
 */
export function batchItemFailures(groups: readonly KeyGroup[]): string[] {
  const sequenceNumbers = new Set<string>();
  for (const group of groups) {
    const first = group.firstFailure;
    if (!first) continue;
    for (const item of group.items.slice(group.items.indexOf(first))) sequenceNumbers.add(item.record.sequenceNumber);
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
