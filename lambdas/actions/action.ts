/**
 * What a platform engineer implements per pipeline: an action. Three kinds, by how their effect can be
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
 * - `windowed`: the effect is a count over event-time windows (see WindowedAction): exactly-once
 *   aggregates, an optional alert per window (at-least-once, with an id to drop repeats).
 *
 * Any kind throws `PoisonEventError` for data that can never be processed (→ dead-letter queue); what
 * else is poison or retried is decided in lambdas/processor/failure-policy.ts.
 */
import type { ActionKind } from '../shared/actions';
import type { CloudEvent } from '../shared/envelope';
import type { UserRecord } from '../processor/records';
import type { ProcessorSettings } from '../processor/settings';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WindowsConfig } from '../shared/windows-config';
import type { Observation } from '../processor/windows/aggregate';
import type { Baseline, WindowAlert, WindowState } from '../processor/windows/window-items';

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

/**
 * A windowed action counts events over event-time windows (issue 12): the processor folds each batch's
 * events per key and window and commits the aggregates with the events' idempotency keys in one
 * DynamoDB transaction (exactly-once counts); a scheduled closer finalises windows once the watermark
 * passes them. The action says what an event adds and, optionally, when a window raises an alert.
 */
export interface WindowedAction {
  readonly kind: Extract<ActionKind, 'windowed'>;
  readonly eventTypes: readonly string[] | '*';
  /** The pipeline's `windows` configuration. */
  readonly windows: WindowsConfig;
  /** What the event adds to its windows; throws PoisonEventError for data that cannot be counted. Pure. */
  observe(event: ActionEvent): Observation;
  /**
   * The alert a window raises now that its running aggregate is `window` (called after each event is
   * folded in, until one is raised: at most one per window). Pure.
   */
  alertFor?(window: WindowState, baseline: Baseline | undefined): AlertDecision | undefined;
  /** Publishes a raised alert. May happen again after a crash: subscribers drop repeats by `alertId`. */
  deliver?(alert: WindowAlert): Promise<void>;
  /** The key's baseline after `closed` is final, or undefined to keep none. Pure. */
  nextBaseline?(closed: WindowState, baseline: Baseline | undefined): number | undefined;
}

/** What `alertFor` decides; the processor adds the identity, bounds and time. */
export interface AlertDecision {
  readonly baseline: number;
  readonly threshold: number;
}

export type Action = TransactionalAction | ExternalAction | WindowedAction;

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
