import { CreateTopicCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeployedData } from './deployed-data';

/** SQS attributes the template sets as properties of the same name (values become strings). */
const QUEUE_ATTRIBUTES = ['DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ReceiveMessageWaitTimeSeconds', 'VisibilityTimeout', 'FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit'] as const;
export const QUEUE_NOT_EMULATED = ['KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled', 'Tags', 'RedriveAllowPolicy'];
export const TOPIC_NOT_EMULATED = ['KmsMasterKeyId', 'Tags', 'DataProtectionPolicy', 'ArchivePolicy', 'TracingConfig', 'DeliveryStatusLogging', 'SignatureVersion'];

/** AWS::SQS::Queue → CreateQueue with the attributes that matter (retention, visibility, redrive...). */
export async function deployQueue(sqs: SQSClient, props: Record<string, unknown>, settings: { readonly name: string }): Promise<DeployedData> {
  const attributes: Record<string, string> = {};
  for (const key of QUEUE_ATTRIBUTES) if (props[key] !== undefined) attributes[key] = String(props[key]);
  if (props.RedrivePolicy !== undefined) attributes.RedrivePolicy = JSON.stringify(props.RedrivePolicy);
  const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: settings.name, Attributes: attributes }));
  if (!url) throw new Error(`CreateQueue ${settings.name} returned no URL`);
  const read = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = read.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${settings.name} has no QueueArn`);
  const shown = Object.entries(attributes).map(([k, v]) => `${k}=${v}`).join(', ');
  return {
    physicalId: url,
    ref: url,
    arn,
    attributes: { Arn: arn, QueueName: settings.name, QueueUrl: url },
    summary: shown || 'default attributes',
  };
}

/** AWS::SNS::Topic → CreateTopic (inline Subscription entries are created by the caller once queues exist). */
export async function deployTopic(sns: SNSClient, props: Record<string, unknown>, settings: { readonly name: string }): Promise<DeployedData> {
  const attributes: Record<string, string> = {};
  if (props.DisplayName !== undefined) attributes.DisplayName = String(props.DisplayName);
  if (props.FifoTopic !== undefined) attributes.FifoTopic = String(props.FifoTopic);
  if (props.ContentBasedDeduplication !== undefined) attributes.ContentBasedDeduplication = String(props.ContentBasedDeduplication);
  const { TopicArn: arn } = await sns.send(new CreateTopicCommand({ Name: settings.name, Attributes: attributes }));
  if (!arn) throw new Error(`CreateTopic ${settings.name} returned no ARN`);
  return {
    physicalId: arn,
    ref: arn,
    arn,
    attributes: { TopicArn: arn, TopicName: settings.name },
    summary: attributes.DisplayName ? `"${attributes.DisplayName}"` : '',
  };
}

export interface SubscriptionProps {
  readonly Protocol: string;
  readonly Endpoint: string;
  readonly TopicArn: string;
  readonly RawMessageDelivery?: boolean | string;
  readonly FilterPolicy?: unknown;
  readonly FilterPolicyScope?: string;
}

/** Protocols a local subscription can deliver to. */
export const EMULATED_PROTOCOLS = ['sqs'];

/** AWS::SNS::Subscription (protocol sqs) → Subscribe. */
export async function subscribe(sns: SNSClient, props: SubscriptionProps): Promise<string> {
  const attributes: Record<string, string> = {};
  if (props.RawMessageDelivery !== undefined) attributes.RawMessageDelivery = String(props.RawMessageDelivery);
  if (props.FilterPolicy !== undefined) attributes.FilterPolicy = JSON.stringify(props.FilterPolicy);
  if (props.FilterPolicyScope !== undefined) attributes.FilterPolicyScope = props.FilterPolicyScope;
  const out = await sns.send(
    new SubscribeCommand({ TopicArn: props.TopicArn, Protocol: props.Protocol, Endpoint: props.Endpoint, Attributes: attributes, ReturnSubscriptionArn: true }),
  );
  return out.SubscriptionArn ?? `${props.TopicArn}:subscription`;
}
