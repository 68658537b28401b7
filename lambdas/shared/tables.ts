/**
 * Key schemas of the tables the stack creates and the processor uses. The CDK construct creates the
 * tables from these constants, the processor and the local target read them, so they cannot drift.
 * The idempotency item's key and status values are a contract too: whoever reads the table (the
 * `npm start` reconciliation, an operator) finds an event's key by `idempotencyStorageKey`.
 */
import { createHash } from 'node:crypto';

/** One item per idempotency key (CloudEvents source + id). */
export const IdempotencyTable = {
  partitionKey: 'pk',
  /** DynamoDB TTL attribute: epoch seconds after which the key is forgotten. */
  ttlAttribute: 'expiresAt',
} as const;

/** The `status` of an idempotency item. */
export const IdempotencyStatus = { Completed: 'COMPLETED', InProgress: 'IN_PROGRESS', DeadLettered: 'DEAD_LETTERED' } as const;

/**
 * The `outcome` of a COMPLETED key: its event's effect was made (`PROCESSED`), or it was older than the
 * stored state and kept out (`STALE`, the orders action's newest-wins rule). It lets a reader (the
 * `npm start` reconciliation, an operator) tell, event by event, whether an entity's events were applied
 * in the order they were put. Keys completed before it was recorded have none.
 */
export const IdempotencyOutcome = { Processed: 'PROCESSED', Stale: 'STALE' } as const;
export type IdempotencyOutcome = (typeof IdempotencyOutcome)[keyof typeof IdempotencyOutcome];

/** DynamoDB allows 2048 bytes of partition key; long source#id pairs are stored as their digest. */
const MAX_PLAIN_KEY_BYTES = 1024;

/** The idempotency item's `pk` for an event's idempotency key (`source#id`). */
export function idempotencyStorageKey(idempotencyKey: string): string {
  if (Buffer.byteLength(idempotencyKey, 'utf8') <= MAX_PLAIN_KEY_BYTES) return idempotencyKey;
  return `sha256:${createHash('sha256').update(idempotencyKey).digest('hex')}`;
}

/**
 * The pipeline's own state (orders: current order state, one item per order; telemetry: open
 * incidents, one item per device and metric). Only actions that keep state get this table.
 */
export const StateTable = {
  partitionKey: 'pk',
  /** TTL for items that should expire (telemetry incidents, window state and results); order state never sets it. */
  ttlAttribute: 'expiresAt',
  /**
   * Windowed pipelines only: a sparse global secondary index of what is due (open windows by the hour they
   * close in, pending alerts), so the scheduled closer queries what is due instead of scanning.
   */
  dueIndex: { name: 'due', partitionKey: 'dueBucket', sortKey: 'dueAt', projected: ['alert', 'attempts'] },
} as const;
