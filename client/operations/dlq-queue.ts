/**
 * Looking into a dead-letter queue without consuming it: messages are received (which hides them
 * for a while), then made visible again, unless a replay deletes them after their records were
 * accepted by the stream.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseDlqBody, type DlqMessageBody } from './dlq-messages';

export interface DlqMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  /** When SQS received it. */
  readonly sentAt?: Date;
  readonly receiveCount: number;
  readonly raw: string;
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

function toDlqMessage(message: Message): DlqMessage {
  const sent = message.Attributes?.SentTimestamp;
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    sentAt: sent ? new Date(Number(sent)) : undefined,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
    raw: message.Body ?? '',
    body: parseDlqBody(message.Body ?? ''),
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
export async function receiveAll(sqs: SQSClient, queueUrl: string, options: PeekOptions = {}): Promise<DlqMessage[]> {
  const max = options.max ?? 1000;
  const seen = new Map<string, DlqMessage>();
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
    for (const message of Messages) seen.set(message.MessageId!, toDlqMessage(message));
  }
  return [...seen.values()].sort((a, b) => (a.sentAt?.getTime() ?? 0) - (b.sentAt?.getTime() ?? 0));
}

/** Makes received messages visible again at once (they stay in the queue). */
export async function release(sqs: SQSClient, queueUrl: string, messages: readonly DlqMessage[]): Promise<void> {
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

export async function deleteMessage(sqs: SQSClient, queueUrl: string, message: DlqMessage): Promise<void> {
  await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.receiptHandle }));
}
