/**
 * The idempotency item: one per CloudEvents source + id, in the pipeline's idempotency table.
 *
 *   pk              the idempotency key (source#id; a SHA-256 digest when too long for a key)
 *   status          COMPLETED, or IN_PROGRESS while an external action runs
 *   leaseExpiresAt  IN_PROGRESS only: epoch ms after which another invocation may take the claim over
 *   claimedBy       IN_PROGRESS only: the stream position of the record that made the claim
 *   expiresAt       epoch seconds; DynamoDB TTL forgets the key after it (≥ stream retention)
 *
 * A claim whose `claimedBy` is the record being processed was made by an earlier delivery of that very
 * record, and that invocation has ended: the event source mapping never gives one record to two
 * invocations at once. Such a claim is taken over at once; the lease holds only against a different
 * record with the same key (a replay, a producer duplicate on another shard).
 *
 * The same table holds one dead-letter marker per poison record (`dead-letter:<position>`, status
 * DEAD_LETTERED), written once the record is on the DLQ, so a redelivered batch never dead-letters it
 * again. Marker keys contain no `#`, so they cannot meet an event's `source#id` key.
 *
 * Items stay far below 1 KB, so each transactional put costs 2 WCU and each plain put 1 WCU.
 */
import { IdempotencyOutcome, IdempotencyStatus, IdempotencyTable } from '../shared/tables';
import type { Item, TransactItem } from './dynamo';

export type KeyState = 'absent' | 'completed' | 'claimed' | 'dead-lettered';

/**
 * Reading side of the same rule the write conditions enforce (see `claimCondition`), for the record at
 * `position` (a claim it made itself in an earlier delivery is free for it).
 */
export function keyStateOf(item: Item | undefined, nowMs: number, position: string): KeyState {
  if (!item) return 'absent';
  if (typeof item.expiresAt === 'number' && item.expiresAt * 1000 <= nowMs) return 'absent';
  if (item.status === IdempotencyStatus.Completed) return 'completed';
  // An external action's poison: this record is on the DLQ (its action must not run again); another record
  // with the key (a replay after a fix) is free.
  if (item.status === IdempotencyStatus.DeadLettered) return item.deadLetterPosition === position ? 'dead-lettered' : 'absent';
  if (item.claimedBy === position) return 'absent';
  if (typeof item.leaseExpiresAt === 'number' && item.leaseExpiresAt > nowMs) return 'claimed';
  return 'absent';
}

/** The key is free: never seen, forgotten (TTL passed, not yet deleted), or a claim whose lease ran out or that this record made. */
const claimCondition =
  'attribute_not_exists(#pk) OR #expiresAt <= :nowSec OR (#status = :inProgress AND (#leaseExpiresAt <= :nowMs OR #claimedBy = :position)) OR (#status = :deadLettered AND #deadLetterPosition <> :position)';

export interface IdempotencyWrites {
  readonly table: string;
  readonly ttlSeconds: number;
  readonly leaseSeconds: number;
}

function conditionalPut(writes: IdempotencyWrites, item: Item, nowMs: number, position: string): TransactItem {
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
        '#claimedBy': 'claimedBy',
        '#deadLetterPosition': 'deadLetterPosition',
      },
      ExpressionAttributeValues: { ':nowSec': Math.floor(nowMs / 1000), ':nowMs': nowMs, ':inProgress': IdempotencyStatus.InProgress, ':deadLettered': IdempotencyStatus.DeadLettered, ':position': position },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

const expiresAt = (writes: IdempotencyWrites, nowMs: number) => Math.floor(nowMs / 1000) + writes.ttlSeconds;

/** The record's outcome as the key keeps it (IdempotencyOutcome), or none when it is not known. */
export function outcomeAttribute(outcome: 'processed' | 'stale' | undefined): Item {
  if (outcome === undefined) return {};
  return { outcome: outcome === 'stale' ? IdempotencyOutcome.Stale : IdempotencyOutcome.Processed };
}

export function completedItem(writes: IdempotencyWrites, key: string, nowMs: number, outcome?: 'processed' | 'stale'): Item {
  return { [IdempotencyTable.partitionKey]: key, status: IdempotencyStatus.Completed, [IdempotencyTable.ttlAttribute]: expiresAt(writes, nowMs), ...outcomeAttribute(outcome) };
}

/**
 * Transactional and windowed actions: the key is written COMPLETED together with the effect, if still
 * free for the record at `position`. `deadLetter` marks an event whose effect is committed but which
 * must also reach the DLQ (a too-late event: counted as too late, recorded with its bytes): a
 * redelivery of it is dead-lettered again (once, by position) instead of skipped as a duplicate.
 */
export function completeInTransaction(
  writes: IdempotencyWrites,
  key: string,
  nowMs: number,
  position: string,
  deadLetter?: { reason: string; error: string },
  outcome?: 'processed' | 'stale',
): TransactItem {
  const item = completedItem(writes, key, nowMs, outcome);
  return conditionalPut(writes, deadLetter ? { ...item, deadLetterReason: deadLetter.reason, deadLetterError: deadLetter.error.slice(0, 1000) } : item, nowMs, position);
}

/** External action: the key is claimed IN_PROGRESS with a lease by the record at `position`, if still free for it. */
export function claimInTransaction(writes: IdempotencyWrites, key: string, nowMs: number, position: string): TransactItem {
  return conditionalPut(
    writes,
    {
      [IdempotencyTable.partitionKey]: key,
      status: IdempotencyStatus.InProgress,
      leaseExpiresAt: nowMs + writes.leaseSeconds * 1000,
      claimedBy: position,
      [IdempotencyTable.ttlAttribute]: expiresAt(writes, nowMs),
    },
    nowMs,
    position,
  );
}

/**
 * External actions: the key of an event the action found poison, once its claim ends: the record at
 * `position` is dead-lettered and a redelivery of it does not run the action again (its effect may have
 * happened in part); a different record with the key (a replay after a fix) runs.
 */
export function deadLetteredKeyItem(writes: IdempotencyWrites, key: string, nowMs: number, position: string, poison: { reason: string; error: string }): Item {
  return {
    [IdempotencyTable.partitionKey]: key,
    status: IdempotencyStatus.DeadLettered,
    deadLetterPosition: position,
    deadLetterReason: poison.reason,
    deadLetterError: poison.error.slice(0, 1000),
    [IdempotencyTable.ttlAttribute]: expiresAt(writes, nowMs),
  };
}

/** Key of the dead-letter marker of the record at `position` (see ./records.ts `recordPosition`). */
export function deadLetterMarkerKey(position: string): string {
  return `dead-letter:${position}`;
}

/** The marker that says the record at `position` is on the DLQ; kept as long as idempotency keys (≥ retention). */
export function deadLetterMarker(writes: IdempotencyWrites, position: string, reason: string, nowMs: number): Item {
  return { [IdempotencyTable.partitionKey]: deadLetterMarkerKey(position), status: IdempotencyStatus.DeadLettered, reason, [IdempotencyTable.ttlAttribute]: expiresAt(writes, nowMs) };
}
