/**
 * What a platform engineer implements per pipeline: an action. Two kinds, by how their effect can be
 * made idempotent:
 *
 * - `transactional`: the whole effect is a change of one DynamoDB state item per event. The action is a
 *   pure reducer (event + current state → new state, or "stale"); the processor writes the new state
 *   and the event's idempotency key in ONE DynamoDB transaction, conditioned on the version it read.
 *   The effect is exactly-once.
 * - `external`: the effect leaves DynamoDB (an SNS publish, an HTTP call). The processor claims the
 *   idempotency key with a lease, runs the action, then marks the key completed. The effect is
 *   at-least-once with duplicates suppressed: only a crash between the effect and the completion
 *   write (or a lease that expires mid-run) repeats it.
 *
 * Either kind throws `PoisonEventError` for data that can never be processed (→ dead-letter queue);
 * any other error is retryable (→ batch item failure, the event source mapping redelivers).
 */
import type { ActionKind } from '../shared/actions';
import type { CloudEvent } from '../shared/envelope';
import type { UserRecord } from '../processor/records';
import type { ProcessorSettings } from '../processor/settings';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** An event as an action sees it: the CloudEvent and where it came from in the stream. */
export interface ActionEvent {
  readonly event: CloudEvent;
  readonly record: UserRecord;
}

/** A state item: the processor owns `pk` and `version` (optimistic concurrency); the rest is the action's. */
export interface StateItem {
  readonly pk: string;
  readonly version: number;
  readonly [attribute: string]: unknown;
}

/** A transactional action's decision for one event. */
export type Decision =
  /** Replace the state item with these attributes (pk and version are set by the processor). */
  | { readonly kind: 'write'; readonly attributes: Readonly<Record<string, unknown>> }
  /** The event is older than the stored state: acknowledge it, change nothing (EventsStale). */
  | { readonly kind: 'stale' }
  /** Nothing to change; the event still counts as processed. */
  | { readonly kind: 'none' };

export interface TransactionalAction {
  readonly kind: Extract<ActionKind, 'transactional'>;
  /** Event types handled; any other type is dead-lettered as `unknown-type`. `'*'` handles every type. */
  readonly eventTypes: readonly string[] | '*';
  /** The state item the event changes, or undefined if it changes none. */
  stateKey(event: ActionEvent): string | undefined;
  /** Pure: the decision given the current state (after the earlier events of this batch). */
  decide(event: ActionEvent, current: StateItem | undefined): Decision;
}

/** State access for external actions: items prefetched with the batch, writes guarded by version. */
export interface StateAccess {
  get(key: string): StateItem | undefined;
  /** Creates or replaces the item, conditioned on the version last seen; a lost race is retryable. */
  put(key: string, attributes: Readonly<Record<string, unknown>>): Promise<StateItem>;
  /** Deletes the item, conditioned on the version last seen. */
  delete(key: string): Promise<void>;
}

export type ExternalOutcome = 'processed' | 'stale';

export interface ExternalAction {
  readonly kind: Extract<ActionKind, 'external'>;
  readonly eventTypes: readonly string[] | '*';
  /** State items to prefetch with the batch's idempotency keys (one BatchGetItem for all). */
  stateKeys(event: ActionEvent): readonly string[];
  run(event: ActionEvent, state: StateAccess): Promise<ExternalOutcome>;
}

export type Action = TransactionalAction | ExternalAction;

/**
 * AWS clients the processor shares with actions; created once per container. An action that needs
 * another client takes it from its Lambda entry (see lambdas/handlers/telemetry.ts), so other
 * pipelines' bundles do not carry it.
 */
export interface ActionClients {
  readonly dynamodb: DynamoDBDocumentClient;
}

/** Builds an action from the processor settings, once, at the first invocation. */
export type ActionFactory = (settings: ProcessorSettings, clients: ActionClients) => Action;

export function handlesType(action: Action, type: string): boolean {
  return action.eventTypes === '*' || action.eventTypes.includes(type);
}
