/**
 * AWS SDK clients, built from the standard configuration chain only (region, credentials and endpoints
 * from the environment: AWS, the embedded local target and LocalStack all work without code changes),
 * for every room that talks to AWS from outside Lambda: the producer client and the operator CLI, the
 * local AWS, the scenario, the tests and the benchmarks.
 *
 * The one outside quirk this file owns: Kinesis clients speak HTTP/1.1.
 */
import { CloudWatchClient, type CloudWatchClientConfig } from '@aws-sdk/client-cloudwatch';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';

export interface KinesisClientOptions extends Omit<KinesisClientConfig, 'requestHandler'> {
  /** Timeouts and sockets of the HTTP/1.1 handler. Default: the handler's defaults. */
  readonly http?: NodeHttpHandlerOptions;
}

/**
 * A Kinesis client on HTTP/1.1: kinesis-mock (the local emulator) fails with an HTTP/2 protocol error
 * otherwise, and AWS accepts HTTP/1.1 for every API except SubscribeToShard, which we do not use.
 */
export function createKinesisClient(options: KinesisClientOptions = {}): KinesisClient {
  const { http, ...config } = options;
  return new KinesisClient({ ...config, requestHandler: new NodeHttpHandler(http) });
}

export function createSqsClient(config: SQSClientConfig = {}): SQSClient {
  return new SQSClient(config);
}

export function createCloudWatchClient(config: CloudWatchClientConfig = {}): CloudWatchClient {
  return new CloudWatchClient(config);
}
