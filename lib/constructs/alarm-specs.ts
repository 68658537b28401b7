/**
 * Every alarm of a pipeline, as data: one table that the construct turns into CloudWatch alarms, the
 * docs turn into the alarms table, and the tests check row by row.
 *
 * Plain values only (no CDK objects) so the table can be read without synthesizing a stack. The one
 * value only known at deploy time, the event source mapping's UUID, is passed in (a token in the stack,
 * a placeholder in the docs).
 */
import { AlarmKind, alarmName, iteratorAgeThresholdMs, watermarkLagThresholdSeconds, type AlarmKindName, type PipelineConfig, type PipelineResourceNames } from '../config';
import { METRIC_NAMESPACE, PIPELINE_DIMENSION, ProcessorMetric } from '../../lambdas/shared/metrics-contract';

// The alarm kinds name the alarms (lib/config/resource-names.ts); the table below gives each its metric.
export { AlarmKind, type AlarmKindName } from '../config';

/**
 * How CloudWatch treats a period without data. Chosen per alarm, never left to the default: the
 * reason is in `missingDataReason` and lands in the docs.
 */
export type MissingData = 'notBreaching' | 'breaching' | 'ignore' | 'missing';

/** One CloudWatch metric and the statistic an alarm takes of it per period. */
export interface WatchedMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** CloudWatch statistic: `Sum`, `Maximum`, `p99`, ... */
  readonly statistic: string;
}

/**
 * A metric-math input: one expression over named metrics. Used where no single metric can tell the
 * fault, e.g. "records arrive but none are read" (a silent consumer publishes nothing at all).
 */
export interface MetricMath {
  /** CloudWatch metric math, e.g. `IF(FILL(incoming, 0) > 0 AND FILL(polled, 0) == 0, 1, 0)`. */
  readonly expression: string;
  /** What the expression's value means, shown on graphs and in the docs. */
  readonly label: string;
  /** The metrics the expression names, by id (ids start with a lowercase letter). */
  readonly metrics: Readonly<Record<string, WatchedMetric>>;
}

interface AlarmSpecCommon {
  readonly kind: AlarmKindName;
  /** `<alarmNamePrefix><kind>`, e.g. `StreamPipeline-orders-IteratorAge`. */
  readonly alarmName: string;
  readonly periodSeconds: number;
  /** The alarm fires when the statistic is strictly greater than this. */
  readonly threshold: number;
  /** Human form of the threshold for descriptions and docs, e.g. `> 5000 ms (p99)`. */
  readonly thresholdText: string;
  readonly evaluationPeriods: number;
  /**
   * Breaching periods among `evaluationPeriods` needed to fire: all of them for level signals that
   * may blip (latency, throttles), one for discrete faults where a single occurrence matters
   * (a poison record, a dropped event, a message in the DLQ).
   */
  readonly datapointsToAlarm: number;
  readonly treatMissingData: MissingData;
  readonly missingDataReason: string;
  /** What it means, for the on-call engineer. */
  readonly meaning: string;
  /** The first three things to check, in order. */
  readonly firstChecks: readonly [string, string, string];
}

/** An alarm on one metric's statistic. */
export type MetricAlarmSpec = AlarmSpecCommon & WatchedMetric & { readonly math?: undefined };
/** An alarm on a metric-math expression. */
export type MathAlarmSpec = AlarmSpecCommon & { readonly math: MetricMath };
export type AlarmSpec = MetricAlarmSpec | MathAlarmSpec;

/** What the alarm table needs to know about one deployed pipeline. */
export interface AlarmSpecOptions {
  readonly pipeline: PipelineConfig;
  readonly names: PipelineResourceNames;
  /** The Kinesis event source mapping's UUID (a CloudFormation token in the stack). */
  readonly eventSourceMappingUuid: string;
}

/** Omit over each member of a union (plain Omit would keep only the keys all members share). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Periods a `sustainedDespiteLateData` alarm looks back beyond the configured evaluation periods: the
 * newest period of a service metric may not be published yet when the alarm evaluates, and metric
 * math's FILL counts it as 0, which would break every streak.
 */
export const LATE_DATA_PERIODS = 2;

type Row = DistributiveOmit<AlarmSpec, 'alarmName' | 'periodSeconds' | 'evaluationPeriods' | 'datapointsToAlarm'> & {
  /**
   * `sustained`: every evaluated period breaches; `any`: one breaching period fires;
   * `sustainedDespiteLateData`: as many breaching periods as `sustained` needs, among
   * LATE_DATA_PERIODS more periods (3 of 5 by default).
   */
  readonly fireOn: 'sustained' | 'any' | 'sustainedDespiteLateData';
};

/** The table of alarms for one pipeline, in the order they appear on the dashboard and in the docs. */
export function pipelineAlarmSpecs({ pipeline, names, eventSourceMappingUuid }: AlarmSpecOptions): AlarmSpec[] {
  const p = pipeline.name;
  const pipelineDims = { [PIPELINE_DIMENSION]: p };
  const functionDims = { FunctionName: names.functionName };
  const queueDims = { QueueName: names.dlqName };
  const streamDims = { StreamName: names.streamName };
  const tableDims = { TableName: names.idempotencyTableName };
  const mappingDims = { EventSourceMappingUUID: eventSourceMappingUuid };
  const retention = `${pipeline.stream.retentionHours} h`;
  const dlqList = `\`npx stream-pipeline dlq list --pipeline ${p}\``;
  const dlqReplay = `\`npx stream-pipeline dlq replay --pipeline ${p}\``;
  const logs = `the processor logs (/aws/lambda/${names.functionName})`;
  const iteratorThreshold = iteratorAgeThresholdMs(pipeline);
  const objective = pipeline.alarms.latencyObjectiveMs;
  const minLate = pipeline.alarms.latencyMinLateEvents;
  const eventCountReason =
    'the metric is only published while there is traffic; no data means nothing happened, and a stalled consumer is caught by ConsumerStalled, IteratorAge and ProcessorErrors';

  const rows: Row[] = [
    {
      kind: AlarmKind.EventToActionLatencyP99,
      math: latencyObjectiveMath(pipeline),
      threshold: objective,
      thresholdText: `p99 > ${objective} ms (the latency objective), counted only in a period with at least ${events(minLate)} later than ${objective} ms`,
      // The objective is a promise for every period: one period whose p99 missed it is a breach the
      // business felt. A consumer outage shows exactly so: nothing is measured while the consumer is
      // down, then the backlog completes late within one or two periods. Requiring every evaluated
      // period to breach would let such an outage pass unpaged; it clears after a full clean window.
      fireOn: 'any',
      treatMissingData: 'notBreaching',
      missingDataReason:
        'latency is only measured when records complete, and a period with no completed record has no datapoint; records that wait unread show up in ConsumerStalled, records that cannot complete in IteratorAge, ProcessorErrors and the DLQ alarms',
      meaning: `Events take longer than the objective from their CloudEvents time to the ${pipeline.action} action: at least ${events(minLate)} late in one period, and more than 1% of that period's events.`,
      firstChecks: [
        'IteratorAge on the dashboard: if it is high too, the processor is behind (see ProcessorErrors, ProcessorThrottles; raise parallelizationFactor or shards)',
        'if IteratorAge is low, compare with IngestToActionLatency: a gap means producers send events late (event time far before arrival), or a replay (`dlq replay`) put old events back',
        `${logs}: the per-batch summary line shows slow actions or retries against the state table or topic`,
      ],
    },
    {
      kind: AlarmKind.IteratorAge,
      namespace: 'AWS/Lambda',
      metricName: 'IteratorAge',
      dimensions: functionDims,
      statistic: 'Maximum',
      threshold: iteratorThreshold,
      thresholdText: `Maximum > ${iteratorThreshold} ms`,
      fireOn: 'sustained',
      treatMissingData: 'notBreaching',
      missingDataReason:
        'Lambda publishes IteratorAge only when it invokes the function; a failing batch keeps being retried (and measured), so silence means an idle stream',
      meaning: `The processor reads the stream ${iteratorThreshold} ms or more behind its tip: records are waiting; past ${retention} they expire unprocessed.`,
      firstChecks: [
        'ProcessorErrors and ProcessorThrottles: a failing or throttled function blocks its shard until retries end',
        `${dlqList}: batches that gave up after retries land there`,
        'records in vs out on the dashboard: if the stream receives more than the processor handles, raise batchSize, parallelizationFactor or shard count',
      ],
    },
    {
      kind: AlarmKind.ConsumerStalled,
      math: {
        // FILL turns "no datapoint" into 0: a disabled consumer publishes no PolledEventCount at all,
        // and an idle stream (no IncomingRecords) evaluates to 0, never to a breach.
        expression: 'IF(FILL(incoming, 0) > 0 AND FILL(polled, 0) == 0, 1, 0)',
        label: 'records in, none read (1 = stalled)',
        metrics: {
          incoming: { namespace: 'AWS/Kinesis', metricName: 'IncomingRecords', dimensions: streamDims, statistic: 'Sum' },
          polled: { namespace: 'AWS/Lambda', metricName: 'PolledEventCount', dimensions: mappingDims, statistic: 'Sum' },
        },
      },
      threshold: 0,
      thresholdText: 'records arrive and none are read',
      // Sustained: at low traffic a record put at the end of a period is read in the next one. Despite
      // late data: the newest IncomingRecords or PolledEventCount datapoint may not be published yet.
      fireOn: 'sustainedDespiteLateData',
      treatMissingData: 'notBreaching',
      missingDataReason:
        'the expression fills missing metrics with 0, so a period without data is an idle stream with nobody waiting',
      meaning: `Records are arriving in the stream but the event source mapping reads none: the consumer is disabled, deleted, cannot read the stream, or is stuck. Nothing else pages for a silent consumer (it publishes no metrics); records wait and expire after ${retention}.`,
      firstChecks: [
        `\`aws lambda get-event-source-mapping --uuid <EventSourceMappingUUID>\`: State (Disabled? someone switched it off) and StateTransitionReason`,
        `the function's role and the stream's KMS key: the mapping needs kinesis:GetRecords and kms:Decrypt (a changed policy stops reads)`,
        'ProcessorErrors and IteratorAge: a batch retried over and over also stops new reads on its shard',
      ],
    },
    {
      kind: AlarmKind.ProcessorErrors,
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: functionDims,
      statistic: 'Sum',
      threshold: 0,
      thresholdText: '> 0 errors in every period',
      fireOn: 'sustained',
      treatMissingData: 'notBreaching',
      missingDataReason: 'Lambda publishes Errors only for invocations; no invocations means no errors',
      meaning:
        'The processor function fails whole invocations (crash, timeout, out of memory): its shard is retried from the checkpoint and blocked until retries end.',
      firstChecks: [
        `${logs}: the error and stack trace of the failing requests`,
        'Duration against the timeout and Max Memory Used against the memory size: timeouts and OOM are errors too',
        'the last deployment or configuration change of this pipeline',
      ],
    },
    {
      kind: AlarmKind.ProcessorThrottles,
      namespace: 'AWS/Lambda',
      metricName: 'Throttles',
      dimensions: functionDims,
      statistic: 'Sum',
      threshold: 0,
      thresholdText: '> 0 throttles in every period',
      fireOn: 'sustained',
      treatMissingData: 'notBreaching',
      missingDataReason: 'Lambda publishes Throttles only when invocations are throttled',
      meaning: 'Lambda refuses to run the processor for lack of concurrency: the shards wait and IteratorAge grows.',
      firstChecks: [
        'the account ConcurrentExecutions against its quota (other functions may use it up)',
        'reserved concurrency on this function, if someone set one',
        'shards × parallelizationFactor: the concurrency this pipeline needs',
      ],
    },
    {
      kind: AlarmKind.DroppedEvents,
      namespace: 'AWS/Lambda',
      metricName: 'DroppedEventCount',
      dimensions: mappingDims,
      statistic: 'Sum',
      threshold: 0,
      thresholdText: '> 0 events in any period',
      fireOn: 'any',
      treatMissingData: 'notBreaching',
      missingDataReason: eventCountReason,
      meaning:
        'Records gave up (retries exhausted or too old) and could NOT be recorded in the DLQ: they are skipped with no trace but this metric. Data loss unless replayed.',
      firstChecks: [
        'DestinationDeliveryFailures of the function: the role must be able to sqs:SendMessage to the DLQ and use its KMS key',
        'that the DLQ exists and its key is enabled',
        `note the time window and re-read those records from the stream before its ${retention} retention ends`,
      ],
    },
    {
      kind: AlarmKind.DlqMessagesVisible,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: queueDims,
      statistic: 'Maximum',
      threshold: 0,
      thresholdText: '> 0 messages',
      fireOn: 'any',
      treatMissingData: 'notBreaching',
      missingDataReason:
        'SQS keeps publishing queue metrics while a queue holds messages; it only stops for an empty, inactive queue',
      meaning:
        'Records failed for good: poison records sent by the processor, or batches the event source mapping gave up on. They wait in the DLQ for inspection and replay.',
      firstChecks: [
        `${dlqList}: the reason of each message (poison record or gave-up batch)`,
        'fix the cause: the producer (see the event source), the action code, or the downstream dependency',
        `${dlqReplay} once fixed, within the stream's ${retention} retention for gave-up batches`,
      ],
    },
    {
      kind: AlarmKind.DlqOldestMessageAge,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: queueDims,
      statistic: 'Maximum',
      threshold: pipeline.alarms.dlqOldestMessageAgeSeconds,
      thresholdText: `> ${pipeline.alarms.dlqOldestMessageAgeSeconds} s`,
      fireOn: 'sustained',
      treatMissingData: 'notBreaching',
      missingDataReason:
        'SQS keeps publishing queue metrics while a queue holds messages; no data means an empty queue, which has no old message',
      meaning: `A failed record has waited in the DLQ for more than ${pipeline.alarms.dlqOldestMessageAgeSeconds} s without being handled; the replay window (stream retention ${retention}) is closing.`,
      firstChecks: [
        `${dlqList}: what is waiting and since when`,
        `${dlqReplay} for the ones whose cause is fixed`,
        'who owns the fix: a poison record needs its producer, a gave-up batch needs the processor or a dependency',
      ],
    },
    {
      kind: AlarmKind.PoisonEvents,
      namespace: METRIC_NAMESPACE,
      metricName: ProcessorMetric.EventsPoison,
      dimensions: pipelineDims,
      statistic: 'Sum',
      threshold: 0,
      thresholdText: '> 0 records in any period',
      fireOn: 'any',
      treatMissingData: 'notBreaching',
      missingDataReason: 'the processor publishes the count with each batch; no batches means no poison records',
      meaning:
        'The processor received records it can never process (not JSON, invalid CloudEvent, unknown type, rejected by the action, failing the action\'s code, refused by the store, dated beyond the clock-skew allowance) and sent them to the DLQ.',
      firstChecks: [
        `${dlqList}: the reason names the bad field or the error`,
        'the CloudEvents source of those records: which producer sends them, and since which deployment',
        `${dlqReplay} after the producer or the action is fixed`,
      ],
    },
    {
      kind: AlarmKind.StreamWriteThrottled,
      namespace: 'AWS/Kinesis',
      metricName: 'WriteProvisionedThroughputExceeded',
      dimensions: streamDims,
      statistic: 'Sum',
      threshold: 0,
      thresholdText: '> 0 records in every period',
      fireOn: 'sustained',
      treatMissingData: 'notBreaching',
      missingDataReason: 'Kinesis publishes stream metrics only while producers write',
      meaning: 'The stream rejects producer writes (PutRecord and PutRecords): producers retry, slow down or lose events.',
      firstChecks: [
        `stream mode ${pipeline.stream.mode}: a provisioned stream needs more shards; an on-demand stream throttles bursts above twice its previous peak`,
        'a hot partition key: one subject receiving more than 1 MB/s or 1,000 records/s',
        'producer errors and retries (the producer client reports per-record failures)',
      ],
    },
    {
      kind: AlarmKind.PutRecordsThrottled,
      namespace: 'AWS/Kinesis',
      metricName: 'PutRecords.ThrottledRecords',
      dimensions: streamDims,
      statistic: 'Sum',
      threshold: 0,
      thresholdText: '> 0 records in every period',
      fireOn: 'sustained',
      treatMissingData: 'notBreaching',
      missingDataReason: 'Kinesis publishes PutRecords metrics only for PutRecords calls',
      meaning: 'Records inside PutRecords batches are throttled: producers must retry exactly those records or lose them.',
      firstChecks: [
        'StreamWriteThrottled and the shard count or on-demand peak',
        'the partition key spread of the producers (a hot subject)',
        'that producers retry the failed records of a PutRecords response, not the whole batch',
      ],
    },
    {
      kind: AlarmKind.StreamReadThrottled,
      namespace: 'AWS/Kinesis',
      metricName: 'ReadProvisionedThroughputExceeded',
      dimensions: streamDims,
      statistic: 'Sum',
      threshold: 0,
      thresholdText: '> 0 in every period',
      fireOn: 'sustained',
      treatMissingData: 'notBreaching',
      missingDataReason: 'Kinesis publishes read metrics only while consumers read',
      meaning: 'Consumers read more than the shards allow (5 GetRecords/s, 2 MB/s per shard, shared by all consumers): the processor falls behind.',
      firstChecks: [
        'other consumers of the same stream (each standard consumer shares the per-shard read limits)',
        'IteratorAge: whether the processor is falling behind because of it',
        'enhanced fan-out for extra consumers, or more shards',
      ],
    },
    {
      kind: AlarmKind.IdempotencyReadThrottled,
      namespace: 'AWS/DynamoDB',
      metricName: 'ReadThrottleEvents',
      dimensions: tableDims,
      statistic: 'Sum',
      threshold: 0,
      thresholdText: '> 0 events in every period',
      fireOn: 'sustained',
      treatMissingData: 'notBreaching',
      missingDataReason: 'DynamoDB publishes throttle events only when requests are throttled',
      meaning: 'Reads of the idempotency table are throttled: the processor retries and batches slow down or fail.',
      firstChecks: [
        'the table is on-demand: look for the account or table throughput quota, or a hot key (one source+id read very often)',
        'ProcessorErrors and IteratorAge: whether processing is affected',
        'a replay or backfill running at the same time',
      ],
    },
    {
      kind: AlarmKind.IdempotencyWriteThrottled,
      namespace: 'AWS/DynamoDB',
      metricName: 'WriteThrottleEvents',
      dimensions: tableDims,
      statistic: 'Sum',
      threshold: 0,
      thresholdText: '> 0 events in every period',
      fireOn: 'sustained',
      treatMissingData: 'notBreaching',
      missingDataReason: 'DynamoDB publishes throttle events only when requests are throttled',
      meaning: 'Writes of idempotency keys are throttled: records are retried, batches slow down, IteratorAge grows.',
      firstChecks: [
        'the account or table write quota (on-demand tables still have per-table limits)',
        'a sudden surge: records in on the dashboard, or a replay running',
        'ProcessorErrors and IteratorAge: whether processing is affected',
      ],
    },
  ];

  rows.push(...windowedRows(pipeline, pipelineDims, logs, dlqList));

  const { periodSeconds, evaluationPeriods } = pipeline.alarms;
  return rows.map(({ fireOn, ...row }) => ({
    ...row,
    alarmName: alarmName(names, row.kind),
    periodSeconds,
    evaluationPeriods: fireOn === 'sustainedDespiteLateData' ? evaluationPeriods + LATE_DATA_PERIODS : evaluationPeriods,
    datapointsToAlarm: fireOn === 'any' ? 1 : evaluationPeriods,
  }));
}

/** Windowed pipelines: a watermark that stops advancing, and events too late for their windows. */
function windowedRows(pipeline: PipelineConfig, pipelineDims: Record<string, string>, logs: string, dlqList: string): Row[] {
  const lagSeconds = watermarkLagThresholdSeconds(pipeline);
  if (!pipeline.windows || lagSeconds === undefined) return [];
  const w = pipeline.windows;
  return [
    {
      kind: AlarmKind.WatermarkStalled,
      namespace: METRIC_NAMESPACE,
      metricName: ProcessorMetric.WatermarkLag,
      dimensions: pipelineDims,
      statistic: 'Maximum',
      threshold: lagSeconds * 1000,
      thresholdText: `> ${lagSeconds} s behind the wall clock in every period`,
      fireOn: 'sustained',
      treatMissingData: 'breaching',
      missingDataReason: 'the closer publishes the lag on every scheduled run, every minute, traffic or not: no data means the schedule or the closer stopped, and no window closes',
      meaning: `The event-time watermark is not advancing: windows do not close and results are not written. A shard whose consumer is stuck holds it back for up to ${w.idleTimeoutSeconds} s (the idle timeout); longer means the closer is not running, or every active shard is behind.`,
      firstChecks: [
        `the closer's runs in ${logs} ("windows closed" lines) and the pipeline's EventBridge schedule (enabled, invocations, failed invocations)`,
        'ConsumerStalled and IteratorAge: a shard that is not being processed',
        'the producers\' event times: events dated far in the past (a backfill) keep the watermark behind the clock by design',
      ],
    },
    {
      kind: AlarmKind.TooLateEvents,
      namespace: METRIC_NAMESPACE,
      metricName: ProcessorMetric.EventsTooLate,
      dimensions: pipelineDims,
      statistic: 'Sum',
      threshold: 0,
      thresholdText: '> 0 events in any period',
      fireOn: 'any',
      treatMissingData: 'notBreaching',
      missingDataReason: 'the processor publishes the count with each batch; no batches means no late events',
      meaning: `Events arrived after every window they belong to was final (more than ${w.allowedLatenessSeconds} s of allowed lateness after the watermark passed the window's end): they are counted as too late on the windows' results, not in their counts, and recorded with their bytes in the DLQ (reason too-late).`,
      firstChecks: [
        `${dlqList}: reason too-late, with the event time and the window that was final`,
        'the producer of those events: a buffering or replaying producer, or a clock behind',
        `a consumer that was stalled longer than the idle timeout (${w.idleTimeoutSeconds} s), so the watermark moved on without its shard`,
      ],
    },
  ];
}

/**
 * The latency objective as metric math: the period's p99, counted only when enough events of the
 * period missed the objective, so one replayed or late event cannot page (at low volume p99 is the
 * single worst value: with fewer than 100 samples, 1% of them is less than one).
 *
 * - A minimum SampleCount would not do: one late event among 20–99 is still the p99, and a minimum
 *   above 100 would silence the alarm for every pipeline slower than 100 events a period.
 * - The late count is not a statistic of its own: PutMetricAlarm lists PR(n:m) (percentile rank, the
 *   percentage of values in (n, m]) on metric values, TC (trimmed count) only with percentages.
 *   samples × (100 − onTime) / 100, onTime = PR(:objective), is the number of values above it.
 * - The count is compared with N − 0.5: it is an integer computed from a percentage, and half an event
 *   absorbs floating-point rounding (2 late of 3 is 1.9999999999999998).
 * - IF(condition, p99, 0): a period that does not count is a real 0, not missing data; a period with
 *   no samples has no condition datapoint and so no datapoint at all (missing, notBreaching).
 * - No FILL: a quiet period is missing data, which the alarm treats as not breaching.
 */
export function latencyObjectiveMath(pipeline: PipelineConfig): MetricMath {
  const objective = pipeline.alarms.latencyObjectiveMs;
  const minLate = pipeline.alarms.latencyMinLateEvents;
  const latency = (statistic: string): WatchedMetric => ({
    namespace: METRIC_NAMESPACE,
    metricName: ProcessorMetric.EventToActionLatency,
    dimensions: { [PIPELINE_DIMENSION]: pipeline.name },
    statistic,
  });
  return {
    expression: `IF(samples * (100 - onTime) / 100 >= ${minLate - 0.5}, p99, 0)`,
    label: `p99 event-to-action latency (ms) where at least ${events(minLate)} took over ${objective} ms, else 0`,
    metrics: {
      p99: latency('p99'),
      samples: latency('SampleCount'),
      onTime: latency(`PR(:${objective})`),
    },
  };
}

/** `1 event`, `2 events`. */
function events(count: number): string {
  return `${count} ${count === 1 ? 'event' : 'events'}`;
}

/** The alarm description: pipeline, meaning, threshold and the first three checks. Max 1024 chars. */
export function alarmDescription(pipeline: PipelineConfig, spec: AlarmSpec): string {
  const checks = spec.firstChecks.map((check, i) => `(${i + 1}) ${check}`).join(' ');
  const text = `[${pipeline.name}] ${spec.meaning} Threshold: ${spec.thresholdText}. First checks: ${checks}`;
  return text.length <= 1024 ? text : `${text.slice(0, 1021)}...`;
}
