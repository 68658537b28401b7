/**
 * The `orders` oracle: one state item per order that had an event applied, whose `appliedEvents` is
 * the number of its applied non-stale events, whose `status` and `eventId` are those of its newest
 * applied event by (`time`, stream position), and (with `details`) whose details are that event's
 * data without `status`, unchanged. An event whose details the action or the store refuses is
 * dead-lettered exactly when it is not older than its order's state (orders decides staleness first).
 */
import type { DeliveryVerdict } from './delivery';
import type { SentUser } from '../support/materialize';
import { canonicalJson } from '../support/json-text';
import { numberOf, readItems } from '../support/observe';
import { where } from './delivery';

interface Expected {
  applied: number;
  newest: SentUser | undefined;
  newestTimeMs: number;
}

/** The order's data without `status`, as the event's JSON had it (own `__proto__` keys included). */
function detailsOf(user: SentUser): Record<string, unknown> {
  const data = user.event!.data as Record<string, unknown>;
  return Object.fromEntries(Object.keys(data).filter((k) => k !== 'status').map((k) => [k, data[k]]));
}

/** Folds each order's applied events in stream order, as the contract defines "newest" and "stale". */
export function expectedOrders(applied: readonly SentUser[]): Map<string, Expected> {
  const orders = new Map<string, Expected>();
  for (const user of applied) {
    const subject = user.event!.subject!;
    const timeMs = Date.parse(user.event!.time!);
    const order = orders.get(subject) ?? { applied: 0, newest: undefined, newestTimeMs: -Infinity };
    // A later stream position wins a tie: only an earlier time is stale.
    if (timeMs >= order.newestTimeMs) {
      order.applied += 1;
      order.newest = user;
      order.newestTimeMs = timeMs;
    }
    orders.set(subject, order);
  }
  return orders;
}

/**
 * `poison-unless-stale` events: stale (earlier `time` than the newest applied event of its order before
 * it in stream order) ⇔ acknowledged, not dead-lettered.
 */
export function judgeUnlessStale(verdict: Pick<DeliveryVerdict, 'applied' | 'deadLetteredUnlessStale'>, users: readonly SentUser[]): string[] {
  const applied = new Set(verdict.applied);
  const newest = new Map<string, number>();
  const violations: string[] = [];
  for (const user of users) {
    const event = user.event;
    if (!event?.subject || event.time === undefined) continue;
    const timeMs = Date.parse(event.time);
    const before = newest.get(event.subject) ?? -Infinity;
    if (user.expect.kind === 'poison-unless-stale') {
      const stale = timeMs < before;
      const deadLettered = verdict.deadLetteredUnlessStale.has(user);
      if (stale && deadLettered) violations.push(`${where(user)}: dead-lettered, though older than its order's state (a stale event is acknowledged before its details are looked at)`);
      if (!stale && !deadLettered) violations.push(`${where(user)}: not dead-lettered, though it is not stale and its details cannot be applied (expected ${user.expect.reasons.join(' or ')})`);
    }
    if (applied.has(user) && timeMs >= before) newest.set(event.subject, timeMs);
  }
  return violations;
}

export async function judgeOrders(stateTable: string, verdict: Pick<DeliveryVerdict, 'applied' | 'deadLetteredUnlessStale'>, events: readonly SentUser[], options: { details: boolean }): Promise<string[]> {
  const expected = expectedOrders(verdict.applied);
  const subjects = new Set(events.flatMap((u) => (typeof u.event?.subject === 'string' ? [u.event.subject] : [])));
  const items = await readItems(stateTable, subjects);
  const violations: string[] = judgeUnlessStale(verdict, events);
  for (const subject of subjects) {
    const read = items.get(subject)!;
    const order = expected.get(subject);
    const name = `order ${JSON.stringify(subject.slice(0, 40))}`;
    if ('error' in read) {
      if (order) violations.push(`${name}: its state cannot be read (${read.error.slice(0, 160)}), yet ${order.applied} events were not dead-lettered`);
      continue;
    }
    const item = read.item;
    if (!order) {
      if (item) violations.push(`${name}: a state item exists (status ${JSON.stringify(item.status)}) though none of its events may be applied`);
      continue;
    }
    const newest = order.newest!;
    if (!item) {
      violations.push(`${name}: no state item, expected status ${JSON.stringify((newest.event!.data as { status: string }).status)} from ${where(newest)}`);
      continue;
    }
    const status = (newest.event!.data as { status: unknown }).status;
    if (item.status !== status) violations.push(`${name}: status ${JSON.stringify(item.status)}, expected ${JSON.stringify(status)} from ${where(newest)}`);
    if (item.eventId !== newest.event!.id) violations.push(`${name}: eventId ${JSON.stringify(String(item.eventId).slice(0, 60))}, expected the newest event's, ${where(newest)}`);
    if (numberOf(item.appliedEvents) !== order.applied) violations.push(`${name}: appliedEvents ${String(numberOf(item.appliedEvents))}, expected ${order.applied} (each applied non-stale event counted once)`);
    if (options.details) {
      if (read.storedKey !== undefined) violations.push(`${name}: stored under another key, ${JSON.stringify(read.storedKey.slice(0, 40))}`);
      const stored = canonicalJson(item.details);
      const sent = canonicalJson(detailsOf(newest));
      if (stored !== sent) violations.push(`${name}: details changed on the way to the store (${where(newest)}): sent ${sent.slice(0, 200)}, stored ${stored.slice(0, 200)}`);
    }
  }
  return violations;
}
