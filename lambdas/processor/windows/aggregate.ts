/**
 * A window's aggregate: count, and per configured field the sum, min and max, and the counts of the
 * top field's values. Folding is pure and commutative, so it does not matter which shard or batch an
 * event arrives in, only that each event is folded once (the idempotency key commits with it).
 */

/** What one event adds to its windows (from the windowed action's `observe`). */
export interface Observation {
  /** The window key (a SKU, a card number…). */
  readonly key: string;
  /** Values of the summed fields. */
  readonly values: Readonly<Record<string, number>>;
  /** The event's value of the top field, if the pipeline keeps one. */
  readonly top?: string;
}

export interface WindowAggregate {
  readonly count: number;
  readonly sums: Readonly<Record<string, number>>;
  readonly mins: Readonly<Record<string, number>>;
  readonly maxs: Readonly<Record<string, number>>;
  /** Counts per top-field value: at most MAX_TRACKED_VALUES values, the rest counted under OTHER_VALUE. */
  readonly top: Readonly<Record<string, number>>;
}

/** Distinct top-field values kept per window, so a hostile stream of unique values cannot grow an item past 400 KB. */
export const MAX_TRACKED_VALUES = 50;
export const OTHER_VALUE = '(other)';

export const EMPTY_AGGREGATE: WindowAggregate = { count: 0, sums: {}, mins: {}, maxs: {}, top: {} };

export function addObservation(aggregate: WindowAggregate, observation: Observation): WindowAggregate {
  const sums = { ...aggregate.sums };
  const mins = { ...aggregate.mins };
  const maxs = { ...aggregate.maxs };
  for (const [field, value] of Object.entries(observation.values)) {
    sums[field] = (sums[field] ?? 0) + value;
    mins[field] = Math.min(mins[field] ?? value, value);
    maxs[field] = Math.max(maxs[field] ?? value, value);
  }
  let top = aggregate.top;
  if (observation.top !== undefined) {
    // `__proto__` cannot be stored as a map key faithfully (./storable.ts): counted with the others.
    const candidate = observation.top === '__proto__' ? OTHER_VALUE : observation.top;
    const known = Object.prototype.hasOwnProperty.call(top, candidate) || Object.keys(top).length < MAX_TRACKED_VALUES;
    const value = known ? candidate : OTHER_VALUE;
    top = { ...top, [value]: (top[value] ?? 0) + 1 };
  }
  return { count: aggregate.count + 1, sums, mins, maxs, top };
}

/** The `n` most frequent top-field values, most frequent first (ties by value, so the order is stable). */
export function topValues(aggregate: WindowAggregate, n: number): { value: string; count: number }[] {
  return Object.entries(aggregate.top)
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .slice(0, n);
}
