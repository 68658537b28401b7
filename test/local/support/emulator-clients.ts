/** SDK clients for the emulators the test runner started (endpoints in AWS_ENDPOINT_URL_*). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { EmulatorEndpoints } from '../../../local/contracts';
import type { DeployClients } from '../../../local/deploy';
import { emulatorEndpointsFromEnv, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/emulators';

export function runnerEmulators(): EmulatorEndpoints {
  const endpoints = emulatorEndpointsFromEnv();
  if (!endpoints) throw new Error('AWS_ENDPOINT_URL_KINESIS/DYNAMODB/SQS/SNS are not set: run the tests with npm test (test/run-tests.ts starts the emulators)');
  return endpoints;
}

export function clientsFor(endpoints: EmulatorEndpoints): DeployClients & { destroy(): void } {
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const clients = {
    kinesis: new KinesisClient({ ...common, endpoint: endpoints.kinesis, requestHandler: new NodeHttpHandler() }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
    sqs: new SQSClient({ ...common, endpoint: endpoints.sqs }),
    sns: new SNSClient({ ...common, endpoint: endpoints.sns }),
  };
  return { ...clients, destroy: () => Object.values(clients).forEach((c) => c.destroy()) };
}
