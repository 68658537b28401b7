/**
 * `noop` events (lambdas/actions/noop.ts): every type is handled and only the idempotency key is
 * stored, so any `data` at all, even data no store could hold, is a valid event (contract 2: noop
 * stores no data). Only a `__proto__` key refuses the envelope (./envelopes.ts).
 */
import * as fc from 'fast-check';
import { jsonObject } from '../support/json-text';
import { RUN, valid } from '../support/plan';
import type { EventParts } from './envelopes';
import { entity, eventTime, type ActionProfile } from './profile';
import { EDGE_NUMBERS, plainFields, plainKey, plainValue, stackOverflowField, storeEdgeField } from './values';

const data = fc.option(
  fc.oneof(
    { weight: 4, arbitrary: plainValue },
    { weight: 2, arbitrary: fc.tuple(plainFields, storeEdgeField).map(([fields, edge]) => jsonObject([...fields, edge.field])) },
    { weight: 1, arbitrary: stackOverflowField.map((edge) => jsonObject([edge.field])) },
    { weight: 1, arbitrary: fc.constantFrom(...EDGE_NUMBERS.map((n) => n.text)) },
  ),
  { nil: undefined, freq: 6 },
);

const validEvent: fc.Arbitrary<EventParts> = fc
  .record({
    type: fc.oneof(fc.constantFrom('order.status-changed', 'equipment.reading', 'x', 'com.example.üñí', '__proto__', 'constructor'), plainKey),
    subject: fc.option(entity('n'), { nil: undefined, freq: 5 }),
    key: plainKey,
    time: fc.option(eventTime(60_000, 60), { nil: undefined }),
    data,
  })
  .map(({ type, subject, key, time, data }) => ({
    label: 'noop/valid',
    expect: valid,
    type,
    ...(subject !== undefined ? { subject } : {}),
    partitionKey: subject ?? `${RUN}-${key}`,
    ...(time !== undefined ? { time } : {}),
    ...(data !== undefined ? { data } : {}),
  }));

export const noopProfile: ActionProfile = {
  name: 'noop',
  handledTypes: [],
  valid: validEvent,
};
