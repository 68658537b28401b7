/**
 * The `orders` workload: orders moving through their statuses, one event per status change, with
 * producer duplicates, out-of-order pairs and late events injected at the configured rates.
 */
import type { CloudEvent } from '../../lambdas/shared/envelope';
import { OrderEventType } from '../../lambdas/shared/actions';
import { ORDER_STATUSES } from '../../client/examples/pipeline-events';
import type { Random } from '../../client/operations/seeded-random';
import { DUPLICATE_WITHIN_MS, eventFactory, LATE_BY_MS, type InjectionRates, type PlannedSend, type Workload } from './workload';

export const ORDER_EVENT_TYPE = OrderEventType.StatusChanged;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** What the orders action reads: `status` (required); the rest is kept as the order's details. */
export interface OrderEventData {
  readonly status: OrderStatus;
  readonly orderId: string;
}

/** Orders open at once: enough keys to spread over shards, few enough that most orders see several events. */
const OPEN_ORDERS = 40;

interface OpenOrder {
  readonly orderId: string;
  next: number;
  /** Time of its newest event: each new change is strictly newer, so "older" is never a tie. */
  lastTimeMs: number;
}

export function ordersWorkload(pipeline: string, runId: string, random: Random, rates: InjectionRates): Workload {
  const newEvent = eventFactory(pipeline, runId);
  let orderCount = 0;
  const open: OpenOrder[] = [];
  const openOrder = (): OpenOrder => ({ orderId: `order-${runId}-${String(++orderCount).padStart(5, '0')}`, next: 0, lastTimeMs: 0 });
  while (open.length < OPEN_ORDERS) open.push(openOrder());

  const event = (order: OpenOrder, timeMs: number): CloudEvent<OrderEventData> => {
    const status = ORDER_STATUSES[order.next] as OrderStatus;
    order.next += 1;
    return newEvent<OrderEventData>(ORDER_EVENT_TYPE, order.orderId, timeMs, { status, orderId: order.orderId });
  };

  const retireIfDone = (index: number): void => {
    const order = open[index] as OpenOrder;
    if (order.next >= ORDER_STATUSES.length) open[index] = openOrder();
  };

  return {
    pipeline,
    create(nowMs, count) {
      const sends: PlannedSend[] = [];
      const wallNow = Date.now();
      for (let i = 0; i < count; i++) {
        const index = random.int(0, open.length - 1);
        const order = open[index] as OpenOrder;
        const remaining = ORDER_STATUSES.length - order.next;
        const newest = Math.max(wallNow, order.lastTimeMs + 21);
        order.lastTimeMs = newest;
        if (remaining >= 2 && random.chance(rates.outOfOrder)) {
          // Two changes a moment apart; the newer one is put first, so the older one must not win.
          const older = event(order, newest - 20);
          const newer = event(order, newest);
          sends.push({ atMs: nowMs, event: newer }, { atMs: nowMs, event: older, injected: 'out-of-order' });
        } else if (remaining >= 2 && random.chance(rates.late)) {
          // This change is held back and put after the next one: it arrives late.
          const held = event(order, newest - 20);
          sends.push({ atMs: nowMs, event: event(order, newest) }, { atMs: nowMs + LATE_BY_MS, event: held, injected: 'late' });
        } else {
          sends.push({ atMs: nowMs, event: event(order, newest) });
        }
        retireIfDone(index);
      }
      return withDuplicates(sends, nowMs, random, rates.duplicate);
    },
  };
}

/** Adds a producer duplicate after some of the sends (never of a duplicate). */
export function withDuplicates(sends: PlannedSend[], nowMs: number, random: Random, rate: number): PlannedSend[] {
  const out = [...sends];
  for (const send of sends) {
    if (random.chance(rate)) {
      out.push({ atMs: Math.max(send.atMs, nowMs + random.int(0, DUPLICATE_WITHIN_MS)), event: send.event, injected: 'duplicate' });
    }
  }
  return out;
}
