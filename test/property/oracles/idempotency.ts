/**
 * Every applied event's idempotency item (`source#id`, stored as its digest when too long for a key:
 * the table's documented layout) is COMPLETED.
 */
import { idempotencyStorageKey as storageKey } from '../../../lambdas/shared/tables';
import type { SentUser } from '../support/materialize';
import { readItems } from '../support/observe';
import { where } from './delivery';

export async function judgeIdempotency(table: string, applied: readonly SentUser[]): Promise<string[]> {
  const keys = new Map(applied.map((user) => [storageKey(user.event!.key), user]));
  const items = await readItems(table, keys.keys());
  const violations: string[] = [];
  for (const [key, user] of keys) {
    const read = items.get(key)!;
    if ('error' in read) violations.push(`${where(user)}: its idempotency item cannot be read (${read.error.slice(0, 160)}), yet it was not dead-lettered`);
    else if (!read.item) violations.push(`${where(user)}: not applied (no idempotency item) and not dead-lettered`);
    else if (read.item.status !== 'COMPLETED') violations.push(`${where(user)}: idempotency item is ${String(read.item.status)}, not COMPLETED`);
  }
  return violations;
}
