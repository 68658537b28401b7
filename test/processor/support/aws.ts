/**
 * Real emulator resources for processor tests: uniquely named tables, queues and topics on the
 * endpoints the test runner exports (AWS_ENDPOINT_URL_*), and readers for what the processor wrote.
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, DeleteTopicCommand, SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { IdempotencyTable, StateTable } from '../../../lambdas/shared/tables';

export const dynamodbClient = new DynamoDBClient({});
export const documentClient = DynamoDBDocumentClient.from(dynamodbClient, { marshallOptions: { removeUndefinedValues: true } });
export const sqs = new SQSClient({});
export const sns = new SNSClient({});

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** `dueIndex`: the windowed pipelines' sparse due index on the state table, as the stack creates it. */
export async function createTable(name: string, partitionKey: string = IdempotencyTable.partitionKey, options: { dueIndex?: boolean } = {}): Promise<string> {
  const { dueIndex } = StateTable;
  await dynamodbClient.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: 'S' },
        ...(options.dueIndex
          ? [
              { AttributeName: dueIndex.partitionKey, AttributeType: 'S' as const },
              { AttributeName: dueIndex.sortKey, AttributeType: 'N' as const },
            ]
          : []),
      ],
      KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      ...(options.dueIndex
        ? {
            GlobalSecondaryIndexes: [
              {
                IndexName: dueIndex.name,
                KeySchema: [
                  { AttributeName: dueIndex.partitionKey, KeyType: 'HASH' },
                  { AttributeName: dueIndex.sortKey, KeyType: 'RANGE' },
                ],
                Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...dueIndex.projected] },
              },
            ],
          }
        : {}),
    }),
  );
  return name;
}

export async function deleteTable(name: string): Promise<void> {
  await dynamodbClient.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
}

export async function createQueue(name: string): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  return out.QueueUrl!;
}

export async function deleteQueue(url: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
}

/** Every message currently on a queue (received, not deleted: tests only read). */
export async function drainQueue(url: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60, MessageAttributeNames: ['All'] }));
    if (!out.Messages?.length) return messages;
    messages.push(...out.Messages);
  }
}

/** A queue subscribed (raw delivery) to an existing topic, so tests can see what is published on it. */
export async function observeTopic(topicArn: string, queueName: string): Promise<{ queueUrl: string; cleanup: () => Promise<void> }> {
  const queueUrl = await createQueue(queueName);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = Attributes!.QueueArn!;
  const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' }, ReturnSubscriptionArn: true }));
  return {
    queueUrl,
    cleanup: async () => {
      if (SubscriptionArn) await sns.send(new UnsubscribeCommand({ SubscriptionArn })).catch(() => undefined);
      await deleteQueue(queueUrl);
    },
  };
}

/** A topic with a queue subscribed (raw delivery), so tests can see what was published. */
export async function createObservedTopic(name: string): Promise<{ topicArn: string; queueUrl: string; cleanup: () => Promise<void> }> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  const observer = await observeTopic(TopicArn!, `${name}-observer`);
  return {
    topicArn: TopicArn!,
    queueUrl: observer.queueUrl,
    cleanup: async () => {
      await sns.send(new DeleteTopicCommand({ TopicArn })).catch(() => undefined);
      await observer.cleanup();
    },
  };
}

export async function getItem(table: string, pk: string): Promise<Record<string, unknown> | undefined> {
  const out = await documentClient.send(new GetCommand({ TableName: table, Key: { [StateTable.partitionKey]: pk }, ConsistentRead: true }));
  return out.Item;
}

export async function putItem(table: string, item: Record<string, unknown>): Promise<void> {
  await documentClient.send(new PutCommand({ TableName: table, Item: item }));
}

export async function scanAll(table: string): Promise<Record<string, unknown>[]> {
  const out = await documentClient.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
  return out.Items ?? [];
}
