/**
 * Reads what the pipeline did, through the public AWS APIs only (DynamoDB Scan, SQS ReceiveMessage),
 * so the reconciliation judges the same data an operator would see on AWS.
 */
import { paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { OnFailureRecord as ClientOnFailureRecord } from '../../client/operations/dlq-messages';
import { deleteMessages, peekAll, receiveMessages } from '../../client/operations/dlq-queue';
import { safeText } from '../../client/operations/render';
import type { PoisonRecordMessage } from '../../lambdas/shared/dlq-message';
import type { OnFailureRecord } from '../judge/reconcile-pipeline';

/** Long enough that one read of the whole queue sees each message once. */
const READ_VISIBILITY_SECONDS = 60;

/** Every item of a table whose `pk` starts with `prefix` (a scan: the run's keys are spread over the table). */
export async function scanByPrefix(client: DynamoDBDocumentClient, tableName: string, prefix: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const pages = paginateScan(
    { client, pageSize: 1000 },
    {
      TableName: tableName,
      FilterExpression: 'begins_with(#pk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: { ':prefix': prefix },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

/** Idempotency key → status, for keys starting with `prefix`. */
export async function readIdempotency(client: DynamoDBDocumentClient, tableName: string, prefix: string): Promise<Map<string, string>> {
  return (await readIdempotencyKeys(client, tableName, prefix)).statuses;
}

/** Idempotency key → status, and → the outcome a COMPLETED key records (where it records one), for keys starting with `prefix`. */
export async function readIdempotencyKeys(client: DynamoDBDocumentClient, tableName: string, prefix: string): Promise<{ statuses: Map<string, string>; outcomes: Map<string, string> }> {
  const items = await scanByPrefix(client, tableName, prefix);
  const outcomes = new Map<string, string>();
  for (const item of items) if (typeof item.outcome === 'string') outcomes.set(String(item.pk), item.outcome);
  return { statuses: new Map(items.map((item) => [String(item.pk), String(item.status)])), outcomes };
}

export interface DlqContents {
  readonly poison: PoisonRecordMessage[];
  readonly onFailure: OnFailureRecord[];
  /** Safe previews (bounded, terminal-safe) of messages that are neither. */
  readonly unreadable: string[];
}

/** How much of an unrecognised message the reconciliation quotes. */
const UNREADABLE_PREVIEW_CHARS = 200;

/** The scenario's view of an event source mapping on-failure record (shown in its problems: terminal-safe). */
function toOnFailureRecord(record: ClientOnFailureRecord): OnFailureRecord {
  const info = record.KinesisBatchInfo;
  return {
    condition: safeText(record.requestContext.condition, 60),
    shardId: safeText(info.shardId, 100),
    startSequenceNumber: info.startSequenceNumber,
    endSequenceNumber: info.endSequenceNumber,
    batchSize: info.batchSize,
  };
}

/**
 * Reads every DLQ message without consuming it (the operator CLI's reader, client/operations), so
 * `dlq list` and `dlq replay` still find them afterwards.
 */
export async function readDlq(sqs: SQSClient, queueUrl: string): Promise<DlqContents> {
  const messages = await peekAll(sqs, queueUrl, { max: Number.POSITIVE_INFINITY, visibilityTimeoutSeconds: READ_VISIBILITY_SECONDS });
  const contents: DlqContents = { poison: [], onFailure: [], unreadable: [] };
  for (const { body, raw } of messages) {
    if (body.kind === 'poison-record') contents.poison.push(body.poison);
    else if (body.kind === 'on-failure') contents.onFailure.push(toOnFailureRecord(body.onFailure));
    else contents.unreadable.push(`${body.problem}: ${safeText(raw, UNREADABLE_PREVIEW_CHARS)}`);
  }
  return contents;
}

/** Receives and deletes what is on a queue (the scenario's own alerts subscription). */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const messages = await receiveMessages(sqs, queueUrl, { max: Number.POSITIVE_INFINITY, visibilityTimeoutSeconds: 30 });
  await deleteMessages(sqs, queueUrl, messages);
  return messages.map((m) => m.raw);
}

/** The message an SNS topic delivered to SQS: raw, or inside SNS's JSON notification envelope. */
export function unwrapSnsMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { Type?: unknown; Message?: unknown };
    if (parsed.Type === 'Notification' && typeof parsed.Message === 'string') return parsed.Message;
  } catch {
    // Not JSON: a raw delivery of a non-JSON message.
  }
  return body;
}
