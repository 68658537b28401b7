/**
 * The custom metrics the processor emits (CloudWatch EMF) and the stack alarms on.
 *
 * One definition for both sides: the CDK alarms and dashboard import these names, the processor
 * emits exactly them, and the local target evaluates the same alarms against the same names.
 *
 * Namespace `StreamPipeline`, one dimension `Pipeline` (the configured pipeline name). Latencies are
 * high-resolution (1 s) metrics in Milliseconds; counts are standard-resolution Count metrics.
 */
export const METRIC_NAMESPACE = 'StreamPipeline';
export const PIPELINE_DIMENSION = 'Pipeline';

export const ProcessorMetric = {
  /** Action completed minus the event's CloudEvents `time`: what the business feels. */
  EventToActionLatency: 'EventToActionLatency',
  /** Action completed minus Kinesis `approximateArrivalTimestamp`: what the pipeline adds. */
  IngestToActionLatency: 'IngestToActionLatency',
  /** Records whose action ran and committed in this invocation. */
  EventsProcessed: 'EventsProcessed',
  /** Records skipped because their idempotency key was already completed (or repeated in the batch). */
  EventsDuplicate: 'EventsDuplicate',
  /** Records sent to the DLQ by the processor (undecodable, invalid, unknown type, non-retryable). */
  EventsPoison: 'EventsPoison',
  /** Records reported as batch item failures, to be retried by the event source mapping. */
  EventsFailed: 'EventsFailed',
  /** Records older than the stored state, acknowledged without overwriting newer state. */
  EventsStale: 'EventsStale',
  /**
   * How far ahead of the processor's clock an event's `time` was (ms), one value per such event: those
   * within the clock-skew allowance (applied, but with no event-to-action latency: it is unknowable)
   * and those beyond it (dead-lettered as `time-in-future`). Its SampleCount is the number of skewed events.
   */
  EventTimeAhead: 'EventTimeAhead',
  /** Windowed pipelines: events too late for every window they belong to (dead-lettered as `too-late`). */
  EventsTooLate: 'EventsTooLate',
  /** Windowed pipelines, from the scheduled closer: windows made final in one run. */
  WindowsClosed: 'WindowsClosed',
  /** Windowed pipelines, from the scheduled closer: wall clock minus the pipeline's watermark (ms). */
  WatermarkLag: 'WatermarkLag',
  /** Windowed pipelines: window alerts published (a repeat after a crash counts again). */
  WindowAlertsPublished: 'WindowAlertsPublished',
} as const;
export type ProcessorMetricName = (typeof ProcessorMetric)[keyof typeof ProcessorMetric];

/** Metrics only windowed pipelines publish (the others never create them, so they cost nothing there). */
export const WINDOWED_ONLY_METRICS: readonly ProcessorMetricName[] = [
  ProcessorMetric.EventsTooLate,
  ProcessorMetric.WindowsClosed,
  ProcessorMetric.WatermarkLag,
  ProcessorMetric.WindowAlertsPublished,
];
