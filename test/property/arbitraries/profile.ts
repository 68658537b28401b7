/**
 * What the generators need to know of one shipped action: its valid events, and the events only
 * that action refuses (its own rejections, data at its store's edge, data that makes its code throw).
 */
import * as fc from 'fast-check';
import { jsonString } from '../support/json-text';
import { RUN, timePlaceholder } from '../support/plan';
import type { EventParts } from './envelopes';

export interface ActionProfile {
  readonly name: 'orders' | 'telemetry' | 'noop';
  /** Event types the action handles; empty: every type (noop). */
  readonly handledTypes: readonly string[];
  readonly valid: fc.Arbitrary<EventParts>;
  /** The action throws PoisonEventError (`action-rejected`). */
  readonly rejected?: fc.Arbitrary<EventParts>;
  /** Valid to the action, at the edge of what its store holds (labelled with what the store makes of them). */
  readonly storeEdge?: fc.Arbitrary<EventParts>;
  /** The action's code throws a deterministic error on the data (`action-failed`). */
  readonly failing?: fc.Arbitrary<EventParts>;
}

/** Few entities per scenario, so events of one entity meet in batches and across batches. */
export const ENTITIES = 3;

export const entityName = (prefix: string, index: number): string => `${RUN}-${prefix}${index}`;
export const entity = (prefix: string): fc.Arbitrary<string> => fc.nat({ max: ENTITIES - 1 }).map((i) => entityName(prefix, i));

/**
 * Event times: minutes in the past on a coarse grid (so equal times happen and the stream position
 * decides), moved by `shiftMs` (off any boundary that falls on the clock), sometimes a little ahead of
 * the clock but well inside any skew allowance.
 */
export function eventTime(stepMs: number, steps: number, shiftMs = 0): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 12, arbitrary: fc.integer({ min: 1, max: steps }).map((n) => -n * stepMs + shiftMs) },
      { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 120_000 }) },
    )
    .map((offset) => jsonString(timePlaceholder(offset)));
}
