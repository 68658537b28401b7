/** Test queues on the real SQS emulator (AWS_ENDPOINT_URL_SQS), uniquely named per test. */
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, SendMessageCommand, ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../../sdk/clients';

export class TestQueue {
  private constructor(
    readonly sqs: SQSClient,
    readonly queueUrl: string,
  ) {}

  static async create(prefix: string, sqs: SQSClient = createSqsClient()): Promise<TestQueue> {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-${randomUUID().slice(0, 8)}` }));
    return new TestQueue(sqs, QueueUrl!);
  }

  async send(body: unknown): Promise<string> {
    const { MessageId } = await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: typeof body === 'string' ? body : JSON.stringify(body) }));
    return MessageId!;
  }

  /** Ids of the messages visible now (received, then made visible again). */
  async visibleIds(): Promise<string[]> {
    const ids = new Map<string, string>();
    for (let empty = 0; empty < 2; ) {
      const { Messages } = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 20 }));
      if (!Messages?.length) {
        empty++;
        continue;
      }
      for (const m of Messages) ids.set(m.MessageId!, m.ReceiptHandle!);
    }
    const entries = [...ids.values()].map((handle, i) => ({ Id: String(i), ReceiptHandle: handle, VisibilityTimeout: 0 }));
    for (let i = 0; i < entries.length; i += 10) await this.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.queueUrl, Entries: entries.slice(i, i + 10) }));
    return [...ids.keys()].sort();
  }

  async delete(): Promise<void> {
    await this.sqs.send(new DeleteQueueCommand({ QueueUrl: this.queueUrl })).catch(() => undefined);
  }
}
