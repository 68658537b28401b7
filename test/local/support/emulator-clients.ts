/** SDK clients for the emulators the test runner started (endpoints in AWS_ENDPOINT_URL_*). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createKinesisClient } from '../../../sdk/clients';
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
    kinesis: createKinesisClient({ ...common, endpoint: endpoints.kinesis }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
    sqs: new SQSClient({ ...common, endpoint: endpoints.sqs }),
    sns: new SNSClient({ ...common, endpoint: endpoints.sns }),
  };
  return { ...clients, destroy: () => Object.values(clients).forEach((c) => c.destroy()) };
}
