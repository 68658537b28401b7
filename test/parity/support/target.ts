/**
 * The target of the parity suite, and the only place that knows which one it is:
 * - with AWS_ENDPOINT_URL set (LocalStack, MiniStack...), the SDK clients go there and nothing starts;
 * - otherwise the embedded local AWS starts empty (`deploy: false`) on the emulators of `npm test`, and
 *   the clients go to it through its endpoints.
 * Test bodies only use the clients and the helpers below, i.e. the AWS APIs, as LocalStack's own tests
 * do: CreateFunction, CreateEventSourceMapping, Kinesis, SQS, SNS, S3. The LocalStack path is not run
 * on our machines (no Docker here); it is written for it, never claimed as run.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createKinesisClient } from '../../../sdk/clients';
import { emulatorEndpointsFromEnv, startLocalAws, type LocalAws } from '../../../local';

export interface ParityTarget {
  readonly embedded: boolean;
  readonly lambda: LambdaClient;
  readonly kinesis: KinesisClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly s3: S3Client;
  readonly region: string;
  /** An execution role for CreateFunction (PARITY_LAMBDA_ROLE_ARN on AWS; any ARN on emulators). */
  readonly roleArn: string;
  /**
   * Lets `seconds` pass on the clock record ages are measured by: real seconds on an external target,
   * seconds / time scale on the embedded one (MaximumRecordAgeInSeconds cannot go below 60).
   */
  waitRecordAge(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

export interface ParityTargetOptions {
  /** Simulated seconds per real second on the embedded target (record ages). Default 1. */
  readonly timeScale?: number;
}

export async function startParityTarget(options: ParityTargetOptions = {}): Promise<ParityTarget> {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const roleArn = process.env.PARITY_LAMBDA_ROLE_ARN ?? 'arn:aws:iam::000000000000:role/parity-lambda-role';
  const timeScale = options.timeScale ?? 1;
  let localAws: LocalAws | undefined;
  let env: Record<string, string | undefined> = process.env;
  if (!process.env.AWS_ENDPOINT_URL) {
    const emulators = emulatorEndpointsFromEnv();
    if (!emulators) throw new Error('AWS_ENDPOINT_URL_* are not set: run the parity suite with npm test (which starts the emulators) or set AWS_ENDPOINT_URL');
    // AWS polls each shard about once a second; 250 ms keeps the suite quick without changing what it checks.
    localAws = await startLocalAws({ deploy: false, emulators, verbose: false, timeScale, pollIntervalMs: 250 });
    env = { ...process.env, ...localAws.env };
  }
  const endpoint = (variable: string): { endpoint?: string } => (env[variable] ? { endpoint: env[variable] } : {});
  const common = { region };
  const clients = {
    lambda: new LambdaClient({ ...common, ...endpoint('AWS_ENDPOINT_URL_LAMBDA') }),
    // kinesis-mock (the embedded target's and LocalStack's Kinesis) answers HTTP/1.1 only.
    kinesis: createKinesisClient({ ...common, ...endpoint('AWS_ENDPOINT_URL_KINESIS') }),
    sqs: new SQSClient({ ...common, ...endpoint('AWS_ENDPOINT_URL_SQS') }),
    sns: new SNSClient({ ...common, ...endpoint('AWS_ENDPOINT_URL_SNS') }),
    s3: new S3Client({ ...common, ...endpoint('AWS_ENDPOINT_URL_S3'), forcePathStyle: true }),
  };
  return {
    embedded: localAws !== undefined,
    ...clients,
    region,
    roleArn,
    waitRecordAge: (seconds) => new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / (localAws ? timeScale : 1))),
    stop: async () => {
      for (const client of Object.values(clients)) client.destroy();
      await localAws?.stop();
    },
  };
}
