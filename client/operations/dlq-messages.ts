/**
 * The two kinds of message a pipeline's dead-letter queue holds, told apart and parsed:
 * - the processor's poison records (lambdas/shared/dlq-message.ts): the record's bytes and why it failed;
 * - the event source mapping's on-failure invocation records (AWS's shape): only where the records are
 *   in the stream (shard + sequence range), so they must be read back before retention ends.
 */
import { z } from 'zod';
import { parsePoisonRecordMessage, type PoisonRecordMessage } from '../../lambdas/shared/dlq-message';

const onFailureRecordSchema = z.looseObject({
  requestContext: z.looseObject({
    requestId: z.string().optional(),
    functionArn: z.string().optional(),
    condition: z.string(),
    approximateInvokeCount: z.number().optional(),
  }),
  responseContext: z.looseObject({ functionError: z.string().nullable().optional() }).optional(),
  timestamp: z.string().optional(),
  KinesisBatchInfo: z.looseObject({
    shardId: z.string(),
    startSequenceNumber: z.string().regex(/^\d+$/),
    endSequenceNumber: z.string().regex(/^\d+$/),
    approximateArrivalOfFirstRecord: z.string().optional(),
    approximateArrivalOfLastRecord: z.string().optional(),
    batchSize: z.number().int().positive(),
    streamArn: z.string(),
  }),
});

export type OnFailureRecord = z.infer<typeof onFailureRecordSchema>;

export type DlqMessageBody =
  | { readonly kind: 'poison-record'; readonly poison: PoisonRecordMessage }
  | { readonly kind: 'on-failure'; readonly onFailure: OnFailureRecord }
  /** Anything else: shown with a safe preview of its body, never replayed. */
  | { readonly kind: 'unrecognised'; readonly problem: string };

/** SNS wraps once (topic → queue); a body wrapped deeper than this is not ours. */
const MAX_SNS_WRAPPING = 3;

/** Classifies an SQS message body; also accepts an SNS notification wrapping one (SNS → SQS). Never throws. */
export function parseDlqBody(body: string, wrapping = 0): DlqMessageBody {
  const poison = parsePoisonRecordMessage(body);
  if (poison) return { kind: 'poison-record', poison };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'unrecognised', problem: 'body is not JSON' };
  }
  const onFailure = onFailureRecordSchema.safeParse(parsed);
  if (onFailure.success) return { kind: 'on-failure', onFailure: onFailure.data };
  const wrapped = typeof parsed === 'object' && parsed !== null ? (parsed as { Type?: unknown; Message?: unknown }) : {};
  if (wrapped.Type === 'Notification' && typeof wrapped.Message === 'string' && wrapping < MAX_SNS_WRAPPING) return parseDlqBody(wrapped.Message, wrapping + 1);
  return { kind: 'unrecognised', problem: 'neither a poison-record message nor an on-failure invocation record' };
}

/** When the records a message refers to leave the stream (arrival + retention), if known. */
export function expiresAt(body: DlqMessageBody, retentionHours: number): Date | undefined {
  const arrival =
    body.kind === 'on-failure'
      ? body.onFailure.KinesisBatchInfo.approximateArrivalOfFirstRecord
      : body.kind === 'poison-record'
        ? body.poison.record.approximateArrivalTimestamp
        : undefined;
  const ms = arrival ? Date.parse(arrival) : NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms + retentionHours * 3_600_000);
}
