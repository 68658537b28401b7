/**
 * Reads what the pipeline did, through the public AWS APIs only (DynamoDB Scan, SQS ReceiveMessage),
 * so the reconciliation judges the same data an operator would see on AWS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { parsePoisonRecordMessage, type PoisonRecordMessage } from '../../lambdas/shared/dlq-message';
import type { OnFailureRecord } from './reconcile';

export interface ObserveClients {
  readonly dynamodb: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
}

/** Clients from the standard configuration chain (the local target's AWS_ENDPOINT_URL_* or AWS itself). */
export function createObserveClients(): ObserveClients {
  return { dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient({})), sqs: new SQSClient({}) };
}

export function destroyObserveClients(clients: ObserveClients): void {
  clients.dynamodb.destroy();
  clients.sqs.destroy();
}

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
  const items = await scanByPrefix(client, tableName, prefix);
  return new Map(items.map((item) => [String(item.pk), String(item.status)]));
}

export interface DlqContents {
  readonly poison: PoisonRecordMessage[];
  readonly onFailure: OnFailureRecord[];
  readonly unreadable: string[];
}

/** Parses an event source mapping on-failure record; undefined for any other body. */
export function parseOnFailureRecord(body: string): OnFailureRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { requestContext, KinesisBatchInfo: info } = parsed as { requestContext?: { condition?: unknown }; KinesisBatchInfo?: Record<string, unknown> };
  if (!info || typeof info.shardId !== 'string' || typeof info.startSequenceNumber !== 'string' || typeof info.endSequenceNumber !== 'string') return undefined;
  return {
    condition: typeof requestContext?.condition === 'string' ? requestContext.condition : 'unknown',
    shardId: info.shardId,
    startSequenceNumber: info.startSequenceNumber,
    endSequenceNumber: info.endSequenceNumber,
    batchSize: typeof info.batchSize === 'number' ? info.batchSize : 0,
  };
}

const RECEIVE_BATCH = 10;
/** Long enough that one read of the whole queue sees each message once. */
const READ_VISIBILITY_SECONDS = 60;

/** Receives until the queue answers empty twice in a row; returns the distinct messages. */
async function receiveAll(sqs: SQSClient, queueUrl: string, visibilityTimeout: number): Promise<Message[]> {
  const seen = new Map<string, Message>();
  let empty = 0;
  while (empty < 2) {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: RECEIVE_BATCH,
        VisibilityTimeout: visibilityTimeout,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = response.Messages ?? [];
    if (messages.length === 0) empty += 1;
    else empty = 0;
    for (const m of messages) if (m.MessageId) seen.set(m.MessageId, m);
  }
  return [...seen.values()];
}

/**
 * Reads every DLQ message without consuming it: each is made visible again right after, so the
 * operator CLI (`dlq list`, `dlq replay`) still finds them.
 */
export async function readDlq(sqs: SQSClient, queueUrl: string): Promise<DlqContents> {
  const messages = await receiveAll(sqs, queueUrl, READ_VISIBILITY_SECONDS);
  for (let i = 0; i < messages.length; i += RECEIVE_BATCH) {
    const chunk = messages.slice(i, i + RECEIVE_BATCH);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
  const contents: DlqContents = { poison: [], onFailure: [], unreadable: [] };
  for (const m of messages) {
    const body = m.Body ?? '';
    const poison = parsePoisonRecordMessage(body);
    if (poison) {
      contents.poison.push(poison);
      continue;
    }
    const failure = parseOnFailureRecord(body);
    if (failure) contents.onFailure.push(failure);
    else contents.unreadable.push(body);
  }
  return contents;
}

/** Receives and deletes what is on a queue (the scenario's own alerts subscription). */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const messages = await receiveAll(sqs, queueUrl, 30);
  for (let i = 0; i < messages.length; i += RECEIVE_BATCH) {
    const chunk = messages.slice(i, i + RECEIVE_BATCH);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })) }));
  }
  return messages.map((m) => m.Body ?? '');
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
