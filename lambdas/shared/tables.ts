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
  /** TTL for items that should expire (telemetry incidents, window state and results); order state never sets it. */
  ttlAttribute: 'expiresAt',
  /**
   * Windowed pipelines only: a sparse global secondary index of what is due (open windows by the hour they
   * close in, pending alerts), so the scheduled closer queries what is due instead of scanning.
   */
  dueIndex: { name: 'due', partitionKey: 'dueBucket', sortKey: 'dueAt', projected: ['alert', 'attempts'] },
} as const;
