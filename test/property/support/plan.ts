/**
 * What a generated scenario is: batches of Kinesis records, each user record labelled with its
 * hostile class and what the contract expects of it, so the oracle can be exact.
 *
 * Plans are data (printable as a counterexample). Identities inside them carry the RUN marker, which
 * each execution replaces by a fresh token (so a shrinking step never meets the state an earlier step
 * left in the shared tables), and event times are offsets from the execution's clock (TIME_PLACEHOLDER).
 */
import type { PoisonReason } from '../../../lambdas/shared/dlq-message';
import type { SummarizedText } from './json-text';

/** Replaced in partition keys and record bytes by a token unique to one execution of a scenario. */
export const RUN = '@run@';

/** `"@t-3600000@"` in a JSON text: the execution's clock minus an hour, as an RFC 3339 string. */
export const timePlaceholder = (offsetMs: number): string => `@t${offsetMs >= 0 ? '+' : '-'}${Math.abs(offsetMs)}@`;
export const TIME_PLACEHOLDER_PATTERN = /@t([+-]\d+)@/g;

/** What the contract promises for one user record. */
export type Expectation =
  /** A valid event: applied exactly once, never dead-lettered. */
  | { readonly kind: 'valid' }
  /**
   * A repeat of an earlier record's idempotency key that must not reach the DLQ or be applied again: a
   * byte-identical copy of a valid record (a producer retry), or a repeat inside one batch of a poison
   * event (contract 8: the DLQ holds the event once).
   */
  | { readonly kind: 'duplicate' }
  /** Dead-lettered exactly once, with one of these reasons, its bytes and a non-empty error. */
  | { readonly kind: 'poison'; readonly reasons: readonly PoisonReason[] }
  /**
   * `orders` decides staleness before it looks at the details (lambdas/actions/orders.ts): an event
   * older than its order's state is acknowledged as stale whatever its details, anything else is
   * dead-lettered once with one of these reasons. The orders oracle tells which it must be.
   */
  | { readonly kind: 'poison-unless-stale'; readonly reasons: readonly PoisonReason[] };

export const valid: Expectation = { kind: 'valid' };
export const poison = (...reasons: PoisonReason[]): Expectation => ({ kind: 'poison', reasons });
export const poisonUnlessStale = (...reasons: PoisonReason[]): Expectation => ({ kind: 'poison-unless-stale', reasons });

/** Reasons the processor can only give once the envelope is valid: the record carries an event then. */
const EVENT_REASONS: readonly string[] = ['unknown-type', 'time-in-future', 'action-rejected', 'action-failed', 'store-rejected'];

/** Whether a record of this expectation is a valid CloudEvent (it has an idempotency key). */
export const isEvent = (expect: Expectation): boolean => expect.kind !== 'poison' || expect.reasons.every((r) => EVENT_REASONS.includes(r));

/** The bytes of one user record. */
export type Payload =
  /** JSON (or not-quite-JSON) text, written as UTF-8 after RUN and time placeholders are replaced. */
  | { readonly text: SummarizedText | string }
  /** Raw bytes (hex): invalid UTF-8, binary. */
  | { readonly hex: string }
  /** The first `keep` bytes of a text, cut after the placeholders are replaced (truncated JSON). */
  | { readonly truncated: SummarizedText | string; readonly keepFraction: number };

export interface UserPlan {
  /** The hostile class, e.g. `bytes/invalid-utf8`, `data/number 1e20` (shown in violations). */
  readonly label: string;
  readonly partitionKey: string;
  readonly payload: Payload;
  readonly expect: Expectation;
}

export type RecordPlan =
  | { readonly kind: 'plain'; readonly user: UserPlan }
  /** A KPL aggregate; `missingKey` user records name a partition key index the aggregate does not have. */
  | { readonly kind: 'aggregate'; readonly users: readonly (UserPlan & { readonly missingKey?: true })[] }
  /** A KPL aggregate that cannot be unpacked: the whole Kinesis record is one `undecodable` poison. */
  | { readonly kind: 'corrupt-aggregate'; readonly users: readonly UserPlan[]; readonly corruption: 'checksum' | 'truncated' | 'garbage' };

/** How the event source mapping delivers a batch again after its first invocation. */
export type Redelivery =
  /** The same batch once more (a response lost, a retry after a timeout). */
  | { readonly kind: 'full' }
  /** The batch from this record on (a retry from a checkpoint). */
  | { readonly kind: 'tail'; readonly from: number };

export interface BatchPlan {
  readonly records: readonly RecordPlan[];
  readonly redeliveries: readonly Redelivery[];
}

export interface Scenario {
  readonly batches: readonly BatchPlan[];
}

/** Every user record of a scenario with its labels, for statistics and self-checks. */
export function userPlansOf(record: RecordPlan): readonly UserPlan[] {
  return record.kind === 'plain' ? [record.user] : record.users;
}
