/**
 * Puts poison records on the dead-letter queue as `PoisonRecordMessage`s (lambdas/shared/dlq-message.ts),
 * ten per SendMessageBatch. Reports which records could not be written, so the processor can
 * report them as failed instead of dropping them.
 *
 * Bodies are pure ASCII JSON (every other character written as a \u escape): SQS refuses characters
 * outside its set (U+FFFE, U+FFFF, most control characters), and a hostile event's strings end up in
 * the message through its identity and the error text. A message SQS still refuses as the sender's
 * fault is sent again without them; only if that fails too is the record reported as failed.
 */
import type * as SqsModule from '@aws-sdk/client-sqs';
import type { SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
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
/** The error text is cut here (it can quote a hostile value). */
const MAX_ERROR_CHARS = 4096;

export interface PoisonRecord {
  readonly record: UserRecord;
  readonly reason: PoisonReason;
  readonly error: string;
  readonly event?: CloudEvent;
}

export function poisonMessage(pipeline: string, poison: PoisonRecord, now: Date, minimal = false): PoisonRecordMessage {
  const { record } = poison;
  const data = record.data.toString('base64');
  const error = minimal ? `${poison.reason} (the full message was refused by SQS)` : poison.error;
  const fits = Buffer.byteLength(data) + Math.min(error.length, MAX_ERROR_CHARS) * 6 + 4096 <= MAX_MESSAGE_BYTES;
  return {
    kind: POISON_RECORD_KIND,
    version: POISON_RECORD_VERSION,
    pipeline,
    reason: poison.reason,
    error: error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}…` : error,
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
    ...(poison.event && !minimal ? { event: { id: poison.event.id, source: poison.event.source, type: poison.event.type } } : {}),
  };
}

/** JSON with every character outside printable ASCII escaped: always within SQS' character set. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function entryOf(pipeline: string, poison: PoisonRecord, index: number, now: Date, minimal: boolean): SendMessageBatchRequestEntry {
  return {
    Id: String(index),
    MessageBody: asciiJson(poisonMessage(pipeline, poison, now, minimal)),
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

/**
 * An SQS client, or how to make one at first use: the Lambda entries pass the latter
 * (./processor.ts `defaultClients`), so a cold start does not load the SQS client that only poison needs.
 */
export type SqsClientSource = SQSClient | (() => Promise<SQSClient>);

export interface DeadLetterResult {
  /** Indexes of the records that are NOT on the queue, with the error: they must be reported as failed. */
  readonly failed: ReadonlyMap<number, string>;
}

async function sendEntries(source: SqsClientSource, queueUrl: string, entries: SendMessageBatchRequestEntry[]): Promise<Map<number, { error: string; senderFault: boolean }>> {
  const failed = new Map<number, { error: string; senderFault: boolean }>();
  await Promise.all(
    packBatches(entries).map(async (batch) => {
      try {
        // Inside the try: a client that cannot be made fails these records (reported failed, never dropped).
        const sqs = typeof source === 'function' ? await source() : source;
        // Lazy load, with the client (see SqsClientSource).
        const { SendMessageBatchCommand } = require('@aws-sdk/client-sqs') as typeof SqsModule;
        const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch }));
        for (const f of out.Failed ?? []) failed.set(Number(f.Id), { error: `${f.Code ?? 'Failed'}: ${f.Message ?? ''}`, senderFault: f.SenderFault === true });
      } catch (error) {
        for (const entry of batch) failed.set(Number(entry.Id), { error: describeError(error), senderFault: false });
      }
    }),
  );
  return failed;
}

export async function sendToDeadLetterQueue(sqs: SqsClientSource, queueUrl: string, pipeline: string, poisons: readonly PoisonRecord[]): Promise<DeadLetterResult> {
  if (poisons.length === 0) return { failed: new Map() };
  const now = new Date();
  const first = await sendEntries(sqs, queueUrl, poisons.map((p, i) => entryOf(pipeline, p, i, now, false)));
  const refused = [...first].filter(([, f]) => f.senderFault).map(([index]) => index);
  const second = refused.length > 0 ? await sendEntries(sqs, queueUrl, refused.map((i) => entryOf(pipeline, poisons[i]!, i, now, true))) : new Map();
  const failed = new Map<number, string>();
  for (const [index, f] of first) {
    if (!f.senderFault) failed.set(index, f.error);
    else if (second.has(index)) failed.set(index, `${f.error}; without the event's strings: ${second.get(index)!.error}`);
  }
  return { failed };
}
