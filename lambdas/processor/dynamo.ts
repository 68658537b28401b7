/**
 * Batched DynamoDB calls with their retry rules: BatchGetItem and BatchWriteItem retry what DynamoDB
 * left unprocessed (with backoff), TransactWriteItems reports cancellation reasons per item instead
 * of throwing. Every call asks for consumed capacity so each batch can log what it cost.
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';

const MAX_GET_KEYS = 100;
const MAX_WRITE_REQUESTS = 25;
export const MAX_TRANSACTION_ITEMS = 100;
const UNPROCESSED_RETRIES = 6;

/** What a batch cost in DynamoDB, for the summary log line. */
export class DynamoUsage {
  requests = 0;
  readCapacityUnits = 0;
  writeCapacityUnits = 0;

  record(consumed: ConsumedCapacity[] | undefined): void {
    this.requests += 1;
    for (const c of consumed ?? []) {
      this.readCapacityUnits += c.ReadCapacityUnits ?? 0;
      this.writeCapacityUnits += c.WriteCapacityUnits ?? 0;
    }
  }
}

export type Item = Record<string, unknown>;
export interface TableKey {
  readonly table: string;
  readonly pk: string;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const backoffMs = (attempt: number) => Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2);

/** Chunks an array into pieces of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function lookupKey(table: string, pk: string): string {
  return `${table}\u0000${pk}`;
}

/** Strongly consistent reads of many items over any tables; keys must be unique. */
export class ItemSnapshot {
  constructor(private readonly items: Map<string, Item> = new Map()) {}
  get(table: string, pk: string): Item | undefined {
    return this.items.get(lookupKey(table, pk));
  }
  /** Takes in the items of another read. */
  add(other: ItemSnapshot): void {
    for (const [key, item] of other.items) this.items.set(key, item);
  }
}

export async function batchGet(ddb: DynamoDBDocumentClient, keys: readonly TableKey[], usage: DynamoUsage): Promise<ItemSnapshot> {
  const found = new Map<string, Item>();
  await Promise.all(
    chunk(keys, MAX_GET_KEYS).map(async (part) => {
      let request: Record<string, { Keys: Item[]; ConsistentRead: true }> = {};
      for (const { table, pk } of part) {
        (request[table] ??= { Keys: [], ConsistentRead: true }).Keys.push({ pk });
      }
      for (let attempt = 0; Object.keys(request).length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) throw new Error('BatchGetItem left keys unprocessed after retries');
        if (attempt > 0) await sleep(backoffMs(attempt));
        const out = await ddb.send(new BatchGetCommand({ RequestItems: request, ReturnConsumedCapacity: 'TOTAL' }));
        usage.record(out.ConsumedCapacity);
        for (const [table, items] of Object.entries(out.Responses ?? {})) {
          for (const item of items) found.set(lookupKey(table, String(item.pk)), item);
        }
        request = {};
        for (const [table, unprocessed] of Object.entries(out.UnprocessedKeys ?? {})) {
          if (unprocessed.Keys?.length) request[table] = { Keys: unprocessed.Keys, ConsistentRead: true };
        }
      }
    }),
  );
  return new ItemSnapshot(found);
}

export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

/** Unconditional writes to one table, 25 per request, retrying what DynamoDB left unprocessed. */
export async function batchWrite(ddb: DynamoDBDocumentClient, table: string, requests: readonly WriteRequest[], usage: DynamoUsage): Promise<void> {
  await Promise.all(
    chunk(requests, MAX_WRITE_REQUESTS).map(async (part) => {
      let pending: WriteRequest[] = part;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) throw new Error('BatchWriteItem left items unprocessed after retries');
        if (attempt > 0) await sleep(backoffMs(attempt));
        const out = await ddb.send(new BatchWriteCommand({ RequestItems: { [table]: pending }, ReturnConsumedCapacity: 'TOTAL' }));
        usage.record(out.ConsumedCapacity);
        pending = (out.UnprocessedItems?.[table] ?? []) as WriteRequest[];
      }
    }),
  );
}

/** One conditional write of a transaction, in lib-dynamodb's native-JS form. */
export type TransactItem =
  | { Put: { TableName: string; Item: Item; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Item; ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' } }
  | { Delete: { TableName: string; Key: Item; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Item; ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' } }
  | { Update: { TableName: string; Key: Item; UpdateExpression: string; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Item; ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' } };

/** Why an item of a cancelled transaction failed: DynamoDB's code, and the item as it is (ALL_OLD). */
export interface CancellationReason {
  readonly code: string;
  /** Raw attribute values of the current item, when the condition check failed. */
  readonly currentStatus?: string;
}

export type TransactionResult = { readonly committed: true } | { readonly committed: false; readonly reasons: readonly CancellationReason[] };

/**
 * Commits up to 100 writes atomically. A cancelled transaction is a normal outcome (reasons per item,
 * aligned with `items`); anything else (throttling after SDK retries, network) throws.
 * The client request token makes an SDK retry of a transaction that did commit a no-op success.
 */
export async function transactWrite(ddb: DynamoDBDocumentClient, items: readonly TransactItem[], usage: DynamoUsage): Promise<TransactionResult> {
  try {
    const out = await ddb.send(
      new TransactWriteCommand({ TransactItems: [...items], ClientRequestToken: randomUUID(), ReturnConsumedCapacity: 'TOTAL' }),
    );
    usage.record(out.ConsumedCapacity);
    return { committed: true };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    usage.record(undefined);
    const reasons = (error.CancellationReasons ?? []).map((r) => ({
      code: r.Code ?? 'Unknown',
      ...(r.Item?.status?.S ? { currentStatus: r.Item.status.S } : {}),
    }));
    return { committed: false, reasons };
  }
}
