/**
 * The one reader of a dead-letter queue (the operator CLI and the `npm start` scenario both use it):
 * looking into it without consuming it: messages are received (which hides them for a while), then
 * made visible again, unless a replay deletes them after their records were accepted by the stream.
 * The receive loop (`receiveMessages`) also serves any other queue (the scenario's alerts tap).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseDlqBody, type DlqMessageBody } from './dlq-messages';

/** A received message, not parsed. */
export interface QueueMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  /** When SQS received it. */
  readonly sentAt?: Date;
  readonly receiveCount: number;
  readonly raw: string;
}

/** A received dead-letter queue message, classified (./dlq-messages.ts). */
export interface DlqMessage extends QueueMessage {
  readonly body: DlqMessageBody;
}

export async function queueUrlOf(sqs: SQSClient, queueName: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  if (!QueueUrl) throw new Error(`queue ${queueName} has no URL`);
  return QueueUrl;
}

export async function approximateDepth(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0), inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

function toQueueMessage(message: Message): QueueMessage {
  const sent = message.Attributes?.SentTimestamp;
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    sentAt: sent ? new Date(Number(sent)) : undefined,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
    raw: message.Body ?? '',
  };
}

export interface PeekOptions {
  /** Stop after this many messages. Default 1,000. */
  readonly max?: number;
  /** How long received messages stay hidden from other consumers (s). Default 60. */
  readonly visibilityTimeoutSeconds?: number;
}

/**
 * Receives up to `max` messages and keeps them hidden (call release() or delete them). Stops when
 * the queue answers empty twice in a row: SQS may answer empty once while messages remain.
 */
export async function receiveMessages(sqs: SQSClient, queueUrl: string, options: PeekOptions = {}): Promise<QueueMessage[]> {
  const max = options.max ?? 1000;
  const seen = new Map<string, QueueMessage>();
  let emptyAnswers = 0;
  while (seen.size < max && emptyAnswers < 2) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - seen.size),
        VisibilityTimeout: options.visibilityTimeoutSeconds ?? 60,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      }),
    );
    if (!Messages || Messages.length === 0) {
      emptyAnswers++;
      continue;
    }
    emptyAnswers = 0;
    for (const message of Messages) seen.set(message.MessageId!, toQueueMessage(message));
  }
  return [...seen.values()].sort((a, b) => (a.sentAt?.getTime() ?? 0) - (b.sentAt?.getTime() ?? 0));
}

/** receiveMessages on a dead-letter queue, each message classified; they stay hidden (release() or delete them). */
export async function receiveAll(sqs: SQSClient, queueUrl: string, options: PeekOptions = {}): Promise<DlqMessage[]> {
  return (await receiveMessages(sqs, queueUrl, options)).map((m) => ({ ...m, body: parseDlqBody(m.raw) }));
}

/** Every message of a dead-letter queue (up to `max`), left in the queue: received, then made visible again. */
export async function peekAll(sqs: SQSClient, queueUrl: string, options: PeekOptions = {}): Promise<DlqMessage[]> {
  const messages = await receiveAll(sqs, queueUrl, { visibilityTimeoutSeconds: 30, ...options });
  await release(sqs, queueUrl, messages);
  return messages;
}

/** Makes received messages visible again at once (they stay in the queue). */
export async function release(sqs: SQSClient, queueUrl: string, messages: readonly QueueMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.receiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
}

export async function deleteMessage(sqs: SQSClient, queueUrl: string, message: QueueMessage): Promise<void> {
  await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.receiptHandle }));
}

/** Deletes received messages, ten per call; throws if any could not be deleted. */
export async function deleteMessages(sqs: SQSClient, queueUrl: string, messages: readonly QueueMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const { Failed } = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.receiptHandle })) }));
    if (Failed?.length) throw new Error(`${Failed.length} message(s) not deleted from ${queueUrl}: ${Failed[0]!.Message ?? Failed[0]!.Code}`);
  }
}
