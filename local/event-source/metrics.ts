/**
 * The AWS/Lambda metrics a Kinesis event source mapping produces: IteratorAge per invoke (FunctionName
 * dimension) and, when MetricsConfig lists EventCount, the event count metrics (EventSourceMappingUUID
 * dimension), plus DestinationDeliveryFailures when the on-failure destination cannot be reached.
 */
import type { MetricSink } from '../contracts';

export const LAMBDA_NAMESPACE = 'AWS/Lambda';

export type EventCountMetric =
  | 'PolledEventCount'
  | 'InvokedEventCount'
  | 'FailedInvokeEventCount'
  | 'DroppedEventCount'
  | 'OnFailureDestinationDeliveredEventCount';

export class MappingMetrics {
  constructor(
    private readonly sink: MetricSink,
    private readonly ids: { readonly functionName: string; readonly uuid: string },
    private readonly eventCountsEnabled: boolean,
    private readonly now: () => number,
  ) {}

  iteratorAge(ageMs: number): void {
    this.sink.put({
      namespace: LAMBDA_NAMESPACE,
      metricName: 'IteratorAge',
      dimensions: { FunctionName: this.ids.functionName },
      value: Math.max(0, ageMs),
      unit: 'Milliseconds',
      timestamp: this.now(),
    });
  }

  eventCount(metric: EventCountMetric, count: number): void {
    if (!this.eventCountsEnabled || count === 0) return;
    this.sink.put({
      namespace: LAMBDA_NAMESPACE,
      metricName: metric,
      dimensions: { EventSourceMappingUUID: this.ids.uuid },
      value: count,
      unit: 'Count',
      timestamp: this.now(),
    });
  }

  destinationDeliveryFailure(): void {
    this.sink.put({
      namespace: LAMBDA_NAMESPACE,
      metricName: 'DestinationDeliveryFailures',
      dimensions: { FunctionName: this.ids.functionName },
      value: 1,
      unit: 'Count',
      timestamp: this.now(),
    });
  }
}
