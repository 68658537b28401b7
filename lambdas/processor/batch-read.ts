/**
 * The batch's one read: the idempotency keys of its open records and the state items they touch, in
 * one strongly consistent BatchGetItem round.
 *
 * A key DynamoDB could never hold (./storable.ts `keyProblem`) makes its record poison before the read,
 * because one such key fails the whole request. Should the store still refuse the read, it is split
 * until the refused record is alone; that record is poison and the rest is read. A read that fails for
 * any other reason fails every open record: nothing runs blind.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Action } from '../actions/action';
import { PoisonReason } from '../shared/dlq-message';
import { batchGet, ItemSnapshot, type DynamoUsage, type TableKey } from './dynamo';
import { describeError } from './errors';
import { isStoreRejection, storeRejectionMessage } from './failure-policy';
import { keyProblem } from './storable';
import { windowedStateKeys } from './windows/windowed-engine';
import { windowSpec } from './windows/window-math';
import type { WorkItem } from './work-item';

export interface ReadContext {
  readonly ddb: DynamoDBDocumentClient;
  readonly usage: DynamoUsage;
  readonly idempotencyTable: string;
  readonly stateTable: string | undefined;
}

/** The state items an event touches; an event the action cannot read has none (it fails again when it runs). */
function stateKeysOf(action: Action, item: WorkItem): readonly string[] {
  try {
    const event = item.actionEvent();
    if (action.kind === 'external') return action.stateKeys(event);
    if (action.kind === 'windowed') return windowedStateKeys(action, event, windowSpec(action.windows));
    const key = action.stateKey(event);
    return key === undefined ? [] : [key];
  } catch {
    return [];
  }
}

function unique(keys: readonly TableKey[]): TableKey[] {
  const seen = new Map<string, TableKey>();
  for (const key of keys) seen.set(`${key.table}\u0000${key.pk}`, key);
  return [...seen.values()];
}

/** The snapshot, or undefined when the store could not be read (every open record has failed then). */
export async function readBatch(items: readonly WorkItem[], action: Action, ctx: ReadContext): Promise<ItemSnapshot | undefined> {
  const keysByItem = new Map<WorkItem, TableKey[]>();
  for (const item of items) {
    if (!item.open || item.storageKey === undefined) continue;
    const stateKeys = stateKeysOf(action, item);
    const problem = stateKeys.map(keyProblem).find((p) => p !== undefined);
    if (problem) {
      item.markPoison({ reason: PoisonReason.StoreRejected, error: `state key cannot be stored: ${problem}` });
      continue;
    }
    const keys: TableKey[] = [{ table: ctx.idempotencyTable, pk: item.storageKey }];
    if (ctx.stateTable) for (const pk of stateKeys) keys.push({ table: ctx.stateTable, pk });
    keysByItem.set(item, keys);
  }
  const snapshot = new ItemSnapshot();
  /** Reads the keys of `part`; resolves to the error of a read that failed for a reason other than the keys. */
  const readPart = async (part: readonly WorkItem[]): Promise<unknown> => {
    if (part.length === 0) return undefined;
    try {
      snapshot.add(await batchGet(ctx.ddb, unique(part.flatMap((item) => keysByItem.get(item)!)), ctx.usage));
      return undefined;
    } catch (error) {
      if (!isStoreRejection(error)) return error;
      if (part.length === 1) {
        part[0]!.markPoison({ reason: PoisonReason.StoreRejected, error: `its keys cannot be read: ${storeRejectionMessage(error)}` });
        return undefined;
      }
      const half = Math.ceil(part.length / 2);
      return (await readPart(part.slice(0, half))) ?? (await readPart(part.slice(half)));
    }
  };
  const error = await readPart([...keysByItem.keys()]);
  if (error === undefined) return snapshot;
  const message = `idempotency store unavailable: ${describeError(error)}`;
  for (const item of items) if (item.open) item.fail(message);
  return undefined;
}
