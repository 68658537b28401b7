/**
 * The AWS/Lambda metrics a Kinesis event source mapping produces: IteratorAge per invoke (FunctionName
 * dimension) and, when MetricsConfig lists EventCount, the event count metrics (EventSourceMappingUUID
 * dimension), plus DestinationDeliveryFailures when the on-failure destination cannot be reached, and
 * the AWS/Kinesis ReadProvisionedThroughputExceeded of a stream whose shards are read over their limit.
 */
import type { MetricSink } from '../contracts';

export const LAMBDA_NAMESPACE = 'AWS/Lambda';
export const KINESIS_NAMESPACE = 'AWS/Kinesis';

/** One GetRecords call refused for the shard's read limit: the stream's ReadProvisionedThroughputExceeded. */
export function readThrottled(sink: MetricSink, streamName: string, timestamp: number): void {
  sink.put({ namespace: KINESIS_NAMESPACE, metricName: 'ReadProvisionedThroughputExceeded', dimensions: { StreamName: streamName }, value: 1, unit: 'Count', timestamp });
}

export type EventCountMetric =
  | 'PolledEventCount'
  | 'FilteredOutEventCount'
  | 'InvokedEventCount'
  | 'FailedInvokeEventCount'
  | 'DroppedEventCount'
  | 'OnFailureDestinationDeliveredEventCount';

export class MappingMetrics {
  constructor(
    private readonly sink: MetricSink,
    private readonly ids: { readonly functionName: string; readonly uuid: string },
    /** Whether MetricsConfig lists EventCount (read at each count: an update can switch it). */
    private readonly eventCountsEnabled: () => boolean,
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
    if (!this.eventCountsEnabled() || count === 0) return;
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
