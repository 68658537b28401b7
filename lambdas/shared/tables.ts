/**
 * Key schemas of the tables the stack creates and the processor uses. The CDK construct creates the
 * tables from these constants, the processor and the local target read them, so they cannot drift.
 */

/** One item per idempotency key (CloudEvents source + id). */
export const IdempotencyTable = {
  partitionKey: 'pk',
  /** DynamoDB TTL attribute: epoch seconds after which the key is forgotten. */
  ttlAttribute: 'expiresAt',
} as const;

/**
 * The pipeline's own state (orders: current order state, one item per order; telemetry: open
 * incidents, one item per device and metric). Only actions that keep state get this table.
 */
export const StateTable = {
  partitionKey: 'pk',
  /** TTL for items that should expire (telemetry incidents); order state never sets it. */
  ttlAttribute: 'expiresAt',
} as const;
