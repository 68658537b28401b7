/**
 * CloudWatch Embedded Metric Format lines for one batch, exactly as lambdas/shared/metrics-contract.ts
 * declares them: namespace StreamPipeline, the single dimension Pipeline, latencies high-resolution in
 * Milliseconds, counts standard-resolution Count.
 *
 * Written by hand rather than with Powertools Metrics because Powertools always adds a `service`
 * dimension, and the alarms select on `Pipeline` alone.
 */
import { METRIC_NAMESPACE, PIPELINE_DIMENSION, ProcessorMetric } from '../shared/metrics-contract';

/** EMF accepts at most 100 values per metric in one document. */
const MAX_VALUES_PER_DOCUMENT = 100;

export interface BatchMetrics {
  readonly eventToActionMs: readonly number[];
  readonly timeAheadMs: readonly number[];
  readonly ingestToActionMs: readonly number[];
  readonly processed: number;
  readonly duplicate: number;
  readonly poison: number;
  readonly failed: number;
  readonly stale: number;
  /** Windowed pipelines only (other pipelines publish no such metric). */
  readonly windowed?: { readonly tooLate: number; readonly alertsPublished: number };
}

/** Where EMF lines go: stdout in Lambda (the runtime ships it to CloudWatch Logs). */
export type MetricsWriter = (line: string) => void;
export const stdoutMetricsWriter: MetricsWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

type MetricDefinition = { Name: string; Unit: 'Milliseconds' | 'Count'; StorageResolution: 1 | 60 };

function document(pipeline: string, timestamp: number, definitions: MetricDefinition[], values: Record<string, number | number[]>): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[PIPELINE_DIMENSION]], Metrics: definitions }],
    },
    [PIPELINE_DIMENSION]: pipeline,
    ...values,
  });
}

/** The EMF documents for one batch: counts in the first, latency values spread 100 per document. */
export function emfLines(pipeline: string, metrics: BatchMetrics, timestamp = Date.now()): string[] {
  const counts: Record<string, number> = {
    [ProcessorMetric.EventsProcessed]: metrics.processed,
    [ProcessorMetric.EventsDuplicate]: metrics.duplicate,
    [ProcessorMetric.EventsPoison]: metrics.poison,
    [ProcessorMetric.EventsFailed]: metrics.failed,
    [ProcessorMetric.EventsStale]: metrics.stale,
    ...(metrics.windowed ? { [ProcessorMetric.EventsTooLate]: metrics.windowed.tooLate, [ProcessorMetric.WindowAlertsPublished]: metrics.windowed.alertsPublished } : {}),
  };
  const lines: string[] = [];
  const series: [string, readonly number[], MetricDefinition['StorageResolution']][] = [
    [ProcessorMetric.EventToActionLatency, metrics.eventToActionMs, 1],
    [ProcessorMetric.IngestToActionLatency, metrics.ingestToActionMs, 1],
    [ProcessorMetric.EventTimeAhead, metrics.timeAheadMs, 60],
  ];
  const documents = Math.max(1, Math.ceil(Math.max(...series.map(([, all]) => all.length)) / MAX_VALUES_PER_DOCUMENT));
  for (let d = 0; d < documents; d++) {
    const definitions: MetricDefinition[] = [];
    const values: Record<string, number | number[]> = {};
    for (const [name, all, resolution] of series) {
      const slice = all.slice(d * MAX_VALUES_PER_DOCUMENT, (d + 1) * MAX_VALUES_PER_DOCUMENT);
      if (slice.length === 0) continue;
      definitions.push({ Name: name, Unit: 'Milliseconds', StorageResolution: resolution });
      values[name] = slice;
    }
    if (d === 0) {
      for (const [name, value] of Object.entries(counts)) {
        definitions.push({ Name: name, Unit: 'Count', StorageResolution: 60 });
        values[name] = value;
      }
    }
    lines.push(document(pipeline, timestamp, definitions, values));
  }
  return lines;
}

/** What one run of a windowed pipeline's closer publishes. */
export interface CloserMetrics {
  readonly windowsClosed: number;
  readonly watermarkLagMs: number;
  readonly alertsRetried: number;
}

export function closerEmfLines(pipeline: string, metrics: CloserMetrics, timestamp = Date.now()): string[] {
  return [
    document(
      pipeline,
      timestamp,
      [
        { Name: ProcessorMetric.WindowsClosed, Unit: 'Count', StorageResolution: 60 },
        { Name: ProcessorMetric.WatermarkLag, Unit: 'Milliseconds', StorageResolution: 60 },
        { Name: ProcessorMetric.WindowAlertsPublished, Unit: 'Count', StorageResolution: 60 },
      ],
      {
        [ProcessorMetric.WindowsClosed]: metrics.windowsClosed,
        [ProcessorMetric.WatermarkLag]: metrics.watermarkLagMs,
        [ProcessorMetric.WindowAlertsPublished]: metrics.alertsRetried,
      },
    ),
  ];
}
