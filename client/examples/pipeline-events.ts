/**
 * Valid example events for each shipped action, shaped as the action reads them (see
 * lambdas/actions/): the `load` command and demos use them, and application developers can copy them.
 */
import type { ActionName } from '../../lambdas/shared/actions';
import { OrderEventType } from '../../lambdas/shared/orders-events';
import { TelemetryEventType } from '../../lambdas/shared/telemetry-events';
import { ReturnEventType } from '../../lambdas/shared/returns-events';
import type { Threshold } from '../../lambdas/shared/telemetry-config';
import type { EventInput } from '../envelope-builder';

/** The life of an order, one `order.status-changed` event per step. */
export const ORDER_STATUSES = ['created', 'paid', 'packed', 'shipped', 'delivered'] as const;

export interface ExampleEvents {
  /** The subject (partition key) of key number `index` of the key space. */
  subject(index: number): string;
  /** The next event of a subject, happening at `time`. Successive calls for one subject tell a consistent story. */
  next(subject: string, time: Date): EventInput;
}

/**
 * What the example events need to know of a pipeline: its action and, for telemetry, the limits its
 * readings stay inside. A configured pipeline (lib/config `PipelineConfig`) is one.
 */
export interface ExamplePipeline {
  readonly action: ActionName;
  readonly telemetry?: { readonly thresholds: Thresholds };
}

/** Example events for a pipeline's action. `prefix` keeps the subjects of separate runs apart. */
export function exampleEvents(pipeline: ExamplePipeline, prefix: string): ExampleEvents {
  switch (pipeline.action) {
    case 'orders':
      return orderEvents(prefix);
    case 'telemetry':
      return readingEvents(prefix, pipeline.telemetry?.thresholds ?? {});
    case 'returns':
      return returnEvents(prefix);
    case 'noop':
      return noopEvents(prefix);
  }
}

function orderEvents(prefix: string): ExampleEvents {
  const steps = new Map<string, number>();
  return {
    subject: (index) => `order-${prefix}-${index}`,
    next(subject, time) {
      const step = steps.get(subject) ?? 0;
      steps.set(subject, step + 1);
      // After delivery the same order id starts over: a key space stays small and keeps moving.
      const status = ORDER_STATUSES[step % ORDER_STATUSES.length]!;
      return { type: OrderEventType.StatusChanged, subject, time, data: { status, orderId: subject, step } };
    },
  };
}

/** A telemetry pipeline's limits, per metric. */
export type Thresholds = Readonly<Record<string, Threshold>>;

/** A value comfortably inside a threshold (`roll` in [0, 1)): readings that never open an incident. */
export function normalValue(threshold: Threshold, roll: number): number {
  const { min, max } = threshold;
  const [low, high] =
    min !== undefined && max !== undefined ? [min + (max - min) * 0.2, max - (max - min) * 0.2] : max !== undefined ? [max * 0.4, max * 0.8] : [min! * 1.2, min! * 2];
  return Math.round((low + (high - low) * roll) * 10) / 10;
}

/** A value clearly outside a threshold (above its max, else below its min): a reading that opens an incident. */
export function breachingValue(threshold: Threshold): number {
  const { min, max } = threshold;
  const value = max !== undefined ? max + Math.max(1, Math.abs(max) * 0.1) : min! - Math.max(1, Math.abs(min!) * 0.5);
  return Math.round(value * 10) / 10;
}

function readingEvents(prefix: string, thresholds: Thresholds): ExampleEvents {
  let counter = 0;
  return {
    subject: (index) => `device-${prefix}-${index}`,
    next(subject, time) {
      const readings: Record<string, number> = {};
      for (const [metric, threshold] of Object.entries(thresholds)) readings[metric] = normalValue(threshold, ((counter++ * 0.618034) % 1 + 1) % 1);
      return { type: TelemetryEventType.Reading, subject, time, data: { deviceId: subject, readings } };
    },
  };
}

export const RETURN_REASONS = ['damaged', 'wrong size', 'not as described', 'changed mind', 'late delivery'] as const;

/** Returns of a few SKUs (the window key), the subject being the order: one return per order. */
function returnEvents(prefix: string): ExampleEvents {
  let counter = 0;
  return {
    subject: (index) => `order-${prefix}-r${index}`,
    next(subject, time) {
      const n = counter++;
      const sku = `sku-${prefix}-${(n * 7) % 20}`;
      return { type: ReturnEventType.Returned, subject, time, data: { orderId: subject, sku, reason: RETURN_REASONS[n % RETURN_REASONS.length]!, amount: 10 + (n % 90) } };
    },
  };
}

function noopEvents(prefix: string): ExampleEvents {
  let counter = 0;
  return {
    subject: (index) => `key-${prefix}-${index}`,
    next: (subject, time) => ({ type: 'example.happened', subject, time, data: { n: counter++ } }),
  };
}
