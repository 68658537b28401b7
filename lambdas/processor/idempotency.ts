/**
 * The idempotency item: one per CloudEvents source + id, in the pipeline's idempotency table.
 *
 *   pk              the idempotency key (source#id; a SHA-256 digest when too long for a key)
 *   status          COMPLETED, or IN_PROGRESS while an external action runs
 *   leaseExpiresAt  IN_PROGRESS only: epoch ms after which another invocation may take the claim over
 *   expiresAt       epoch seconds; DynamoDB TTL forgets the key after it (≥ stream retention)
 *
 * Items stay far below 1 KB, so each transactional put costs 2 WCU and each plain put 1 WCU.
 */
import { createHash } from 'node:crypto';
import { IdempotencyTable } from '../shared/tables';
import type { Item, TransactItem } from './dynamo';

export const Status = { Completed: 'COMPLETED', InProgress: 'IN_PROGRESS' } as const;

/** DynamoDB allows 2048 bytes of partition key; long source#id pairs are stored as their digest. */
const MAX_PLAIN_KEY_BYTES = 1024;

export function storageKey(idempotencyKey: string): string {
  if (Buffer.byteLength(idempotencyKey, 'utf8') <= MAX_PLAIN_KEY_BYTES) return idempotencyKey;
  return `sha256:${createHash('sha256').update(idempotencyKey).digest('hex')}`;
}

export type KeyState = 'absent' | 'completed' | 'claimed';

/** Reading side of the same rule the write conditions enforce (see `claimCondition`). */
export function keyStateOf(item: Item | undefined, nowMs: number): KeyState {
  if (!item) return 'absent';
  if (typeof item.expiresAt === 'number' && item.expiresAt * 1000 <= nowMs) return 'absent';
  if (item.status === Status.Completed) return 'completed';
  if (typeof item.leaseExpiresAt === 'number' && item.leaseExpiresAt > nowMs) return 'claimed';
  return 'absent';
}

/** The key is free: never seen, forgotten (TTL passed, not yet deleted), or a claim whose lease ran out. */
const claimCondition =
  'attribute_not_exists(#pk) OR #expiresAt <= :nowSec OR (#status = :inProgress AND #leaseExpiresAt <= :nowMs)';

export interface IdempotencyWrites {
  readonly table: string;
  readonly ttlSeconds: number;
  readonly leaseSeconds: number;
}

function conditionalPut(writes: IdempotencyWrites, item: Item, nowMs: number): TransactItem {
  return {
    Put: {
      TableName: writes.table,
      Item: item,
      ConditionExpression: claimCondition,
      ExpressionAttributeNames: {
        '#pk': IdempotencyTable.partitionKey,
        '#expiresAt': IdempotencyTable.ttlAttribute,
        '#status': 'status',
        '#leaseExpiresAt': 'leaseExpiresAt',
      },
      ExpressionAttributeValues: { ':nowSec': Math.floor(nowMs / 1000), ':nowMs': nowMs, ':inProgress': Status.InProgress },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

export function completedItem(writes: IdempotencyWrites, key: string, nowMs: number): Item {
  return {
    [IdempotencyTable.partitionKey]: key,
    status: Status.Completed,
    [IdempotencyTable.ttlAttribute]: Math.floor(nowMs / 1000) + writes.ttlSeconds,
  };
}

/** Transactional action: the key is written COMPLETED together with the effect, if still free. */
export function completeInTransaction(writes: IdempotencyWrites, key: string, nowMs: number): TransactItem {
  return conditionalPut(writes, completedItem(writes, key, nowMs), nowMs);
}

/** External action: the key is claimed IN_PROGRESS with a lease, if still free. */
export function claimInTransaction(writes: IdempotencyWrites, key: string, nowMs: number): TransactItem {
  return conditionalPut(
    writes,
    {
      [IdempotencyTable.partitionKey]: key,
      status: Status.InProgress,
      leaseExpiresAt: nowMs + writes.leaseSeconds * 1000,
      [IdempotencyTable.ttlAttribute]: Math.floor(nowMs / 1000) + writes.ttlSeconds,
    },
    nowMs,
  );
}
