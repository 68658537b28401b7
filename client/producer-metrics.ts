/**
 * What a producer tells about itself: counters an application reads (`producer.metrics()`), and two
 * ways to publish them as CloudWatch metrics: Embedded Metric Format lines (stdout of a Lambda function,
 * or any process whose logs the CloudWatch agent ships) or PutMetricData datums. Counters are published
 * as the change since the previous publication; gauges as they are. README "Producer metrics and
 * alarms" lists the alarms an upstream team should copy.
 */
import type { MetricDatum, StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { PublisherStats } from './record-publisher';
import type { SpoolStats } from './spool/spool';

export interface ProducerMetrics {
  /** Events Kinesis acknowledged. Counter. */
  readonly sent: number;
  /** Sends retried (throttling, failures, outages). Counter. */
  readonly retried: number;
  /** Per-record throttling answers (ProvisionedThroughputExceededException). Counter. */
  readonly throttled: number;
  /** Events given back to the application (retry window or attempts exhausted, or a non-retryable error). Counter. */
  readonly givenUp: number;
  /** Events in memory, not yet acknowledged. Gauge. */
  readonly buffered: number;
  /** Events on the spool's disk, not yet acknowledged (0 without a spool). Gauge. */
  readonly spooled: number;
  /** Age of the oldest event sent and not yet acknowledged (ms; spool included). Gauge. */
  readonly oldestUnacknowledgedAgeMs: number;
  /** Bytes of the spool on disk. Gauge. */
  readonly spoolBytes: number;
  /** Events a previous process left in the spool, sent again by this one. */
  readonly recovered: number;
  /** Torn or corrupt spool tails found on open. */
  readonly spoolCorruptTails: number;
}

export function producerMetrics(publisher: PublisherStats, spool: SpoolStats | undefined, now: number = Date.now()): ProducerMetrics {
  const spoolAge = spool?.oldestUnacknowledgedAt === undefined ? 0 : now - spool.oldestUnacknowledgedAt;
  return {
    sent: publisher.acknowledged,
    retried: publisher.retries,
    throttled: publisher.throttled,
    givenUp: publisher.failed,
    buffered: publisher.buffered,
    spooled: spool?.unacknowledged ?? 0,
    oldestUnacknowledgedAgeMs: Math.max(publisher.oldestUnacknowledgedAgeMs, spoolAge),
    spoolBytes: spool?.bytes ?? 0,
    recovered: spool?.recovered ?? 0,
    spoolCorruptTails: spool?.corruptTails ?? 0,
  };
}

/** The CloudWatch name and unit of each metric; counters are published as deltas. */
const PUBLISHED: readonly { key: keyof ProducerMetrics; name: string; unit: StandardUnit; counter: boolean }[] = [
  { key: 'sent', name: 'EventsSent', unit: 'Count', counter: true },
  { key: 'retried', name: 'EventsRetried', unit: 'Count', counter: true },
  { key: 'throttled', name: 'EventsThrottled', unit: 'Count', counter: true },
  { key: 'givenUp', name: 'EventsGivenUp', unit: 'Count', counter: true },
  { key: 'buffered', name: 'EventsBuffered', unit: 'Count', counter: false },
  { key: 'spooled', name: 'EventsSpooled', unit: 'Count', counter: false },
  { key: 'oldestUnacknowledgedAgeMs', name: 'OldestUnacknowledgedAge', unit: 'Milliseconds', counter: false },
  { key: 'spoolBytes', name: 'SpoolBytes', unit: 'Bytes', counter: false },
  { key: 'spoolCorruptTails', name: 'SpoolCorruptTails', unit: 'Count', counter: false },
];

/** Default namespace of the producer's metrics. */
export const PRODUCER_METRICS_NAMESPACE = 'StreamPipeline/Producer';

export interface MetricsPublication {
  /** Default PRODUCER_METRICS_NAMESPACE. */
  readonly namespace?: string;
  /** E.g. `{ Stream: 'StreamPipeline-orders-events', Service: 'checkout' }`. Default none. */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** Turns snapshots into publications: counters as the change since the previous snapshot. */
export class ProducerMetricsPublisher {
  private previous: ProducerMetrics | undefined;

  constructor(private readonly publication: MetricsPublication = {}) {}

  /** The values to publish now (counters as deltas since the last call). */
  private values(current: ProducerMetrics): { name: string; unit: StandardUnit; value: number }[] {
    const previous = this.previous;
    this.previous = current;
    return PUBLISHED.map(({ key, name, unit, counter }) => ({ name, unit, value: counter ? current[key] - (previous?.[key] ?? 0) : current[key] }));
  }

  /** One Embedded Metric Format line (JSON): write it to stdout where CloudWatch Logs turns it into metrics. */
  emf(current: ProducerMetrics, timestamp: number = Date.now()): string {
    const values = this.values(current);
    const dimensions = this.publication.dimensions ?? {};
    return JSON.stringify({
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: this.publication.namespace ?? PRODUCER_METRICS_NAMESPACE,
            Dimensions: [Object.keys(dimensions)],
            Metrics: values.map(({ name, unit }) => ({ Name: name, Unit: unit })),
          },
        ],
      },
      ...dimensions,
      ...Object.fromEntries(values.map(({ name, value }) => [name, value])),
    });
  }

  /** The same as PutMetricData datums: `cloudwatch.send(new PutMetricDataCommand({ Namespace, MetricData }))`. */
  metricData(current: ProducerMetrics, timestamp: Date = new Date()): MetricDatum[] {
    const dimensions = Object.entries(this.publication.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value }));
    return this.values(current).map(({ name, unit, value }) => ({ MetricName: name, Unit: unit, Value: value, Timestamp: timestamp, Dimensions: dimensions }));
  }
}
