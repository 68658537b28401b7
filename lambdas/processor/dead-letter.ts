/**
 * Puts poison records on the dead-letter queue as `PoisonRecordMessage`s (lambdas/shared/dlq-message.ts),
 * ten per SendMessageBatch. Reports which records could not be written, so the processor can
 * report them as failed instead of dropping them.
 */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { CloudEvent } from '../shared/envelope';
import {
  POISON_RECORD_ATTRIBUTE,
  POISON_RECORD_KIND,
  POISON_RECORD_VERSION,
  type PoisonReason,
  type PoisonRecordMessage,
} from '../shared/dlq-message';
import type { UserRecord } from './records';
import { describeError } from './errors';

const MAX_BATCH_ENTRIES = 10;
/** SQS' classic message and batch size limit; kept even where queues accept more, to work everywhere. */
const MAX_BATCH_BYTES = 256 * 1024;
/** Room left in a message for the envelope around the base64 data. */
const MAX_MESSAGE_BYTES = MAX_BATCH_BYTES - 8 * 1024;

export interface PoisonRecord {
  readonly record: UserRecord;
  readonly reason: PoisonReason;
  readonly error: string;
  readonly event?: CloudEvent;
}

export function poisonMessage(pipeline: string, poison: PoisonRecord, now: Date): PoisonRecordMessage {
  const { record } = poison;
  const data = record.data.toString('base64');
  const fits = Buffer.byteLength(data) + Buffer.byteLength(poison.error) + 2048 <= MAX_MESSAGE_BYTES;
  return {
    kind: POISON_RECORD_KIND,
    version: POISON_RECORD_VERSION,
    pipeline,
    reason: poison.reason,
    error: poison.error.length > 4096 ? `${poison.error.slice(0, 4096)}…` : poison.error,
    time: now.toISOString(),
    record: {
      ...(fits ? { data } : { dataOmitted: 'too-large' as const }),
      partitionKey: record.partitionKey,
      shardId: record.shardId,
      sequenceNumber: record.sequenceNumber,
      ...(record.subSequenceNumber !== undefined ? { subSequenceNumber: record.subSequenceNumber } : {}),
      approximateArrivalTimestamp: new Date(record.arrivalMs).toISOString(),
      eventSourceARN: record.eventSourceARN,
    },
    ...(poison.event ? { event: { id: poison.event.id, source: poison.event.source, type: poison.event.type } } : {}),
  };
}

function entryOf(pipeline: string, poison: PoisonRecord, index: number, now: Date): SendMessageBatchRequestEntry {
  const message = poisonMessage(pipeline, poison, now);
  return {
    Id: String(index),
    MessageBody: JSON.stringify(message),
    MessageAttributes: {
      [POISON_RECORD_ATTRIBUTE]: { DataType: 'String', StringValue: POISON_RECORD_KIND },
      pipeline: { DataType: 'String', StringValue: pipeline },
      reason: { DataType: 'String', StringValue: poison.reason },
    },
  };
}

/** Groups entries into SendMessageBatch calls within the entry and size limits. */
function packBatches(entries: SendMessageBatchRequestEntry[]): SendMessageBatchRequestEntry[][] {
  const batches: SendMessageBatchRequestEntry[][] = [];
  let current: SendMessageBatchRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.MessageBody ?? '') + 512;
    if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export interface DeadLetterResult {
  /** Records that are NOT on the queue, with the error: they must be reported as failed. */
  readonly failed: ReadonlyMap<PoisonRecord, string>;
}

export async function sendToDeadLetterQueue(
  sqs: SQSClient,
  queueUrl: string,
  pipeline: string,
  poisons: readonly PoisonRecord[],
): Promise<DeadLetterResult> {
  const failed = new Map<PoisonRecord, string>();
  if (poisons.length === 0) return { failed };
  const now = new Date();
  const entries = poisons.map((p, i) => entryOf(pipeline, p, i, now));
  await Promise.all(
    packBatches(entries).map(async (batch) => {
      try {
        const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch }));
        for (const f of out.Failed ?? []) failed.set(poisons[Number(f.Id)]!, `${f.Code ?? 'Failed'}: ${f.Message ?? ''}`);
      } catch (error) {
        for (const entry of batch) failed.set(poisons[Number(entry.Id)]!, describeError(error));
      }
    }),
  );
  return { failed };
}
