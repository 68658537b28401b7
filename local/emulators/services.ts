/**
 * How each emulator is started and how we know it is ready: by a real API call through the AWS SDK,
 * the same path the code under test takes.
 */
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { SNSClient, ListTopicsCommand } from '@aws-sdk/client-sns';
import { SQSClient, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createKinesisClient } from '../../sdk/clients';
import { freePort } from './free-port';
import { ownScriptArgs } from './managed-process';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './env';

export type EmulatorName = 'kinesis' | 'dynamodb' | 'fauxqs';

/**
 * How the JVM of DynamoDB Local is tuned. `fast-start` (tests, npm start): the C1 compiler only and the
 * serial collector, which halve the time to the first answer on a busy 2-core machine.
 * `steady-state` (benchmarks): the JVM's defaults (C2 and G1), which answer a warmed-up server's
 * requests up to 1.5x faster, as a long-running DynamoDB would.
 */
export type JvmProfile = 'fast-start' | 'steady-state';

export interface LaunchOptions {
  readonly jvmProfile: JvmProfile;
  /** Port to serve on. Default: a free one. */
  readonly port?: number;
}

export interface EmulatorLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Added to the inherited environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly port: number;
  /** Resolves once the emulator answers a real API call. */
  probe(endpoint: string): Promise<void>;
}

const PROBE_TIMEOUT_MS = 1000;

/** A health probe's HTTP: short timeouts, so a silent emulator fails the probe instead of hanging it. */
const PROBE_HTTP = { connectionTimeout: PROBE_TIMEOUT_MS, requestTimeout: PROBE_TIMEOUT_MS, throwOnRequestTimeout: true };

/** The client settings of a health probe: one attempt, test credentials (and PROBE_HTTP). */
function probeSettings(endpoint: string) {
  return { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 };
}

function probeConfig(endpoint: string) {
  return { ...probeSettings(endpoint), requestHandler: new NodeHttpHandler(PROBE_HTTP) };
}

async function probeOnce<T extends { send(command: never): Promise<unknown>; destroy(): void }>(
  client: T,
  call: (client: T) => Promise<unknown>,
): Promise<void> {
  try {
    await call(client);
  } finally {
    client.destroy();
  }
}

export async function kinesisLaunch(options: Pick<LaunchOptions, 'port'> = {}): Promise<EmulatorLaunch> {
  const [port, tlsPort] = await Promise.all([options.port ?? freePort(), freePort()]);
  return {
    command: process.execPath,
    args: ['main.js'],
    // kinesis-mock reads server.json (its TLS certificate) from the working directory.
    cwd: dirname(require.resolve('kinesis-local/package.json')),
    env: {
      KINESIS_MOCK_PLAIN_PORT: String(port),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      LOG_LEVEL: 'WARN',
      // AWS takes seconds; tests should not. 0 makes CreateStream/DeleteStream finish at once.
      CREATE_STREAM_DURATION: '0ms',
      DELETE_STREAM_DURATION: '0ms',
      UPDATE_SHARD_COUNT_DURATION: '0ms',
      // Resharding too (AWS: seconds to minutes); meanwhile the stream is UPDATING and refuses another reshard.
      SPLIT_SHARD_DURATION: '0ms',
      MERGE_SHARDS_DURATION: '0ms',
      // Every test file creates its own streams; the defaults (50 shards, 10 on-demand streams) run out.
      SHARD_LIMIT: '10000',
      ON_DEMAND_STREAM_COUNT_LIMIT: '1000',
      AWS_REGION: LOCAL_REGION,
    },
    port,
    probe: (endpoint) => probeOnce(createKinesisClient({ ...probeSettings(endpoint), http: PROBE_HTTP }), (c) => c.send(new ListStreamsCommand({}))),
  };
}

export async function dynamodbLaunch(options: LaunchOptions): Promise<EmulatorLaunch> {
  const port = options.port ?? (await freePort());
  const emulatorDir = join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  // Start-up dominates a test run: the C1 compiler alone and the serial collector halve the time
  // to the first answer on a busy 2-core machine (measured 50 s → 19-27 s at load 15, ~3 s idle).
  const fastStart = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];
  return {
    command: 'java',
    args: [
      ...(options.jvmProfile === 'fast-start' ? fastStart : []),
      `-Djava.library.path=${join(emulatorDir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(emulatorDir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    cwd: emulatorDir,
    env: {},
    port,
    probe: (endpoint) => probeOnce(new DynamoDBClient(probeConfig(endpoint)), (c) => c.send(new ListTablesCommand({}))),
  };
}

export async function fauxqsLaunch(options: Pick<LaunchOptions, 'port'> = {}): Promise<EmulatorLaunch> {
  const port = options.port ?? (await freePort());
  return {
    command: process.execPath,
    args: ownScriptArgs(__dirname, 'fauxqs-server'),
    cwd: join(__dirname, '..', '..'),
    env: { FAUXQS_PORT: String(port), AWS_REGION: LOCAL_REGION },
    port,
    probe: async (endpoint) => {
      await probeOnce(new SQSClient(probeConfig(endpoint)), (c) => c.send(new ListQueuesCommand({})));
      await probeOnce(new SNSClient(probeConfig(endpoint)), (c) => c.send(new ListTopicsCommand({})));
    },
  };
}
