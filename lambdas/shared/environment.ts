/**
 * The environment variables the stack sets on a processor function. The CDK construct writes them
 * and the processor reads them through `readProcessorEnvironment()`, so the names live only here.
 */
export const ProcessorEnv = {
  PipelineName: 'PIPELINE_NAME',
  IdempotencyTable: 'IDEMPOTENCY_TABLE_NAME',
  DeadLetterQueueUrl: 'DLQ_URL',
  /** `orders` action only. */
  StateTable: 'STATE_TABLE_NAME',
  /** `telemetry` action only. */
  AlertsTopicArn: 'ALERTS_TOPIC_ARN',
  /** `telemetry` action only: JSON of the pipeline's `telemetry` configuration. */
  TelemetryConfig: 'TELEMETRY_CONFIG',
  IdempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  LeaseSeconds: 'IDEMPOTENCY_LEASE_SECONDS',
  KeyConcurrency: 'KEY_CONCURRENCY',
  TimeMarginMs: 'TIME_MARGIN_MS',
  ClockSkewAllowanceSeconds: 'CLOCK_SKEW_ALLOWANCE_SECONDS',
  /** Windowed actions only: JSON of the pipeline's `windows` configuration. */
  WindowsConfig: 'WINDOWS_CONFIG',
  /** `returns` action only: JSON of the pipeline's `spike` configuration. */
  SpikeConfig: 'SPIKE_CONFIG',
  /** Windowed actions only: the stream's name (the closer lists its shards for the watermark). */
  StreamName: 'STREAM_NAME',
  /**
   * Actions from the user's own code only: the kind the pipeline declares (`action.kind`); the processor
   * refuses to run an action of another kind (the stack provisioned for the declared one).
   */
  ActionKind: 'ACTION_KIND',
} as const;

/** Powertools' own variables (service name, log level, metrics namespace). */
export const PowertoolsEnv = {
  ServiceName: 'POWERTOOLS_SERVICE_NAME',
  LogLevel: 'POWERTOOLS_LOG_LEVEL',
  MetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;
