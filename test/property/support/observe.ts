/**
 * What the processor left behind, read as an operator would: the dead-letter queue's messages, the
 * alerts published, and the items of the idempotency and state tables (numbers read exactly, as
 * strings, so a number no JS double can hold is still readable).
 */
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, NumberValue } from '@aws-sdk/lib-dynamodb';
import { parseDlqBody } from '../../../client/operations/dlq-messages';
import type { PoisonRecordMessage } from '../../../lambdas/shared/dlq-message';
import { drainQueue, dynamodbClient } from '../../processor/support/aws';

const exactReader = DynamoDBDocumentClient.from(dynamodbClient, { unmarshallOptions: { wrapNumbers: true } });

export interface DeadLetter {
  readonly body: string;
  /** Undefined: the body is not a poison-record message. */
  readonly message: PoisonRecordMessage | undefined;
  /** Set when the body is the event source mapping's on-failure record: it gave records up. */
  readonly gaveUp?: { readonly shardId: string; readonly startSequenceNumber: string; readonly endSequenceNumber: string; readonly batchSize: number };
}

/** Classifies a DLQ body as the operator CLI does. */
export function deadLetterOf(body: string): DeadLetter {
  const parsed = parseDlqBody(body);
  if (parsed.kind === 'poison-record') return { body, message: parsed.poison };
  if (parsed.kind === 'on-failure') {
    const { shardId, startSequenceNumber, endSequenceNumber, batchSize } = parsed.onFailure.KinesisBatchInfo;
    return { body, message: undefined, gaveUp: { shardId, startSequenceNumber, endSequenceNumber, batchSize } };
  }
  return { body, message: undefined };
}

export async function readDeadLetters(queueUrl: string): Promise<DeadLetter[]> {
  return (await drainQueue(queueUrl)).map((m) => deadLetterOf(m.Body ?? ''));
}

/** Messages of a queue subscribed to a topic; SNS may deliver asynchronously, so read until two reads find none. */
export async function readPublished(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let quiet = 0; quiet < 2; ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const messages = await drainQueue(queueUrl);
    bodies.push(...messages.map((m) => m.Body ?? ''));
    quiet = messages.length === 0 ? quiet + 1 : 0;
  }
  return bodies;
}

export type ItemRead =
  /** `storedKey` is set when the store keeps the item under another key than the one written (a lone surrogate replaced). */
  | { readonly item: Record<string, unknown> | undefined; readonly storedKey?: string }
  | { readonly error: string };

/** What UTF-8 makes of a string: each lone surrogate becomes U+FFFD. */
export const wellFormed = (text: string): string => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** Items by partition key `pk`; a key the store refuses to read is reported, not thrown. */
export async function readItems(table: string, keys: Iterable<string>): Promise<Map<string, ItemRead>> {
  const unique = [...new Set(keys)];
  const out = new Map<string, ItemRead>();
  for (let i = 0; i < unique.length; i += 100) {
    const chunk = unique.slice(i, i + 100);
    try {
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
        [table]: { Keys: chunk.map((pk) => ({ pk })), ConsistentRead: true },
      };
      const found = new Map<string, Record<string, unknown>>();
      while (request && Object.keys(request).length > 0) {
        const result = await exactReader.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[table] ?? []) found.set(String(item.pk), item);
        request = result.UnprocessedKeys as typeof request;
      }
      for (const pk of chunk) {
        const item = found.get(pk) ?? found.get(wellFormed(pk));
        out.set(pk, item && item.pk !== pk ? { item, storedKey: String(item.pk) } : { item });
      }
    } catch {
      // One refused key fails the whole BatchGetItem: read the chunk key by key to tell which.
      for (const pk of chunk) {
        try {
          const { Item } = await exactReader.send(new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }));
          out.set(pk, Item && Item.pk !== pk ? { item: Item, storedKey: String(Item.pk) } : { item: Item });
        } catch (error) {
          out.set(pk, { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        }
      }
    }
  }
  return out;
}

/** A number attribute as read exactly (NumberValue), as a JS number. */
export function numberOf(value: unknown): number | undefined {
  if (value instanceof NumberValue) return Number(value.value);
  return typeof value === 'number' ? value : undefined;
}
