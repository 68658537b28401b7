import {
  CreateStreamCommand,
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  RegisterStreamConsumerCommand,
  IncreaseStreamRetentionPeriodCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type { DeployedData } from './deployed-data';

export interface DeployStreamOptions {
  readonly name: string;
  readonly region: string;
  readonly account: string;
  /** Shards of an ON_DEMAND stream here (AWS scales them; locally a fixed small number). */
  readonly onDemandShardCount: number;
}

const DEFAULT_RETENTION_HOURS = 24;
/** Properties that change nothing observable locally (encryption is AWS-side). */
export const STREAM_NOT_EMULATED = ['StreamEncryption', 'Tags'];

/**
 * AWS::Kinesis::Stream → CreateStream (+ retention), waits until ACTIVE. An ON_DEMAND stream is created in
 * the on-demand mode (so DescribeStreamSummary says so, and resharding it is refused as on AWS) with a
 * small fixed shard count: kinesis-mock does not scale it by itself.
 */
export async function deployStream(kinesis: KinesisClient, props: Record<string, unknown>, options: DeployStreamOptions): Promise<DeployedData> {
  const mode = (props.StreamModeDetails as { StreamMode?: string } | undefined)?.StreamMode ?? 'PROVISIONED';
  const shardCount = mode === 'ON_DEMAND' ? options.onDemandShardCount : Number(props.ShardCount ?? 1);
  await kinesis.send(new CreateStreamCommand({ StreamName: options.name, ShardCount: shardCount, ...(mode === 'ON_DEMAND' ? { StreamModeDetails: { StreamMode: 'ON_DEMAND' } } : {}) }));
  await waitUntilActive(kinesis, options.name);
  const retention = Number(props.RetentionPeriodHours ?? DEFAULT_RETENTION_HOURS);
  if (retention > DEFAULT_RETENTION_HOURS) {
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: options.name, RetentionPeriodHours: retention }));
    await waitUntilActive(kinesis, options.name);
  }
  const arn = `arn:aws:kinesis:${options.region}:${options.account}:stream/${options.name}`;
  return {
    physicalId: options.name,
    arn,
    attributes: { Arn: arn, Name: options.name },
    summary: `${shardCount} shards${mode === 'ON_DEMAND' ? ' (ON_DEMAND in the template)' : ''}, retention ${retention} h`,
  };
}

async function waitUntilActive(kinesis: KinesisClient, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`stream ${name} is not ACTIVE after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * AWS::Kinesis::StreamConsumer → RegisterStreamConsumer on kinesis-local, then waits until the consumer
 * is ACTIVE (a mapping on a consumer still CREATING fails on AWS). Ref is the consumer ARN, as in
 * CloudFormation; the ARN carries kinesis-local's creation timestamp, as AWS's does.
 */
export async function deployStreamConsumer(kinesis: KinesisClient, props: Record<string, unknown>): Promise<DeployedData> {
  const streamArn = String(props.StreamARN);
  const consumerName = String(props.ConsumerName);
  const out = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: consumerName }));
  const consumerArn = out.Consumer?.ConsumerARN;
  if (!consumerArn) throw new Error(`RegisterStreamConsumer ${consumerName} on ${streamArn} returned no ConsumerARN`);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const described = await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn }));
    const consumer = described.ConsumerDescription;
    if (consumer?.ConsumerStatus === 'ACTIVE') {
      return {
        physicalId: consumerArn,
        ref: consumerArn,
        arn: consumerArn,
        attributes: {
          ConsumerARN: consumerArn,
          ConsumerName: consumerName,
          ConsumerStatus: 'ACTIVE',
          StreamARN: streamArn,
          ConsumerCreationTimestamp: consumer.ConsumerCreationTimestamp?.toISOString() ?? '',
        },
        summary: `consumer of ${streamArn.split('/').pop() ?? streamArn}`,
      };
    }
    if (Date.now() > deadline) throw new Error(`stream consumer ${consumerName} is not ACTIVE after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function removeStreamConsumer(kinesis: KinesisClient, deployed: DeployedData): Promise<unknown> {
  return kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: deployed.physicalId }));
}
