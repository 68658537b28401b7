/**
 * The settings of one Kinesis event source mapping, in the names of `AWS::Lambda::EventSourceMapping`
 * (and the Lambda API), so the deploy step can hand over a template's resolved properties as they are.
 * Defaults are AWS's (not this project's pipeline defaults: those are set explicitly in the template).
 */
import { z } from 'zod';
import { InvalidFilterError, RecordFilter } from './filter';

/** What the local target does not emulate: rejected with a clear error instead of being ignored. */
const UNSUPPORTED = ['TumblingWindowInSeconds', 'DestinationConfig.OnSuccess', 'Kafka on-failure destinations'] as const;

export const kinesisMappingSchema = z.object({
  /** Identifier of the mapping (the Lambda API's UUID). */
  UUID: z.string().min(1),
  /** Function the batches go to: its name, as the FunctionInvoker knows it. */
  FunctionName: z.string().min(1),
  /** ARN of that function (on-failure records name it). */
  FunctionArn: z.string().min(1),
  /** ARN of the Kinesis stream (shared-throughput polling) or of a stream consumer of it (enhanced fan-out). */
  EventSourceArn: z.string().regex(/^arn:aws[a-z-]*:kinesis:[^:]+:\d{12}:stream\/[^/]+(\/consumer\/[^/:]+:\d+)?$/, { message: 'must be a Kinesis stream or stream consumer ARN' }),
  BatchSize: z.int().min(1).max(10_000).default(100),
  MaximumBatchingWindowInSeconds: z.int().min(0).max(300).default(0),
  StartingPosition: z.enum(['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP']),
  /** Epoch seconds, AT_TIMESTAMP only. */
  StartingPositionTimestamp: z.number().optional(),
  ParallelizationFactor: z.int().min(1).max(10).default(1),
  BisectBatchOnFunctionError: z.boolean().default(false),
  /** -1 = retry until the record expires. */
  MaximumRetryAttempts: z.int().min(-1).max(10_000).default(-1),
  /** -1 = no age limit; otherwise 60–604,800 (the API rejects 0–59). */
  MaximumRecordAgeInSeconds: z
    .int()
    .refine((v) => v === -1 || (v >= 60 && v <= 604_800), { message: 'must be -1 or 60–604800' })
    .default(-1),
  FunctionResponseTypes: z.array(z.literal('ReportBatchItemFailures')).default([]),
  DestinationConfig: z
    .object({
      OnFailure: z.object({ Destination: z.string().regex(/^arn:aws[a-z-]*:(sqs|sns|s3):/, { message: 'must be an SQS queue, SNS topic or S3 bucket ARN (Kafka destinations are not emulated)' }) }).optional(),
      OnSuccess: z.unknown().optional(),
    })
    .optional(),
  MetricsConfig: z.object({ Metrics: z.array(z.literal('EventCount')) }).optional(),
  Enabled: z.boolean().default(true),
  TumblingWindowInSeconds: z.int().optional(),
  /** `{ Filters: [{ Pattern }] }`, checked by RecordFilter.compile. */
  FilterCriteria: z.unknown().optional(),
});

export type KinesisMappingInput = z.input<typeof kinesisMappingSchema>;
export type KinesisMappingConfig = z.output<typeof kinesisMappingSchema>;

/** Validates a mapping; throws one error that lists every problem, including unsupported features. */
export function parseKinesisMapping(input: unknown): KinesisMappingConfig {
  const result = kinesisMappingSchema.safeParse(input);
  const problems = result.success ? [] : result.error.issues.map((i) => `${i.path.join('.') || '(mapping)'}: ${i.message}`);
  if (result.success) {
    const m = result.data;
    if (m.StartingPosition === 'AT_TIMESTAMP' && m.StartingPositionTimestamp === undefined) {
      problems.push('StartingPositionTimestamp: is required with StartingPosition AT_TIMESTAMP');
    }
    if (m.TumblingWindowInSeconds) problems.push(`TumblingWindowInSeconds: not supported by the local target (${UNSUPPORTED.join(', ')} are not)`);
    try {
      RecordFilter.compile(m.FilterCriteria);
    } catch (error) {
      if (!(error instanceof InvalidFilterError)) throw error;
      problems.push(`FilterCriteria: ${error.message}`);
    }
    if (m.DestinationConfig?.OnSuccess !== undefined) problems.push('DestinationConfig.OnSuccess: AWS does not allow it for Kinesis');
  }
  if (problems.length > 0 || !result.success) {
    const name = typeof input === 'object' && input !== null ? String((input as { UUID?: unknown }).UUID ?? '?') : '?';
    throw new Error(`Invalid event source mapping ${name}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return result.data;
}

/** Parts of an event source ARN: region, account, the stream's name and ARN, and the consumer's ARN if it is one. */
export interface EventSourceArnParts {
  readonly region: string;
  readonly account: string;
  readonly streamName: string;
  /** The stream's own ARN (a consumer ARN is `<stream ARN>/consumer/<name>:<creation timestamp>`). */
  readonly streamArn: string;
  /** Set when the mapping reads through an enhanced fan-out consumer. */
  readonly consumerArn?: string;
}

export function parseStreamArn(arn: string): EventSourceArnParts {
  const [, partition = 'aws', , region = '', account = '', resource = ''] = arn.split(':');
  const path = resource.slice('stream/'.length);
  const consumerAt = path.indexOf('/consumer/');
  const streamName = consumerAt < 0 ? path : path.slice(0, consumerAt);
  const streamArn = `arn:${partition}:kinesis:${region}:${account}:stream/${streamName}`;
  return { region, account, streamName, streamArn, ...(consumerAt < 0 ? {} : { consumerArn: arn }) };
}
