/**
 * THE dead-letter path, for every kind of poison: a record is put on the DLQ once, however often its
 * batch is delivered.
 *
 * 1. Read the dead-letter markers of the batch's poison records (./idempotency.ts): a marked record is
 *    already on the DLQ from an earlier delivery and counts as dead-lettered without a second message.
 * 2. Send the others (./dead-letter-queue.ts). A record that cannot be sent fails (retried, its key
 *    stops): never dropped.
 * 3. Write the markers of what was sent, retried through a short DynamoDB blip. If that still fails the
 *    records stay dead-lettered; a redelivery may then send a second copy, which DLQ readers drop by
 *    stream position (`dlq replay` puts each record back once).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sendToDeadLetterQueue, type PoisonRecord, type SqsClientSource } from './dead-letter-queue';
import { backoffMs, batchGet, batchWrite, sleep, type DynamoUsage } from './dynamo';
import { describeError } from './errors';
import { deadLetterMarker, deadLetterMarkerKey, type IdempotencyWrites } from './idempotency';
import { recordPosition, type UserRecord } from './records';
import type { WorkItem } from './work-item';

export interface DeadLetterContext {
  readonly sqs: SqsClientSource;
  readonly queueUrl: string;
  readonly pipeline: string;
  readonly ddb: DynamoDBDocumentClient;
  readonly usage: DynamoUsage;
  readonly idempotency: IdempotencyWrites;
  readonly logger: Logger;
  /** Epoch ms. */
  readonly now: () => number;
}

const MARKER_WRITE_ATTEMPTS = 4;

/** The records of `items` already on the DLQ from an earlier delivery (their markers), with the reason they were sent for. Throws if unreadable. */
export async function deadLetteredEarlier(items: readonly WorkItem[], read: { readonly ddb: DynamoDBDocumentClient; readonly usage: DynamoUsage; readonly table: string }): Promise<Map<WorkItem, string>> {
  if (items.length === 0) return new Map();
  const keys = new Map(items.map((item) => [item, deadLetterMarkerKey(recordPosition(item.record))]));
  const snapshot = await batchGet(read.ddb, [...new Set(keys.values())].map((pk) => ({ table: read.table, pk })), read.usage);
  const marked = new Map<WorkItem, string>();
  for (const [item, pk] of keys) {
    const marker = snapshot.get(read.table, pk);
    if (marker) marked.set(item, String(marker.reason));
  }
  return marked;
}

/** Positions of `items` already marked dead-lettered; empty (and logged) if the markers cannot be read. */
async function markedPositions(items: readonly WorkItem[], ctx: DeadLetterContext): Promise<Set<string>> {
  try {
    const marked = await deadLetteredEarlier(items, { ddb: ctx.ddb, usage: ctx.usage, table: ctx.idempotency.table });
    return new Set([...marked.keys()].map((item) => recordPosition(item.record)));
  } catch (error) {
    ctx.logger.warn('dead-letter markers unreadable; poison records are sent again (readers drop copies by stream position)', { error: describeError(error), records: items.length });
    return new Set();
  }
}

async function writeMarkers(items: readonly WorkItem[], ctx: DeadLetterContext): Promise<void> {
  const nowMs = ctx.now();
  const writes = items.map((item) => ({ PutRequest: { Item: deadLetterMarker(ctx.idempotency, recordPosition(item.record), item.poison!.reason, nowMs) } }));
  for (let attempt = 1; ; attempt++) {
    try {
      await batchWrite(ctx.ddb, ctx.idempotency.table, writes, ctx.usage);
      return;
    } catch (error) {
      if (attempt >= MARKER_WRITE_ATTEMPTS) {
        ctx.logger.error('could not record dead-lettered records; a redelivery may dead-letter them again', { error: describeError(error), records: items.length });
        return;
      }
      await sleep(backoffMs(attempt));
    }
  }
}

function poisonRecordOf(item: WorkItem): PoisonRecord {
  const poison = item.poison!;
  return { record: item.record as UserRecord, reason: poison.reason, error: poison.error, ...(item.event ? { event: item.event } : {}) };
}

/** Dead-letters every record of `items` with poison pending; each ends dead-lettered or failed. */
export async function deadLetterPoison(items: readonly WorkItem[], ctx: DeadLetterContext): Promise<void> {
  const pending = items.filter((item) => item.poison !== undefined);
  if (pending.length === 0) return;
  const marked = await markedPositions(pending, ctx);
  const toSend = pending.filter((item) => !marked.has(recordPosition(item.record)));
  const { failed } = await sendToDeadLetterQueue(ctx.sqs, ctx.queueUrl, ctx.pipeline, toSend.map(poisonRecordOf));
  const sent = toSend.filter((_, index) => !failed.has(index));
  await writeMarkers(sent, ctx);
  for (const item of pending) {
    const index = toSend.indexOf(item);
    const error = index >= 0 ? failed.get(index) : undefined;
    if (error === undefined) item.deadLettered();
    else item.fail(`poison record (${item.poison!.reason}) could not be dead-lettered: ${error}`);
  }
}
