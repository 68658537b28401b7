/**
 * The message the processor puts on a pipeline's dead-letter queue for a poison record.
 *
 * The same queue also receives the event source mapping's own on-failure records (metadata only,
 * `requestContext` + `KinesisBatchInfo`). Poison-record messages are told apart by the body field
 * `kind` and by the SQS message attribute `POISON_RECORD_ATTRIBUTE`, both `POISON_RECORD_KIND`.
 * The operator CLI imports this module to read and replay them: `record.data` is the exact bytes the
 * producer wrote (base64), to be put back with `record.partitionKey`.
 */
import * as z from 'zod/mini';

export const POISON_RECORD_KIND = 'stream-pipeline.poison-record';
/** SQS message attribute (String) carrying `POISON_RECORD_KIND`, for filtering without parsing bodies. */
export const POISON_RECORD_ATTRIBUTE = 'stream-pipeline-kind';
/** Current version of the body shape. */
export const POISON_RECORD_VERSION = 1;

/** Why a record was dead-lettered. */
export const PoisonReason = {
  /** The bytes are not UTF-8 JSON, or a KPL aggregate could not be unpacked. */
  Undecodable: 'undecodable',
  /** JSON, but not a valid CloudEvents 1.0 envelope (the error names each bad field). */
  InvalidEnvelope: 'invalid-envelope',
  /** A valid event whose `type` the pipeline's action does not handle. */
  UnknownType: 'unknown-type',
  /** The action rejected the event with a non-retryable error (PoisonEventError). */
  ActionRejected: 'action-rejected',
  /** The action failed on the event's data with an error that repeats on every retry (RangeError, TypeError, …). */
  ActionFailed: 'action-failed',
  /** A store (DynamoDB, SNS) refused the event's write for a reason that repeats on retry; the error quotes the store. */
  StoreRejected: 'store-rejected',
  /** The event's `time` is further in the future than the pipeline's clock-skew allowance. */
  TimeInFuture: 'time-in-future',
  /**
   * Windowed pipelines: every window the event belongs to was already final (the watermark had passed its
   * end plus the allowed lateness). Counted as too late on those windows' results, not in their counts.
   */
  TooLate: 'too-late',
} as const;
export type PoisonReason = (typeof PoisonReason)[keyof typeof PoisonReason];

/**
 * Built at the first parse, not at import: the processor writes these messages but never parses one,
 * and building a zod schema is work every cold start of every processor would pay for nothing.
 */
const buildPoisonRecordMessageSchema = () =>
  z.object({
    kind: z.literal(POISON_RECORD_KIND),
    version: z.literal(POISON_RECORD_VERSION),
    /** Pipeline name (the `Pipeline` metric dimension). */
    pipeline: z.string(),
    reason: z.enum(Object.values(PoisonReason) as [PoisonReason, ...PoisonReason[]]),
    /** What exactly was wrong (field-level reasons, or the action's error message). */
    error: z.string(),
    /** When the processor dead-lettered the record (ISO 8601 UTC). */
    time: z.string(),
    record: z.object({
      /** The user record's bytes, base64. Absent only when `dataOmitted` says why. */
      data: z.optional(z.string()),
      /** Set when the data did not fit in an SQS message; read it from the stream by shard + sequence number. */
      dataOmitted: z.optional(z.literal('too-large')),
      partitionKey: z.string(),
      shardId: z.string(),
      /** The Kinesis record's sequence number (for a KPL aggregate: the outer record's). */
      sequenceNumber: z.string(),
      /** Position inside a KPL aggregate; absent for plain records. */
      subSequenceNumber: z.optional(z.int()),
      /** Kinesis `approximateArrivalTimestamp` as ISO 8601 UTC. */
      approximateArrivalTimestamp: z.string(),
      eventSourceARN: z.string(),
    }),
    /** CloudEvents identity, when the envelope was readable. */
    event: z.optional(z.object({ id: z.string(), source: z.string(), type: z.string() })),
  });

let poisonRecordMessageSchema: ReturnType<typeof buildPoisonRecordMessageSchema> | undefined;

export type PoisonRecordMessage = z.infer<ReturnType<typeof buildPoisonRecordMessageSchema>>;

/** Parses an SQS body; undefined when it is not a poison-record message (e.g. an ESM on-failure record). */
export function parsePoisonRecordMessage(body: string): PoisonRecordMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  poisonRecordMessageSchema ??= buildPoisonRecordMessageSchema();
  const result = poisonRecordMessageSchema.safeParse(parsed);
  return result.success ? result.data : undefined;
}
