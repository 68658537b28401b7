/**
 * The props of `EventPipeline`, in aws-cdk-lib style: every section optional, every field with its
 * default. They are the pipeline configuration's fields (lib/config/schema.ts validates them and owns the
 * defaults; the `@default`s here say what it fills in, and test/stack/pipeline-props.test.ts checks that
 * they agree), so the construct can be used without this repository's configuration file, and the
 * configuration file maps onto them (`pipelineProps()` in lib/pipeline-props.ts).
 */
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { ActionName, CustomActionKind, EventSourceConsumer, PipelineConfigInput, PipelineResourceNames } from '../config';

/** The Kinesis data stream. */
export interface EventPipelineStreamProps {
  /** `ON_DEMAND` scales by itself; `PROVISIONED` needs `shardCount`. @default 'ON_DEMAND' */
  readonly mode?: 'ON_DEMAND' | 'PROVISIONED';
  /** Number of shards (1–500), `PROVISIONED` only. @default - none (required for PROVISIONED) */
  readonly shardCount?: number;
  /** How long Kinesis keeps records (hours, 24–8760): the window for replay. @default 24 */
  readonly retentionHours?: number;
}

/**
 * The event source mapping from the stream to the processor. (Enhanced fan-out, a `consumer` option,
 * belongs here too.)
 */
export interface EventPipelineEventSourceProps {
  /** Records per invocation (1–10,000). @default 100 */
  readonly batchSize?: number;
  /** Seconds to gather records before invoking (0–300). @default 1 */
  readonly maxBatchingWindowSeconds?: number;
  /** Where a new mapping starts reading. @default 'TRIM_HORIZON' */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Concurrent batches per shard (1–10); order is kept per partition key. @default 1 */
  readonly parallelizationFactor?: number;
  /** Split a failing batch in two to isolate a bad record. @default true */
  readonly bisectBatchOnFunctionError?: boolean;
  /** Retries of a failing batch before it goes to the DLQ (0–10,000). @default 5 */
  readonly maxRetryAttempts?: number;
  /** Records older than this (seconds, 60–604,800) go to the DLQ unprocessed; below the retention. @default 3600 */
  readonly maxRecordAgeSeconds?: number;
  /** Return failed records by sequence number so only the tail is retried. @default true */
  readonly reportBatchItemFailures?: boolean;
  /**
   * How the mapping reads the stream: `polling` (shared throughput, about one read a second per shard) or
   * `efo` (enhanced fan-out: a stream consumer of its own, records pushed within about 70 ms, billed per
   * consumer-shard-hour and GB). @default 'polling'
   */
  readonly consumer?: EventSourceConsumer;
}

/** Log retention values CloudWatch Logs accepts (days). */
export type LogRetentionDays = NonNullable<NonNullable<PipelineConfigInput['processor']>['logRetentionDays']>;

/** The processor function. */
export interface EventPipelineProcessorProps {
  /** Lambda memory (MB, 128–10,240). @default 512 */
  readonly memoryMb?: number;
  /** Lambda timeout (seconds, 3–900). @default 60 */
  readonly timeoutSeconds?: number;
  /** Powertools log level. @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Days the processor's log group keeps logs. @default 30 */
  readonly logRetentionDays?: LogRetentionDays;
  /** How many partition keys of one batch are processed at once (1–256). @default 16 */
  readonly keyConcurrency?: number;
  /** Stop starting records when less than this remains of the invocation (ms). @default 5000 */
  readonly timeMarginMs?: number;
  /** How far (seconds) an event's `time` may be ahead of the processor's clock before it is poison. @default 300 */
  readonly clockSkewAllowanceSeconds?: number;
}

/** The idempotency keys in DynamoDB. */
export interface EventPipelineIdempotencyProps {
  /** How long a completed key is remembered (hours); at least the stream retention. @default 48 */
  readonly ttlHours?: number;
  /** How long an in-progress claim blocks other invocations (seconds). @default - the processor timeout */
  readonly leaseSeconds?: number;
}

/** Alarm thresholds and evaluation. */
export interface EventPipelineAlarmsProps {
  /** Event-to-action latency objective, p99 (ms). @default 5000 */
  readonly latencyObjectiveMs?: number;
  /** Events later than the objective one period needs before its p99 counts for the latency alarm. @default 2 */
  readonly latencyMinLateEvents?: number;
  /** IteratorAge alarm threshold (ms). @default - twice the latency objective */
  readonly iteratorAgeThresholdMs?: number;
  /** Windowed pipelines: WatermarkStalled threshold (seconds). @default - out-of-order bound + idle timeout + 300 s */
  readonly watermarkLagThresholdSeconds?: number;
  /** Alarm when the oldest DLQ message is older than this (seconds). @default 3600 */
  readonly dlqOldestMessageAgeSeconds?: number;
  /** Period of the alarms' metrics (seconds, a multiple of 60). @default 60 */
  readonly periodSeconds?: number;
  /** Consecutive breaching periods before ALARM (1–100). @default 3 */
  readonly evaluationPeriods?: number;
}

/**
 * An action from your own code: a Lambda entry of your project that exports
 * `handler = createProcessor(<your ActionFactory>)` (`stream-pipeline/processor`). It is bundled with
 * esbuild by NodejsFunction, as the built-in actions are, and runs inside the same processor (idempotency,
 * per-key order, DLQ, metrics).
 */
export interface CustomActionProps {
  /** The entry file, absolute or relative to the directory `cdk synth` runs in; its nearest lock file above it locks its dependencies. */
  readonly entry: string;
  /** `transactional` (state items, exactly once) or `external` (effects outside DynamoDB, duplicates suppressed); the processor refuses an action of another kind. */
  readonly kind: CustomActionKind;
  /** The name the entry exports its handler under. @default 'handler' */
  readonly handler?: string;
  /** Whether the action keeps state items (the pipeline gets a state table, `STATE_TABLE_NAME`). @default true */
  readonly stateTable?: boolean;
}

export interface EventPipelineProps {
  /** Lower-case name (1–31 letters, digits or dashes): resource names, the metric dimension, CLI flags. */
  readonly pipelineName: string;
  /** What the pipeline is for; shown in alarm descriptions and the dashboard. @default - `The <pipelineName> pipeline` */
  readonly description?: string;
  /** A built-in action's name (`orders`, `telemetry`, `returns`, `noop`), or an action from your own code. */
  readonly action: ActionName | CustomActionProps;
  /** @default - an on-demand stream keeping records 24 h */
  readonly stream?: EventPipelineStreamProps;
  /** @default - see each field */
  readonly eventSource?: EventPipelineEventSourceProps;
  /** @default - see each field */
  readonly processor?: EventPipelineProcessorProps;
  /** @default - see each field */
  readonly idempotency?: EventPipelineIdempotencyProps;
  /** @default - see each field */
  readonly alarms?: EventPipelineAlarmsProps;
  /** The `telemetry` action only (required there): thresholds per metric. @default - none */
  readonly telemetry?: PipelineConfigInput['telemetry'];
  /** Windowed actions only (`returns`, required there): the event-time windows. @default - none */
  readonly windows?: PipelineConfigInput['windows'];
  /** The `returns` action only (required there): the spike rule. @default - none */
  readonly spike?: PipelineConfigInput['spike'];
  /**
   * Receives ALARM and OK notifications of every alarm of the pipeline.
   * @default - a new encrypted topic of this pipeline (`alarmTopic`), with no subscriptions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Physical names of the pipeline's resources.
   * @default pipelineResourceNames(<stack name>, pipelineName)
   */
  readonly names?: PipelineResourceNames;
  /** Folder with the built-in actions' Lambda entries `<action>.ts` (or `.js`). @default - lambdas/handlers of this package */
  readonly handlersDir?: string;
}

/** The configuration's input for one pipeline, from the props (the schema validates it and fills in defaults). */
export function pipelineInput(props: EventPipelineProps): PipelineConfigInput {
  return {
    name: props.pipelineName,
    description: props.description ?? `The ${props.pipelineName} pipeline`,
    action: props.action,
    stream: props.stream,
    eventSource: props.eventSource,
    processor: props.processor,
    idempotency: props.idempotency,
    alarms: props.alarms,
    telemetry: props.telemetry,
    windows: props.windows,
    spike: props.spike,
  };
}

// The props are the configuration's fields: each section must be exactly its schema's input, so that
// neither can gain a field the other lacks (a compile error here says which section drifted).
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Same fields (an optional field one lacks would still let them be assignable both ways) and same types. */
type Same<A, B> = Mutual<keyof A, keyof B> extends true ? Mutual<A, B> : false;
type AllTrue<T extends readonly true[]> = T;
type Section<K extends keyof PipelineConfigInput> = NonNullable<PipelineConfigInput[K]>;
/** @internal A compile-time check only. */
export type PropsMatchTheSchema = AllTrue<
  [
    Same<EventPipelineStreamProps, Section<'stream'>>,
    Same<EventPipelineEventSourceProps, Section<'eventSource'>>,
    Same<EventPipelineProcessorProps, Section<'processor'>>,
    Same<EventPipelineIdempotencyProps, Section<'idempotency'>>,
    Same<EventPipelineAlarmsProps, Section<'alarms'>>,
    Same<CustomActionProps, Exclude<PipelineConfigInput['action'], string>>,
  ]
>;
