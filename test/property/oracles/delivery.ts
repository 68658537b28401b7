/**
 * The action-independent half of the oracle: what the processor answered the event source mapping,
 * what it put on the dead-letter queue, and which events it therefore must have applied.
 *
 * - every invocation returns no batch item failures and never throws (dependencies are up, one invoker);
 * - every poison record is on the DLQ exactly once per stream position, with an expected reason, a
 *   non-empty error and its exact bytes (or `dataOmitted: too-large` for a big record);
 * - a `poison-unless-stale` event is on the DLQ at most once, and then with its reason; if not, it
 *   counts as applied (stale), and the action's oracle says whether it had to be;
 * - no valid event and no duplicate is on the DLQ;
 * - the processor's counts: the events of a batch are applied in the batch's first invocation, and
 *   no event is applied twice over all deliveries.
 */
import type { Delivery } from '../support/deliver';
import { positionOf, type SentBatch, type SentUser } from '../support/materialize';
import type { DeadLetter } from '../support/observe';

/** Below this, a record's bytes always fit in a DLQ message: omitting them hides evidence. */
const OMISSION_ALLOWED_FROM_BYTES = 150 * 1024;

export interface DeliveryVerdict {
  readonly violations: string[];
  /** The events the processor must have applied, first occurrences, in stream order. */
  readonly applied: readonly SentUser[];
  /** Events dead-lettered as `store-rejected`: their action may have run (an alert published) before the store refused. */
  readonly refused: readonly SentUser[];
  /** `poison-unless-stale` events that were dead-lettered (the others were acknowledged as stale). */
  readonly deadLetteredUnlessStale: ReadonlySet<SentUser>;
}

/** `label [batch 1, …588898/2]`: enough to find the record in the counterexample. */
export function where(user: SentUser): string {
  return `${user.label} [batch ${user.batch}, …${user.sequenceNumber.slice(-6)}${user.subSequenceNumber !== undefined ? `/${user.subSequenceNumber}` : ''}]`;
}

function judgeMessage(user: SentUser, message: NonNullable<DeadLetter['message']>, reasons: readonly string[]): string[] {
  const problems: string[] = [];
  if (!reasons.includes(message.reason)) problems.push(`dead-lettered as "${message.reason}" (${message.error.slice(0, 160)}), expected ${reasons.map((r) => `"${r}"`).join(' or ')}`);
  if (message.error.trim() === '') problems.push('dead-lettered without an error');
  if (message.record.dataOmitted === 'too-large') {
    if (user.bytes.length < OMISSION_ALLOWED_FROM_BYTES) problems.push(`dead-lettered without its ${user.bytes.length} bytes (dataOmitted)`);
  } else if (message.record.data === undefined) {
    problems.push('dead-lettered without its bytes and without dataOmitted');
  } else if (!Buffer.from(message.record.data, 'base64').equals(user.bytes)) {
    problems.push(`dead-lettered with other bytes (${Buffer.from(message.record.data, 'base64').length} bytes, sent ${user.bytes.length})`);
  }
  if (user.partitionKey !== undefined && message.record.partitionKey !== user.partitionKey) problems.push(`dead-lettered with partition key ${JSON.stringify(message.record.partitionKey.slice(0, 40))}, sent ${JSON.stringify(user.partitionKey.slice(0, 40))}`);
  return problems;
}

/** Every invocation succeeded without batch item failures, and the mapping never gave records up. */
export function judgeInvocations(delivery: Delivery): string[] {
  const violations: string[] = [];
  for (const invocation of delivery.invocations) {
    const what = `batch ${invocation.batch}, ${invocation.why} (${invocation.records} records)`;
    if (invocation.error) violations.push(`${what}: the invocation threw ${invocation.error.slice(0, 300)}`);
    else if (invocation.response!.batchItemFailures.length > 0) violations.push(`${what}: ${invocation.response!.batchItemFailures.length} batch item failures`);
  }
  for (const giveUp of delivery.giveUps) violations.push(`batch ${giveUp.batch}: retries exhausted, the event source mapping gives up the records from …${giveUp.fromSequenceNumber.slice(-6)} (a DLQ range, the shard blocked meanwhile)`);
  return violations;
}

/**
 * The DLQ against what was sent (`users` in stream order): poison once each, `poison-unless-stale`
 * events at most once and with their reason, nothing else, no on-failure record. Tells which events
 * must be applied.
 */
export function judgeDeadLetters(users: readonly SentUser[], deadLetters: readonly DeadLetter[]): DeliveryVerdict {
  const violations: string[] = [];
  const byPosition = new Map<string, NonNullable<DeadLetter['message']>[]>();
  for (const letter of deadLetters) {
    if (letter.gaveUp) {
      const { shardId, startSequenceNumber, endSequenceNumber, batchSize } = letter.gaveUp;
      violations.push(`the event source mapping gave up ${batchSize} record(s) of ${shardId} (…${startSequenceNumber.slice(-6)} to …${endSequenceNumber.slice(-6)}): an on-failure record, the shard was blocked`);
      continue;
    }
    if (!letter.message) {
      violations.push(`DLQ message that is not a poison-record message: ${letter.body.slice(0, 200)}`);
      continue;
    }
    const position = positionOf(letter.message.record);
    byPosition.set(position, [...(byPosition.get(position) ?? []), letter.message]);
  }

  const refused: SentUser[] = [];
  const deadLetteredUnlessStale = new Set<SentUser>();
  for (const user of users) {
    const position = positionOf(user);
    const messages = byPosition.get(position) ?? [];
    byPosition.delete(position);
    const expect = user.expect;
    if (expect.kind === 'poison' || expect.kind === 'poison-unless-stale') {
      if (messages.length === 0 && expect.kind === 'poison') violations.push(`${where(user)}: not dead-lettered`);
      else if (messages.length > 1) violations.push(`${where(user)}: dead-lettered ${messages.length} times`);
      if (messages[0]) {
        if (expect.kind === 'poison-unless-stale') deadLetteredUnlessStale.add(user);
        if (user.event && messages[0].reason === 'store-rejected') refused.push(user);
        violations.push(...judgeMessage(user, messages[0], expect.reasons).map((p) => `${where(user)}: ${p}`));
      }
    } else if (messages.length > 0) {
      violations.push(`${where(user)}: a ${expect.kind === 'valid' ? 'valid event' : 'duplicate'} was dead-lettered as "${messages[0]!.reason}" (${messages[0]!.error.slice(0, 200)})`);
    }
  }
  for (const [position, messages] of byPosition) violations.push(`DLQ message for a position nothing was sent at: ${position} (${messages[0]!.reason})`);

  // First occurrences of the events the processor must apply (or acknowledge as stale), in stream order.
  const seen = new Set<string>();
  const applied: SentUser[] = [];
  for (const user of users) {
    const { kind } = user.expect;
    if (!user.event || kind === 'duplicate' || kind === 'poison' || deadLetteredUnlessStale.has(user) || seen.has(user.event.key)) continue;
    seen.add(user.event.key);
    applied.push(user);
  }
  return { violations, applied, refused, deadLetteredUnlessStale };
}

/** The processor's own counts: each batch's events applied in its first invocation, none twice. */
export function judgeCounts(delivery: Delivery, applied: readonly SentUser[]): string[] {
  const violations: string[] = [];
  for (const first of delivery.invocations.filter((i) => i.why === 'first')) {
    const expected = applied.filter((u) => u.batch === first.batch).length;
    const done = first.counts.processed + first.counts.stale;
    if (done !== expected) violations.push(`batch ${first.batch}, first invocation: ${done} events processed or stale, expected ${expected} (the batch's valid events, all in the same invocation)`);
  }
  const total = delivery.invocations.reduce((n, i) => n + i.counts.processed + i.counts.stale, 0);
  if (total > applied.length) violations.push(`${total} events processed or stale over all deliveries, but only ${applied.length} may be applied: an event was applied twice, or a record that must not be was applied`);
  return violations;
}

export function judgeDelivery(batches: readonly SentBatch[], delivery: Delivery, deadLetters: readonly DeadLetter[]): DeliveryVerdict {
  const verdict = judgeDeadLetters(
    batches.flatMap((b) => b.users),
    deadLetters,
  );
  return { ...verdict, violations: [...judgeInvocations(delivery), ...verdict.violations, ...judgeCounts(delivery, verdict.applied)] };
}
