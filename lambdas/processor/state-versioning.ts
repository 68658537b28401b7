/**
 * The state-item versioning rule, for both engines: every state item carries `version` (0 = absent),
 * every write is conditioned on the version read and stores the next one, so two invocations that read
 * the same version cannot both write (optimistic concurrency; the loser retries).
 */
import type { StateItem } from '../actions/action';
import { StateTable } from '../shared/tables';
import type { Item, ItemSnapshot } from './dynamo';
import { marshalSafe } from './marshal-safe';

/** The item as the action sees it, from the batch's snapshot; undefined when absent. */
export function storedState(snapshot: ItemSnapshot, table: string | undefined, key: string): StateItem | undefined {
  if (!table) return undefined;
  const item = snapshot.get(table, key);
  if (!item) return undefined;
  return { ...item, pk: key, version: typeof item.version === 'number' ? item.version : 0 } as StateItem;
}

export interface VersionGuard {
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

/** The condition that the item is still at `version` (0: still absent). */
export function versionGuard(version: number): VersionGuard {
  return version === 0
    ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': StateTable.partitionKey } }
    : { ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': version } };
}

/** The item to put after `version`: the action's attributes (safe for the marshaller), the key, the next version. */
export function nextStateItem(key: string, attributes: Readonly<Record<string, unknown>>, version: number): Item {
  return { ...marshalSafe(attributes), [StateTable.partitionKey]: key, version: version + 1 };
}
