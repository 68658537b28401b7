/**
 * The pipeline configuration schema: the one description of every pipeline, validated once and
 * consumed by the CDK stack, the embedded local target, the operator CLI, the docs and the tests.
 *
 * Every field has a default so a pipeline can be declared in three lines; every rule that AWS would
 * only reject at deploy time (or worse, accept and misbehave) is checked here with a message that
 * names the pipeline and the field.
 */
import { z } from 'zod';
import { pipelineResourceNames } from './resource-names';
import { ProcessorDefaults } from '../../lambdas/shared/processor-defaults';
import { telemetrySchema } from '../../lambdas/shared/telemetry-config';
import { ACTION_NAMES, CUSTOM_ACTION_KINDS, WINDOWED_ACTIONS } from '../../lambdas/shared/actions';
import { spikeSchema, windowsSchema } from '../../lambdas/shared/windows-config';

// The built-in action names are a contract with the Lambda code (lambdas/shared/actions.ts); the
// configuration's readers get them from here too.
export { ACTION_NAMES, CUSTOM_ACTION_KINDS, WINDOWED_ACTIONS, type ActionName, type CustomActionKind } from '../../lambdas/shared/actions';

const MAX_RETENTION_HOURS = 8760;
const MIN_RECORD_AGE_SECONDS = 60;
const MAX_RECORD_AGE_SECONDS = 604_800;

const streamSchema = z
  .strictObject({
    /** ON_DEMAND scales by itself; PROVISIONED needs `shardCount`. Default ON_DEMAND. */
    mode: z.enum(['ON_DEMAND', 'PROVISIONED']).default('ON_DEMAND'),
    /** Number of shards, PROVISIONED only. */
    shardCount: z.int().min(1).max(500).optional(),
    /** How long Kinesis keeps records (hours): the window for replay. Default 24. */
    retentionHours: z.int().min(24).max(MAX_RETENTION_HOURS).default(24),
  })
  .superRefine((s, ctx) => {
    if (s.mode === 'PROVISIONED' && s.shardCount === undefined) {
      ctx.addIssue({ code: 'custom', path: ['shardCount'], message: 'is required when mode is PROVISIONED' });
    }
    if (s.mode === 'ON_DEMAND' && s.shardCount !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['shardCount'], message: 'only applies when mode is PROVISIONED' });
    }
  });

const processorSchema = z.strictObject({
  /** Lambda memory (MB). Default 512. */
  memoryMb: z.int().min(128).max(10_240).default(512),
  /** Lambda timeout (seconds). Default 60. */
  timeoutSeconds: z.int().min(3).max(900).default(60),
  /** Powertools log level. Default INFO. */
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Days the processor's log group keeps logs. Default 30. */
  logRetentionDays: z
    .union([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653].map((d) => z.literal(d)))
    .default(30),
  /** How many partition keys of one batch are processed at once. Default 16. */
  keyConcurrency: z.int().min(1).max(256).default(ProcessorDefaults.keyConcurrency),
  /** Stop starting records when less than this remains of the invocation (ms). Default 5000. */
  timeMarginMs: z.int().min(0).max(60_000).default(ProcessorDefaults.timeMarginMs),
  /**
   * How far (seconds) an event's `time` may be ahead of the processor's clock. Beyond it the event is
   * dead-lettered as `time-in-future`, so one producer with a skewed clock cannot make an entity's later,
   * correct events look stale. Default 300.
   */
  clockSkewAllowanceSeconds: z.int().min(0).max(86_400).default(ProcessorDefaults.clockSkewAllowanceSeconds),
});

/** How the mapping reads the stream: the names `stream-pipeline plan --consumer` takes too. */
export const EVENT_SOURCE_CONSUMERS = ['polling', 'efo'] as const;
export type EventSourceConsumer = (typeof EVENT_SOURCE_CONSUMERS)[number];

const eventSourceSchema = z.strictObject({
  /**
   * How the mapping reads the stream. `polling` (shared throughput): Lambda polls each shard about once a
   * second and shares the shard's 5 reads/s and 2 MB/s with every other consumer, at no extra cost.
   * `efo` (enhanced fan-out): the stack registers a stream consumer and maps it, and Kinesis pushes
   * records within about 70 ms over the consumer's own 2 MB/s per shard; billed per consumer-shard-hour
   * and per GB retrieved (prices under "Enhanced fan-out: what it costs" below). Default polling.
   */
  consumer: z.enum(EVENT_SOURCE_CONSUMERS).default('polling'),
  /** Records per invocation (1–10,000). Default 100. */
  batchSize: z.int().min(1).max(10_000).default(100),
  /** Seconds to gather records before invoking (0–300). Default 1. */
  maxBatchingWindowSeconds: z.int().min(0).max(300).default(1),
  /** Where a new mapping starts reading. Default TRIM_HORIZON (nothing already in the stream is skipped). */
  startingPosition: z.enum(['TRIM_HORIZON', 'LATEST']).default('TRIM_HORIZON'),
  /** Concurrent batches per shard (1–10); order is kept per partition key. Default 1. */
  parallelizationFactor: z.int().min(1).max(10).default(1),
  /** Split a failing batch in two to isolate a bad record. Default true. */
  bisectBatchOnFunctionError: z.boolean().default(true),
  /** Retries of a failing batch before it goes to the DLQ (0–10,000). Default 5. */
  maxRetryAttempts: z.int().min(0).max(10_000).default(5),
  /** Records older than this (seconds, 60–604,800) go to the DLQ unprocessed. Default 3600. */
  maxRecordAgeSeconds: z.int().min(MIN_RECORD_AGE_SECONDS).max(MAX_RECORD_AGE_SECONDS).default(3600),
  /** Return failed records by sequence number so only the tail is retried. Default true. */
  reportBatchItemFailures: z.boolean().default(true),
});

const idempotencySchema = z.strictObject({
  /** How long a completed key is remembered (hours). Must cover stream retention. Default 48. */
  ttlHours: z.int().min(1).max(24 * 400).default(ProcessorDefaults.idempotencyTtlHours),
  /** How long an in-progress claim blocks other invocations (seconds). Default: the processor timeout. */
  leaseSeconds: z.int().min(1).max(900).optional(),
});

const alarmsSchema = z.strictObject({
  /** Event-to-action latency objective, p99, in milliseconds. Default 5000. */
  latencyObjectiveMs: z.int().positive({ message: 'must be greater than zero' }).default(5000),
  /**
   * Events later than the objective that one period needs before its p99 counts for the latency
   * alarm, so one replayed or late event never pages (at low volume p99 is the worst single value).
   * 1 counts every period. Default 2: the smallest count one event cannot reach.
   */
  latencyMinLateEvents: z.int().min(1).max(10_000).default(2),
  /** IteratorAge alarm threshold (ms). Default: twice the latency objective. */
  iteratorAgeThresholdMs: z.int().positive().optional(),
  /**
   * Windowed pipelines: the WatermarkStalled alarm fires when the watermark lags the wall clock by more than
   * this (seconds). Default: out-of-order bound + idle timeout + 300 s, more than a pipeline with no traffic
   * at all lags.
   */
  watermarkLagThresholdSeconds: z.int().positive().optional(),
  /** Alarm when the oldest DLQ message is older than this (seconds). Default 3600. */
  dlqOldestMessageAgeSeconds: z.int().positive().default(3600),
  /** Period of the alarms' metrics (seconds): 60 or a multiple of 60. Default 60. */
  periodSeconds: z
    .int()
    .positive()
    .refine((p) => p % 60 === 0, { message: 'must be a multiple of 60' })
    .default(60),
  /** Consecutive breaching periods before ALARM. Default 3. */
  evaluationPeriods: z.int().min(1).max(100).default(3),
});

/** The file types NodejsFunction bundles (esbuild), as it checks them. */
const ENTRY_FILE = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx)$/;

/**
 * An action from the user's own code, beside the built-in names: a Lambda entry of the user's project that
 * exports `handler = createProcessor(<action factory>)` (`stream-pipeline/processor`), bundled like ours.
 */
export const customActionSchema = z.strictObject({
  /**
   * The Lambda entry file: absolute, or relative to the directory `cdk synth` runs in (as NodejsFunction's
   * `entry`). Its dependencies are resolved and locked by the nearest lock file above it.
   */
  entry: z.string().regex(ENTRY_FILE, { message: 'must name a TypeScript or JavaScript file (.ts, .mts, .cts, .js, .mjs, .cjs)' }),
  /**
   * How the action's effect is made idempotent: `transactional` (state items, exactly once) or `external`
   * (effects outside DynamoDB, at least once with duplicates suppressed). The processor refuses an action of
   * another kind.
   */
  kind: z.enum(CUSTOM_ACTION_KINDS, { message: `must be one of ${CUSTOM_ACTION_KINDS.join(', ')} (windowed actions are built in only)` }),
  /** The name the entry exports its handler under. Default `handler`. */
  handler: z
    .string()
    .regex(/^[A-Za-z_$][\w$]*$/, { message: 'must be a JavaScript identifier' })
    .default('handler'),
  /** Whether the action keeps state items (the pipeline gets a state table). Default true. */
  stateTable: z.boolean().default(true),
});
export type CustomActionConfig = z.output<typeof customActionSchema>;

export const pipelineSchema = z
  .strictObject({
    /** Lower-case name, used in resource names, metric dimensions and CLI flags. */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,30}$/, { message: 'must be 1–31 lower-case letters, digits or dashes, starting with a letter' }),
    /** What the pipeline is for; shown in alarm descriptions and the dashboard. */
    description: z.string().min(1).max(200),
    /**
     * What processes the events: a built-in action's name (its Lambda entry is `lambdas/handlers/<action>.ts`),
     * or an action from the user's own code, `{ entry, kind }`.
     */
    action: z.union([z.enum(ACTION_NAMES), customActionSchema], {
      error: (issue) => (issue.code === 'invalid_union' && typeof issue.input !== 'object' ? `must be one of ${ACTION_NAMES.join(', ')}, or { entry, kind } for an action of your own` : undefined),
    }),
    /** The Kinesis data stream. */
    stream: streamSchema.default({ mode: 'ON_DEMAND', retentionHours: 24 }),
    /** The processor function. */
    processor: processorSchema.default(() => processorSchema.parse({})),
    /** The event source mapping from the stream to the processor. */
    eventSource: eventSourceSchema.default(() => eventSourceSchema.parse({})),
    /** The idempotency keys in DynamoDB. */
    idempotency: idempotencySchema.default(() => idempotencySchema.parse({})),
    /** Alarm thresholds and evaluation. */
    alarms: alarmsSchema.default(() => alarmsSchema.parse({})),
    /** Only for the `telemetry` action. */
    telemetry: z.optional(telemetrySchema),
    /** Only for windowed actions (`returns`): the event-time windows. */
    windows: z.optional(windowsSchema),
    /** Only for the `returns` action: the spike rule. */
    spike: z.optional(spikeSchema),
  })
  .superRefine((p, ctx) => {
    const windowMs = p.eventSource.maxBatchingWindowSeconds * 1000;
    // An objective of 0 or less is refused on its own field; it says nothing about the window.
    if (windowMs > 0 && p.alarms.latencyObjectiveMs > 0 && windowMs >= p.alarms.latencyObjectiveMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['eventSource', 'maxBatchingWindowSeconds'],
        message: `(${p.eventSource.maxBatchingWindowSeconds}s) alone reaches the latency objective (alarms.latencyObjectiveMs = ${p.alarms.latencyObjectiveMs} ms): an event can wait the whole window before its batch is even invoked, so the objective is missed before delivery and processing count; set at most ${Math.ceil(p.alarms.latencyObjectiveMs / 1000) - 1}s, or raise the objective`,
      });
    }
    const retentionSeconds = p.stream.retentionHours * 3600;
    if (p.eventSource.maxRecordAgeSeconds >= retentionSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['eventSource', 'maxRecordAgeSeconds'],
        message: `(${p.eventSource.maxRecordAgeSeconds}s) must be shorter than the stream retention (${p.stream.retentionHours}h = ${retentionSeconds}s), or records expire before they can be retried or replayed`,
      });
    }
    if (p.idempotency.ttlHours < p.stream.retentionHours) {
      ctx.addIssue({
        code: 'custom',
        path: ['idempotency', 'ttlHours'],
        message: `(${p.idempotency.ttlHours}h) must be at least the stream retention (${p.stream.retentionHours}h), or a replay of retained records would run their actions twice`,
      });
    }
    const lease = p.idempotency.leaseSeconds ?? p.processor.timeoutSeconds;
    if (lease < p.processor.timeoutSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['idempotency', 'leaseSeconds'],
        message: `(${lease}s) must be at least the processor timeout (${p.processor.timeoutSeconds}s), or a slow invocation's claim expires while it still runs`,
      });
    }
    if (p.processor.timeMarginMs >= p.processor.timeoutSeconds * 1000) {
      ctx.addIssue({ code: 'custom', path: ['processor', 'timeMarginMs'], message: 'must be shorter than the processor timeout' });
    }
    if (p.action === 'telemetry' && p.telemetry === undefined) {
      ctx.addIssue({ code: 'custom', path: ['telemetry'], message: 'is required for the telemetry action' });
    }
    if (p.action !== 'telemetry' && p.telemetry !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['telemetry'], message: 'only applies to the telemetry action' });
    }
    const windowed = typeof p.action === 'string' && WINDOWED_ACTIONS.includes(p.action);
    if (windowed && p.windows === undefined) ctx.addIssue({ code: 'custom', path: ['windows'], message: `is required for the ${p.action} action` });
    if (!windowed && p.windows !== undefined) ctx.addIssue({ code: 'custom', path: ['windows'], message: `only applies to windowed actions (${WINDOWED_ACTIONS.join(', ')})` });
    if (p.action === 'returns' && p.spike === undefined) ctx.addIssue({ code: 'custom', path: ['spike'], message: 'is required for the returns action' });
    if (p.action !== 'returns' && p.spike !== undefined) ctx.addIssue({ code: 'custom', path: ['spike'], message: 'only applies to the returns action' });
    if (p.action === 'returns' && p.windows?.keyField === undefined) {
      ctx.addIssue({ code: 'custom', path: ['windows', 'keyField'], message: 'is required for the returns action (the SKU field, "sku")' });
    }
    if (p.windows !== undefined && p.windows.resultRetentionHours < p.stream.retentionHours) {
      ctx.addIssue({
        code: 'custom',
        path: ['windows', 'resultRetentionHours'],
        message: `(${p.windows.resultRetentionHours}h) must be at least the stream retention (${p.stream.retentionHours}h), or a replay could find a window forgotten and count it afresh`,
      });
    }
  });

export const configSchema = z
  .strictObject({
    /** CloudFormation stack name and prefix of every physical name. */
    stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, { message: 'must be a valid CloudFormation stack name (letters, digits, dashes)' }),
    /** Who gets alarm notifications. */
    alarmNotifications: z
      .strictObject({
        /** E-mail addresses subscribed to ALARM and OK notifications (each confirms by e-mail). */
        emails: z.array(z.email()).default([]),
        /** HTTPS endpoints (paging tool, chat webhook) subscribed to ALARM and OK notifications. */
        httpsEndpoints: z.array(z.url({ protocol: /^https$/ })).default([]),
      })
      .default({ emails: [], httpsEndpoints: [] }),
    /**
     * How the pipelines are split into CloudFormation stacks. `single-stack`: one stack named `stackName`
     * (about 27 resources per pipeline, so at most about 18 pipelines under CloudFormation's 500).
     * `stack-per-pipeline`: an alarms stack, one stack per pipeline and a dashboard stack, without
     * cross-stack exports (README, "Many pipelines"). Physical names are the same in both. Default single-stack.
     */
    layout: z.enum(['single-stack', 'stack-per-pipeline']).default('single-stack'),
    /** The pipelines this stack deploys (at least one). */
    pipelines: z.array(pipelineSchema).min(1, { message: 'must declare at least one pipeline' }),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.pipelines.forEach((p, i) => {
      if (seen.has(p.name)) {
        ctx.addIssue({ code: 'custom', path: ['pipelines', i, 'name'], message: `"${p.name}" is declared more than once; pipeline names must be unique` });
      }
      seen.add(p.name);
      for (const problem of physicalNameProblems(c.stackName, p.name)) {
        ctx.addIssue({ code: 'custom', path: ['pipelines', i, 'name'], message: problem });
      }
    });
  });

/** AWS length limits of the physical names derived from the stack and pipeline names. */
const NAME_LIMITS = {
  functionName: 64, // Lambda
  dlqName: 80, // SQS
  streamName: 128, // Kinesis
  idempotencyTableName: 255, // DynamoDB
  stateTableName: 255,
  alertsTopicName: 256, // SNS
  consumerName: 128, // Kinesis stream consumer
} as const;
/**
 * Deploy-time failures caught at configuration time: a derived name longer than AWS accepts.
 * (Alarm and dashboard names cannot exceed their limits within the stack and pipeline name rules.)
 */
export function physicalNameProblems(stackName: string, pipelineName: string): string[] {
  const names = pipelineResourceNames(stackName, pipelineName);
  return (Object.keys(NAME_LIMITS) as (keyof typeof NAME_LIMITS)[])
    .filter((key) => names[key].length > NAME_LIMITS[key])
    .map((key) => `makes ${key} "${names[key]}" ${names[key].length} characters long; AWS allows ${NAME_LIMITS[key]}: shorten the stack or pipeline name`);
}

/** What a platform engineer writes (defaults optional). */
export type PipelinesConfigInput = z.input<typeof configSchema>;
/** What every consumer reads (defaults filled in). */
export type PipelinesConfig = z.output<typeof configSchema>;
export type PipelineConfig = z.output<typeof pipelineSchema>;
/** One pipeline as written (defaults optional): what `EventPipelineProps` (lib/constructs) are checked against. */
export type PipelineConfigInput = z.input<typeof pipelineSchema>;
/** A pipeline's action: a built-in name, or `{ entry, kind }` for an action from the user's own code. */
export type PipelineActionInput = PipelineConfigInput['action'];

/** Base of every error the configuration raises (as Powertools' BatchProcessingError for its area). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The configuration breaks a rule: every problem, each naming the pipeline and the field. */
export class InvalidConfigError extends ConfigError {
  constructor(readonly problems: string[]) {
    super(`Invalid pipeline configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** A pipeline name the configuration does not declare (a CLI `--pipeline`, an `npm start --pipelines`). */
export class UnknownPipelineError extends ConfigError {}

/** Validates a configuration and fills in defaults; throws InvalidConfigError listing every problem. */
export function parseConfig(input: unknown): PipelinesConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw new InvalidConfigError(withinUnions(result.error.issues).map((issue) => `${describePath(input, issue.path)}: ${issue.message}`));
  }
  return result.data;
}

/**
 * Validates one pipeline on its own (the `EventPipeline` construct used without a configuration file) and
 * fills in its defaults; throws InvalidConfigError listing every problem, each as `pipeline(<name>).<field>`.
 */
export function parsePipeline(input: PipelineConfigInput): PipelineConfig {
  const result = pipelineSchema.safeParse(input);
  if (!result.success) {
    const name = typeof input.name === 'string' ? input.name : '?';
    throw new InvalidConfigError(withinUnions(result.error.issues).map((issue) => `pipeline(${name})${issue.path.length ? '.' : ''}${describePath(input, issue.path)}: ${issue.message}`));
  }
  return result.data;
}

/**
 * A union (`action`: a name or `{ entry, kind }`) that refuses a value says only "Invalid input"; when one
 * of its branches took the value's type and refused a field of it, that branch's problems are the ones to show.
 */
function withinUnions(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'invalid_union') return [issue];
    const inside = issue.errors.filter((branch) => branch.length > 0 && branch.every((sub) => sub.path.length > 0));
    if (inside.length !== 1) return [issue];
    return withinUnions(inside[0]!).map((sub) => ({ ...sub, path: [...issue.path, ...sub.path] }));
  });
}

/** Turns ['pipelines', 1, 'eventSource', 'batchSize'] into `pipelines[1](orders).eventSource.batchSize`. */
function describePath(input: unknown, path: PropertyKey[]): string {
  let out = '';
  path.forEach((key, i) => {
    if (typeof key === 'number') {
      out += `[${key}]`;
      const name = i === 1 && path[0] === 'pipelines' ? pipelineNameAt(input, key) : undefined;
      if (name) out += `(${name})`;
    } else {
      out += (out ? '.' : '') + String(key);
    }
  });
  return out || '(configuration)';
}

function pipelineNameAt(input: unknown, index: number): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const pipelines = (input as { pipelines?: unknown }).pipelines;
  if (!Array.isArray(pipelines)) return undefined;
  const entry: unknown = pipelines[index];
  if (typeof entry !== 'object' || entry === null) return undefined;
  const name = (entry as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}
