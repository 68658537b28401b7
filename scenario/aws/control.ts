/**
 * The scenario's hands on the deployed pipelines, through the public AWS APIs only: the Lambda API
 * to switch event source mappings off and on (a consumer outage), SNS + SQS to watch the alerts
 * topic, SQS to find the dead-letter queues. The same calls work against AWS.
 */
import {
  InvokeCommand,
  type LambdaClient,
  ListEventSourceMappingsCommand,
  GetEventSourceMappingCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ListTopicsCommand, SubscribeCommand, UnsubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { TargetStateError } from '../errors';

/** The UUIDs of a function's event source mappings. */
export async function mappingsOf(lambda: LambdaClient, functionName: string): Promise<string[]> {
  const response = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionName }));
  const uuids = (response.EventSourceMappings ?? []).map((m) => m.UUID).filter((u): u is string => typeof u === 'string');
  if (uuids.length === 0) throw new TargetStateError(`function ${functionName} has no event source mapping`);
  return uuids;
}

const SETTLED_STATE = { true: 'Enabled', false: 'Disabled' } as const;

/** Enables or disables a mapping and waits until the Lambda API reports the new state. */
export async function setMappingEnabled(lambda: LambdaClient, uuid: string, enabled: boolean, timeoutMs = 30_000): Promise<void> {
  await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: enabled }));
  const want = SETTLED_STATE[String(enabled) as 'true' | 'false'];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { State } = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    if (State === want) return;
    if (Date.now() > deadline) throw new TargetStateError(`event source mapping ${uuid} still ${State} ${timeoutMs} ms after asking for ${want}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Warms `containers` execution environments of a function with empty Kinesis batches (Lambda Invoke),
 * so the measured load does not start with cold starts. An empty batch is a no-op for the processor.
 */
export async function warmUp(lambda: LambdaClient, functionName: string, containers: number): Promise<void> {
  const payload = new TextEncoder().encode(JSON.stringify({ Records: [] }));
  const results = await Promise.all(Array.from({ length: containers }, () => lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: payload }))));
  const failed = results.find((r) => r.FunctionError);
  if (failed) throw new TargetStateError(`warming ${functionName} failed: ${failed.FunctionError} ${new TextDecoder().decode(failed.Payload)}`);
}

export async function topicArnOf(sns: SNSClient, topicName: string): Promise<string> {
  let token: string | undefined;
  do {
    const page = await sns.send(new ListTopicsCommand({ NextToken: token }));
    const match = (page.Topics ?? []).find((t) => t.TopicArn?.split(':').at(-1) === topicName);
    if (match?.TopicArn) return match.TopicArn;
    token = page.NextToken;
  } while (token);
  throw new TargetStateError(`SNS topic ${topicName} not found`);
}

export interface TopicTap {
  readonly queueUrl: string;
  /** Unsubscribes and deletes the queue. */
  close(): Promise<void>;
}

/**
 * Subscribes a new SQS queue to a topic (raw delivery), the way an operations team would listen to
 * the alerts topic, so the scenario sees every alert that was published.
 */
export async function tapTopic(sns: SNSClient, sqs: SQSClient, topicArn: string, queueName: string): Promise<TopicTap> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
  if (!QueueUrl) throw new TargetStateError(`could not create queue ${queueName}`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = Attributes?.QueueArn;
  if (!queueArn) throw new TargetStateError(`queue ${queueName} has no ARN`);
  // On AWS the queue must let the topic send to it; emulators ignore the policy, AWS requires it.
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl,
      Attributes: {
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queueArn, Condition: { ArnEquals: { 'aws:SourceArn': topicArn } } },
          ],
        }),
      },
    }),
  );
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' }, ReturnSubscriptionArn: true }),
  );
  let closed = false;
  return {
    queueUrl: QueueUrl,
    async close() {
      if (closed) return;
      closed = true;
      if (SubscriptionArn) await sns.send(new UnsubscribeCommand({ SubscriptionArn })).catch(() => undefined);
      await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
    },
  };
}
