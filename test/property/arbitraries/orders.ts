/**
 * `orders` events (lambdas/actions/orders.ts): `order.status-changed`, subject = order id = partition
 * key, `time` required, `data.status` required, the rest of `data` kept as the order's details.
 */
import * as fc from 'fast-check';
import { PoisonReason } from '../../../lambdas/shared/dlq-message';
import { OrderEventType } from '../../../lambdas/shared/orders-events';
import { jsonObject, jsonString, type JsonText } from '../support/json-text';
import { poison, poisonUnlessStale, RUN, valid } from '../support/plan';
import type { EventParts } from './envelopes';
import { entity, eventTime, type ActionProfile } from './profile';
import { buried, plainFields, stackOverflowField, storableAt, storeEdgeField } from './values';

const status = fc.oneof(
  fc.constantFrom('created', 'paid', 'shipped', 'delivered', 'cancelled', 'оплачен', '発送済み', '✅ done'),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 10 }),
);

const time = eventTime(60_000, 20);

interface Order {
  readonly subject: string;
  readonly time: JsonText;
  readonly fields: [string, JsonText][];
}

const order: fc.Arbitrary<Order> = fc.record({
  subject: entity('o'),
  time,
  fields: fc.tuple(status, plainFields).map(([s, details]): [string, JsonText][] => [['status', jsonString(s)], ...details]),
});

function parts(o: Order, label: string, expect: EventParts['expect'], change: Partial<EventParts> = {}): EventParts {
  return { label, expect, type: OrderEventType.StatusChanged, subject: o.subject, partitionKey: o.subject, time: o.time, data: jsonObject(o.fields), ...change };
}

const validOrder = fc.oneof(
  { weight: 20, arbitrary: order.map((o) => parts(o, 'orders/valid', valid)) },
  // Details near the 300 KB the action accepts: stored whole.
  { weight: 1, arbitrary: fc.tuple(order, fc.integer({ min: 200_000, max: 290_000 })).map(([o, n]) => parts({ ...o, fields: [...o.fields, ['note', jsonString('x'.repeat(n))]] }, `orders/valid with ${n} bytes of details`, valid)) },
);

const rejected = poison(PoisonReason.ActionRejected);

const rejectedOrder: fc.Arbitrary<EventParts> = fc.oneof(
  order.map((o) => parts(o, 'orders/data without status', rejected, { data: jsonObject(o.fields.filter(([k]) => k !== 'status')) })),
  fc.tuple(order, fc.constantFrom('""', '5', 'null', '[]', '{}', 'true')).map(([o, s]) => parts(o, `orders/status ${s}`, rejected, { data: jsonObject([...o.fields.filter(([k]) => k !== 'status'), ['status', s]]) })),
  fc.tuple(order, fc.constantFrom('"paid"', '5', 'null', '[]', '[{"status":"paid"}]')).map(([o, d]) => parts(o, `orders/data ${d}`, rejected, { data: d })),
  order.map((o) => parts(o, 'orders/no data', rejected, { data: undefined })),
  order.map((o) => parts(o, 'orders/no time', rejected, { time: undefined })),
  order.map((o) => parts(o, 'orders/no subject', rejected, { subject: undefined, partitionKey: `${RUN}-no-subject` })),
  // Details over the action's 300 KB limit (MAX_DETAILS_BYTES): refused by the action, unless stale
  // (it measures the details only for an event it would apply).
  fc
    .tuple(order, fc.integer({ min: 310_000, max: 420_000 }))
    .map(([o, n]) => parts({ ...o, fields: [...o.fields, ['note', jsonString('y'.repeat(n))]] }, `orders/${n} bytes of details`, poisonUnlessStale(PoisonReason.ActionRejected))),
);

/**
 * The details are the item's `details` attribute (level 1), so a field of them sits at level 2, deeper
 * when buried. What DynamoDB holds is applied and reads back equal to the event's data (contracts 4, 5);
 * what it cannot hold is `store-rejected` (contracts 2, 5), unless stale: staleness is decided first.
 */
const storeEdgeOrder: fc.Arbitrary<EventParts> = fc
  .tuple(order, storeEdgeField.chain((edge) => buried(edge.field).map((b) => ({ edge, ...b }))))
  .map(([o, { edge, field, levels }]) => {
    const storable = storableAt(edge, 2 + levels);
    return parts({ ...o, fields: [...o.fields, field] }, `orders/details with ${edge.label}${levels > 0 ? ` (${levels} down)` : ''}`, storable ? valid : poisonUnlessStale(PoisonReason.StoreRejected));
  });

// A 20 000 to 100 000-level structure overflows JSON.stringify (the action measures details: contract 6,
// `action-failed`) or else the SDK's marshaller or DynamoDB's nesting limit (`store-rejected`); a stale
// event is acknowledged before either looks at it.
const failingOrder: fc.Arbitrary<EventParts> = fc
  .tuple(order, stackOverflowField)
  .map(([o, edge]) => parts({ ...o, fields: [...o.fields, edge.field] }, `orders/details with ${edge.label}`, poisonUnlessStale(PoisonReason.ActionFailed, PoisonReason.StoreRejected)));

export const ordersProfile: ActionProfile = {
  name: 'orders',
  handledTypes: [OrderEventType.StatusChanged],
  valid: validOrder,
  rejected: rejectedOrder,
  storeEdge: storeEdgeOrder,
  failing: failingOrder,
};
