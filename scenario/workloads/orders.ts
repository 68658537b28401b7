/**
 * The `orders` workload: orders moving through their statuses, one event per status change, with
 * producer duplicates, out-of-order pairs and late events injected at the configured rates.
 *
 * Its judge: per order, the state item's count of applied events (written by the action in the same
 * transaction as the idempotency keys) equals the number of events that should have changed it (newer
 * than everything put before them for that order); more means an event was applied twice, fewer that an
 * effect was lost; the stored status is the newest event's. The item's `version` cannot serve: the
 * processor folds a batch's events on one order into one write.
 */
import type { CloudEvent } from '../../lambdas/shared/envelope';
import { OrderEventType } from '../../lambdas/shared/orders-events';
import { ORDER_STATUSES } from '../../client/examples/pipeline-events';
import type { Random } from '../../client/operations/seeded-random';
import { scanByPrefix } from '../aws/stores';
import type { LedgerEvent } from '../judge/ledger';
import type { DistinctEvent, EntityCheck } from '../judge/reconcile-pipeline';
import { eventFactory } from './events';
import { LATE_BY_MS, withDuplicates, type InjectionRates, type PipelineJudge, type PlannedSend, type WorkloadDefinition } from './workload';

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

/** The events of the orders workload on `pipeline`. */
export function orderEvents(pipeline: string, runId: string, random: Random, rates: InjectionRates): { create(nowMs: number, count: number): PlannedSend[] } {
  const newEvent = eventFactory(pipeline, runId);
  let orderCount = 0;
  const open: OpenOrder[] = [];
  const openOrder = (): OpenOrder => ({ orderId: `order-${runId}-${String(++orderCount).padStart(5, '0')}`, next: 0, lastTimeMs: 0 });
  while (open.length < OPEN_ORDERS) open.push(openOrder());

  const event = (order: OpenOrder, timeMs: number): CloudEvent<OrderEventData> => {
    const status = ORDER_STATUSES[order.next] as OrderStatus;
    order.next += 1;
    return newEvent<OrderEventData>(OrderEventType.StatusChanged, order.orderId, timeMs, { status, orderId: order.orderId });
  };

  const retireIfDone = (index: number): void => {
    const order = open[index] as OpenOrder;
    if (order.next >= ORDER_STATUSES.length) open[index] = openOrder();
  };

  return {
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
      return withDuplicates(sends, nowMs, random, rates.duplicates);
    },
  };
}

/** What the judge reads of an order's state item. */
export interface OrderState {
  readonly pk: string;
  readonly status?: string;
  /** The event that set the current state. */
  readonly eventId?: string;
  /** Events applied to the item, when the action counts them (undefined: it does not). */
  readonly appliedEvents?: number;
}

export function orderStateOf(item: Record<string, unknown>): OrderState {
  return {
    pk: String(item.pk),
    status: typeof item.status === 'string' ? item.status : undefined,
    eventId: typeof item.eventId === 'string' ? item.eventId : undefined,
    appliedEvents: typeof item.appliedEvents === 'number' ? item.appliedEvents : undefined,
  };
}

/** The status an order event sets. */
function statusOf(e: LedgerEvent): string | undefined {
  const data = e.event.data as { status?: unknown } | undefined;
  return typeof data?.status === 'string' ? data.status : undefined;
}

/** The judge of an orders pipeline, given its state items by pk: newest event wins, exactly once. */
export function ordersJudge(state: ReadonlyMap<string, OrderState>): PipelineJudge {
  return {
    ordering: 'newest-wins',
    actionKind: 'transactional',
    judge: (distinct) => ({
      checks: checkOrders(state, distinct),
      caveats: [...state.values()].some((item) => item.appliedEvents === undefined)
        ? [
            'the orders state items keep no count of applied events, so a second application of an order\'s newest event would leave no trace; ' +
              'exactly-once is checked through the idempotency keys (written in the same transaction as the state) and the final state of every order',
          ]
        : [],
    }),
  };
}

/** Per order: applied count = events expected to apply, status = the newest event's. */
function checkOrders(state: ReadonlyMap<string, OrderState>, distinct: readonly DistinctEvent[]): EntityCheck[] {
  const bySubject = new Map<string, DistinctEvent[]>();
  for (const d of distinct) {
    const subject = d.first.event.subject ?? d.first.event.id;
    bySubject.set(subject, [...(bySubject.get(subject) ?? []), d]);
  }
  const checks: EntityCheck[] = [];
  for (const [subject, events] of bySubject) {
    const applied = events.filter((e) => e.expected === 'applied');
    const newest = applied.at(-1);
    const expectedStatus = newest ? statusOf(newest.first) : undefined;
    const expectedId = newest?.first.event.id;
    const item = state.get(subject);
    const stateOk = item?.status === expectedStatus && (item?.eventId === undefined || item.eventId === expectedId);
    const count = item ? item.appliedEvents : 0;
    let countText = 'applied count not kept';
    if (count !== undefined) {
      countText = `${count} applied`;
      if (count > applied.length) countText += ' (more: applied twice)';
      if (count < applied.length) countText += ' (fewer: lost)';
    }
    checks.push({
      entity: `order ${subject}`,
      expected: `${applied.length} applied, status ${expectedStatus ?? '?'} from ${expectedId ?? '?'}`,
      observed: `${countText}, status ${item?.status ?? 'none'} from ${item?.eventId ?? '?'}`,
      ok: (count === undefined || count === applied.length) && stateOk,
    });
  }
  return checks;
}

export const ordersWorkload: WorkloadDefinition = {
  action: 'orders',
  eventType: OrderEventType.StatusChanged,
  entityLabel: 'orders',
  async start({ pipeline, runId, random, rates, names, clients }) {
    const events = orderEvents(pipeline.name, runId, random, rates);
    return {
      create: (nowMs, count) => events.create(nowMs, count),
      async observe() {
        const items = await scanByPrefix(clients.dynamodb, names.stateTableName, `order-${runId}-`);
        return ordersJudge(new Map(items.map((item) => [String(item.pk), orderStateOf(item)])));
      },
      close: async () => undefined,
    };
  },
};
