/**
 * The `orders` action: order status changes applied to the current-state table, exactly once.
 *
 * Event: type `order.status-changed`, `subject` = the order id (also the partition key), `time`
 * required (when the change happened), `data.status` required; other `data` fields are kept as the
 * order's details. State item: pk = order id, `status`, `details`, and the position of the event that
 * set them (`eventTime`, `eventId`, `sequenceNumber`, `subSequenceNumber`), and `appliedEvents`, the count
 * of this order's events applied so far (stale ones excluded).
 *
 * An event older than the stored state (earlier `time`; same time, earlier stream position) is
 * acknowledged as stale and never overwrites newer state, so late and out-of-order deliveries are safe.
 */
import * as z from 'zod/mini';
import type { ActionEvent, ActionFactory, Decision, StateItem, TransactionalAction } from './action';
import { PoisonEventError } from '../processor/errors';
import { compareRecordOrder } from '../processor/records';
import { requireStateTable } from '../processor/settings';
import { OrderEventType } from '../shared/orders-events';

export const MAX_DETAILS_BYTES = 300 * 1024;

// zod/mini carries no English default messages: every rule states its own.
const orderDataSchema = z.looseObject(
  { status: z.string({ error: 'must be a non-empty string' }).check(z.minLength(1, { error: 'must be a non-empty string' })) },
  { error: 'must be an object with a status' },
);

/** The position of an event in business time, then stream order: what "newer" means for an order. */
interface Position {
  readonly timeMs: number;
  readonly sequenceNumber: string;
  readonly subSequenceNumber?: number;
}

function positionOf(event: ActionEvent): Position {
  const { time } = event.event;
  if (time === undefined) throw new PoisonEventError('orders events need a `time` (when the status changed) to be ordered');
  return {
    timeMs: Date.parse(time),
    sequenceNumber: event.record.sequenceNumber,
    ...(event.record.subSequenceNumber !== undefined ? { subSequenceNumber: event.record.subSequenceNumber } : {}),
  };
}

function storedPosition(state: StateItem): Position | undefined {
  if (typeof state.eventTime !== 'string' || typeof state.sequenceNumber !== 'string') return undefined;
  return {
    timeMs: Date.parse(state.eventTime),
    sequenceNumber: state.sequenceNumber,
    ...(typeof state.subSequenceNumber === 'number' ? { subSequenceNumber: state.subSequenceNumber } : {}),
  };
}

function isOlder(event: Position, stored: Position): boolean {
  if (event.timeMs !== stored.timeMs) return event.timeMs < stored.timeMs;
  return compareRecordOrder(event, stored) < 0;
}

export const ordersAction: TransactionalAction = {
  kind: 'transactional',
  eventTypes: [OrderEventType.StatusChanged],
  stateKey(event) {
    if (!event.event.subject) throw new PoisonEventError('orders events need a `subject` (the order id)');
    return event.event.subject;
  },
  decide(event, current): Decision {
    const position = positionOf(event);
    const parsed = orderDataSchema.safeParse(event.event.data);
    if (!parsed.success) {
      throw new PoisonEventError(`data: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'data'} ${i.message}`).join('; ')}`);
    }
    const stored = current && storedPosition(current);
    if (stored && isOlder(position, stored)) return { kind: 'stale' };
    const { status, ...details } = parsed.data;
    // DynamoDB items stop at 400 KB; a bigger order could never be stored, retrying would not help.
    if (Buffer.byteLength(JSON.stringify(details)) > MAX_DETAILS_BYTES) throw new PoisonEventError(`data: order details exceed ${MAX_DETAILS_BYTES} bytes`);
    return {
      kind: 'write',
      attributes: {
        status,
        details,
        eventTime: new Date(position.timeMs).toISOString(),
        eventId: event.event.id,
        eventSource: event.event.source,
        // Committed in the same transaction as the idempotency key: an audit of exactly-once
        // (it equals the number of this order's non-stale events) for reconciliation and operators.
        appliedEvents: (typeof current?.appliedEvents === 'number' ? current.appliedEvents : 0) + 1,
        sequenceNumber: position.sequenceNumber,
        ...(position.subSequenceNumber !== undefined ? { subSequenceNumber: position.subSequenceNumber } : {}),
      },
    };
  },
};

export const orders: ActionFactory = (settings) => {
  requireStateTable(settings, 'orders');
  return ordersAction;
};
