/**
 * Starts the real emulators (kinesis-local, DynamoDB Local, fauxqs) as child processes on free
 * loopback ports, waits until each answers a real API call, and stops them all on request, on
 * Ctrl-C, on an uncaught exception or when this process dies (see ./guard.ts).
 */
import { join } from 'node:path';
import type { EmulatorEndpoints } from '../contracts';
import { endpointEnv } from './env';
import { waitUntilHealthy } from './health';
import { startManagedProcess, type ManagedProcess } from './managed-process';
import { dynamodbLaunch, fauxqsLaunch, kinesisLaunch, type EmulatorLaunch, type EmulatorName, type JvmProfile, type LaunchOptions } from './services';

export { emulatorEndpointsFromEnv, emulatorHandoffEnv, handedOverEmulators, endpointEnv, baseLocalEnv, ENDPOINT_VARIABLES, EMULATOR_VARIABLES, LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION } from './env';
export { startFaultProxy, type FaultProxy } from './fault-proxy';
export { startKinesisGate, PROVISIONED_ONLY_ACTIONS, type KinesisGate } from './kinesis-gate';
export { freePort, isPortListening } from './free-port';
export type { EmulatorName, JvmProfile } from './services';

export interface StartEmulatorsOptions {
  /** Folder of the log files `<name>.log`. Default `.local-aws/logs` under the working directory. */
  readonly logDir?: string;
  /** How long each emulator may take to answer its first call (ms). Default 120000 (DynamoDB Local needs ~3 s idle, 20-50 s on a 2-core machine under full load). */
  readonly startTimeoutMs?: number;
  /** Start only these (e.g. for tests of the launcher itself). Default all three. */
  readonly only?: readonly EmulatorName[];
  /** JVM tuning of DynamoDB Local. Default `fast-start` (tests); benchmarks use `steady-state`. */
  readonly jvmProfile?: JvmProfile;
  /** Fixed ports, per emulator (fauxqs serves SQS, SNS and S3 on one). Default: free ones. */
  readonly ports?: Partial<Record<EmulatorName, number>>;
}

export interface RunningEmulators {
  /** Endpoints of the emulators started (all four unless `only` left some out: then those are ''). */
  readonly endpoints: EmulatorEndpoints;
  /** AWS_ENDPOINT_URL_KINESIS/DYNAMODB/SQS/SNS, region, test credentials. */
  readonly env: Readonly<Record<string, string>>;
  /** Pid (process group) and log file of each emulator. */
  readonly processes: Readonly<Partial<Record<EmulatorName, { readonly pid: number; readonly port: number; readonly logFile: string }>>>;
  /** Milliseconds from spawn to the first successful API call, per emulator. */
  readonly startupMs: Readonly<Partial<Record<EmulatorName, number>>>;
  /** Stops every emulator and waits until their processes are gone. Idempotent. */
  stop(): Promise<void>;
}

const LAUNCHES: Record<EmulatorName, (options: LaunchOptions) => Promise<EmulatorLaunch>> = {
  kinesis: kinesisLaunch,
  dynamodb: dynamodbLaunch,
  fauxqs: fauxqsLaunch,
};

interface Started {
  readonly name: EmulatorName;
  readonly proc: ManagedProcess;
  readonly port: number;
  readonly startupMs: number;
}

async function startOne(name: EmulatorName, logDir: string, timeoutMs: number, launchOptions: LaunchOptions, started: ManagedProcess[]): Promise<Started> {
  const launch = await LAUNCHES[name](launchOptions);
  const began = Date.now();
  const proc = startManagedProcess({
    name,
    command: launch.command,
    args: launch.args,
    cwd: launch.cwd,
    env: { ...process.env, ...launch.env },
    logFile: join(logDir, `${name}.log`),
  });
  started.push(proc);
  await waitUntilHealthy(proc, () => launch.probe(`http://127.0.0.1:${launch.port}`), { timeoutMs });
  return { name, proc, port: launch.port, startupMs: Date.now() - began };
}

export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<RunningEmulators> {
  const logDir = options.logDir ?? join(process.cwd(), '.local-aws', 'logs');
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const started: ManagedProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((p) => p.stop()));
  };
  let results: Started[];
  try {
    const names = options.only ?? (Object.keys(LAUNCHES) as EmulatorName[]);
    const jvmProfile = options.jvmProfile ?? 'fast-start';
    results = await Promise.all(names.map((name) => startOne(name, logDir, timeoutMs, { jvmProfile, port: options.ports?.[name] }, started)));
  } catch (error) {
    // One failed: the others must not be left running.
    await stopAll();
    throw error;
  }
  const byName = Object.fromEntries(results.map((r) => [r.name, r])) as Partial<Record<EmulatorName, Started>>;
  const url = (name: EmulatorName): string => (byName[name] ? `http://127.0.0.1:${byName[name].port}` : '');
  const endpoints: EmulatorEndpoints = { kinesis: url('kinesis'), dynamodb: url('dynamodb'), sqs: url('fauxqs'), sns: url('fauxqs'), s3: url('fauxqs') };
  let stopping: Promise<void> | undefined;
  return {
    endpoints,
    env: endpointEnv(endpoints),
    processes: Object.fromEntries(
      results.map((r) => [r.name, { pid: r.proc.pid, port: r.port, logFile: r.proc.logFile }]),
    ) as RunningEmulators['processes'],
    startupMs: Object.fromEntries(results.map((r) => [r.name, r.startupMs])) as RunningEmulators['startupMs'],
    stop: () => (stopping ??= stopAll()),
  };
}
