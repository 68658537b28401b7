/** What both engines (transactional, external) need for one batch. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoUsage, ItemSnapshot } from './dynamo';
import type { IdempotencyWrites } from './idempotency';

export interface EngineContext {
  readonly ddb: DynamoDBDocumentClient;
  readonly usage: DynamoUsage;
  readonly idempotency: IdempotencyWrites;
  readonly stateTable: string | undefined;
  /** Idempotency and state items read at the start of the batch. */
  readonly snapshot: ItemSnapshot;
  /** Partition keys (or transactions) in flight at once. */
  readonly concurrency: number;
  /** Epoch ms. */
  readonly now: () => number;
  /** True when no new work may start (the invocation reached its time margin). */
  readonly outOfTime: () => boolean;
}
