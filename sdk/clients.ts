/**
 * AWS SDK clients for the producer and the operator CLI, built from the standard configuration chain
 * only (region, credentials and endpoints from the environment: AWS, the embedded local target and
 * LocalStack all work without code changes).
 */
import { CloudWatchClient, type CloudWatchClientConfig } from '@aws-sdk/client-cloudwatch';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * A Kinesis client on HTTP/1.1: kinesis-mock (the local emulator) fails with an HTTP/2 protocol error
 * otherwise, and AWS accepts HTTP/1.1 for every API except SubscribeToShard, which we do not use.
 */
export function createKinesisClient(config: KinesisClientConfig = {}): KinesisClient {
  return new KinesisClient({ requestHandler: new NodeHttpHandler(), ...config });
}

export function createSqsClient(config: SQSClientConfig = {}): SQSClient {
  return new SQSClient(config);
}

export function createCloudWatchClient(config: CloudWatchClientConfig = {}): CloudWatchClient {
  return new CloudWatchClient(config);
}
