/**
 * AWS SDK clients, built from the standard configuration chain only (region, credentials and endpoints
 * from the environment: AWS, the embedded local target and LocalStack all work without code changes),
 * for every room that talks to AWS from outside Lambda: the producer client and the operator CLI, the
 * local AWS, the scenario, the tests and the benchmarks.
 *
 * Kinesis clients speak HTTP/1.1: that rule is lambdas/shared/kinesis-client.ts's, used here.
 */
import { CloudWatchClient, type CloudWatchClientConfig } from '@aws-sdk/client-cloudwatch';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { kinesisClient, type KinesisClientOptions } from '../lambdas/shared/kinesis-client';

export type { KinesisClientOptions };

/** A Kinesis client on HTTP/1.1 (the rule lives in lambdas/shared/kinesis-client.ts, shared with the Lambda code). */
export function createKinesisClient(options: KinesisClientOptions = {}): KinesisClient {
  return kinesisClient(options);
}

export function createSqsClient(config: SQSClientConfig = {}): SQSClient {
  return new SQSClient(config);
}

export function createCloudWatchClient(config: CloudWatchClientConfig = {}): CloudWatchClient {
  return new CloudWatchClient(config);
}
