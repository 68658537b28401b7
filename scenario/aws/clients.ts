/**
 * The scenario's AWS clients, one of each for a whole run, from the standard configuration chain (the
 * local target's AWS_ENDPOINT_URL_* or AWS itself): the same calls work against any target.
 */
import { type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createCloudWatchClient, createSqsClient } from '../../sdk/clients';

export interface ScenarioClients {
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBDocumentClient;
}

export function createScenarioClients(): ScenarioClients {
  return {
    lambda: new LambdaClient({}),
    cloudwatch: createCloudWatchClient(),
    sns: new SNSClient({}),
    sqs: createSqsClient(),
    dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  };
}

export function destroyScenarioClients(clients: ScenarioClients): void {
  for (const client of Object.values(clients)) client.destroy();
}
