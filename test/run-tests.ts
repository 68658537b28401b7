/**
 * `npm test`: synthesizes the stack into cdk.out, starts the emulators once, runs every
 * test/**\/*.test.ts (or the files and folders given: `npm test -- test/processor`) with node:test,
 * and always stops the emulators, also on Ctrl-C. The exit code is the test run's.
 *
 * With AWS_ENDPOINT_URL set (LocalStack, MiniStack...) nothing is started: the stack is deployed there
 * with cdklocal and the tests run against that endpoint. That path is not exercised in our CI.
 *
 * With STREAM_PIPELINE_EMULATOR_* set (the environment `stream-pipeline local` prints) its emulators are
 * reused: nothing is started, and every test deploys its own uniquely named resources beside its stack.
 *
 * Environment:
 *   AWS_ENDPOINT_URL             external target; start no emulators
 *   STREAM_PIPELINE_EMULATOR_*   a running `stream-pipeline local`'s emulators; start none
 *   STREAM_PIPELINE_SKIP_SYNTH=1 reuse the existing cdk.out (faster local iterations)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { synthesize as cdkSynth } from '../lib/synth';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createKinesisClient } from '../sdk/clients';
import type { EmulatorEndpoints } from '../local/contracts';
import { baseLocalEnv, endpointEnv, ENDPOINT_VARIABLES, handedOverEmulators, LOCAL_CREDENTIALS, LOCAL_REGION, startEmulators, type RunningEmulators } from '../local/emulators';

const ROOT = resolve(__dirname, '..');
const TEST_CONCURRENCY = 2;
/** Grace period for the test process after Ctrl-C before it is killed. */
const INTERRUPT_GRACE_MS = 10_000;

function log(message: string): void {
  process.stderr.write(`[run-tests] ${message}\n`);
}

/** Node 20's --test does not expand globs: find the *.test.ts files ourselves. */
export function expandTestFiles(targets: readonly string[]): string[] {
  const files = new Set<string>();
  const walk = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) {
        if (entry === 'node_modules' || entry.startsWith('.')) continue;
        walk(join(path, entry));
      }
    } else if (path.endsWith('.test.ts')) {
      files.add(relative(ROOT, path));
    }
  };
  for (const target of targets) {
    const path = resolve(ROOT, target);
    if (!existsSync(path)) throw new Error(`no such test file or folder: ${target}`);
    if (statSync(path).isFile() && !path.endsWith('.test.ts')) throw new Error(`not a test file (*.test.ts): ${target}`);
    walk(path);
  }
  return [...files];
}

/** Runs a command with inherited output; resolves with its exit code. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, onStart?: (child: ChildProcess) => void): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, [...args], { cwd: ROOT, env, stdio: 'inherit' });
    onStart?.(child);
    child.once('error', reject);
    child.once('exit', (code, signal) => resolvePromise(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}

async function synthesize(env: NodeJS.ProcessEnv): Promise<void> {
  const ms = await cdkSynth({ cwd: ROOT, env, log });
  if (ms !== undefined) log(`cdk synth: ${ms} ms`);
}

/** External target: deploy the synthesized stack with cdklocal, as `cdk deploy` would on AWS. */
async function deployToExternalTarget(env: NodeJS.ProcessEnv): Promise<void> {
  log(`AWS_ENDPOINT_URL=${env.AWS_ENDPOINT_URL}: starting no emulators, deploying with cdklocal`);
  for (const args of [['cdklocal', 'bootstrap'], ['cdklocal', 'deploy', '--all', '--app', 'cdk.out', '--require-approval', 'never']]) {
    const code = await run('npx', args, env);
    if (code !== 0) throw new Error(`npx ${args.join(' ')} failed (exit code ${code})`);
  }
}

/** Emulators handed over by a running `stream-pipeline local` must answer, or the whole run would time out test by test. */
async function probeHandedOver(endpoints: EmulatorEndpoints): Promise<void> {
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 };
  const kinesis = createKinesisClient({ ...common, endpoint: endpoints.kinesis });
  const dynamodb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
  const sqs = new SQSClient({ ...common, endpoint: endpoints.sqs });
  try {
    await Promise.all([kinesis.send(new ListStreamsCommand({})), dynamodb.send(new ListTablesCommand({})), sqs.send(new ListQueuesCommand({}))]);
  } catch (error) {
    throw new Error(`the emulators in STREAM_PIPELINE_EMULATOR_* do not answer (${(error as Error).message}): is \`stream-pipeline local\` still running? Unset them to let the tests start their own`);
  } finally {
    [kinesis, dynamodb, sqs].forEach((client) => client.destroy());
  }
}

async function main(): Promise<number> {
  const targets = process.argv.slice(2);
  const files = expandTestFiles(targets.length > 0 ? targets : ['test']);
  if (files.length === 0) {
    log(`no *.test.ts files under ${targets.join(' ') || 'test'}`);
    return 1;
  }
  // Quiet the SDK's Node-version warning here (health probes) and in every child.
  Object.assign(process.env, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });

  let emulators: RunningEmulators | undefined;
  let testProcess: ChildProcess | undefined;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping the tests and the emulators`);
    // From a terminal the test process got the signal too; from `kill` it did not.
    testProcess?.kill(signal);
    setTimeout(() => testProcess?.kill('SIGKILL'), INTERRUPT_GRACE_MS).unref();
    if (!testProcess) void emulators?.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const external = process.env.AWS_ENDPOINT_URL;
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (external) {
      // Fill in region and test credentials only where the caller gave none.
      for (const [key, value] of Object.entries(baseLocalEnv())) env[key] ??= value;
    }
    await synthesize(env);
    // A shell that talks to a local target has its endpoints exported; the tests get the emulators' own.
    const handedOver = external ? undefined : handedOverEmulators(env);
    if (!external) for (const variable of Object.values(ENDPOINT_VARIABLES)) delete env[variable];
    if (external) {
      await deployToExternalTarget(env);
    } else if (handedOver) {
      await probeHandedOver(handedOver);
      Object.assign(env, endpointEnv(handedOver));
      log(`reusing the emulators of a running \`stream-pipeline local\` (STREAM_PIPELINE_EMULATOR_*): ${Object.values(handedOver).join(' ')}`);
    } else {
      const began = Date.now();
      emulators = await startEmulators({ logDir: join(ROOT, '.local-aws', 'logs') });
      Object.assign(env, emulators.env);
      const timings = Object.entries(emulators.startupMs).map(([name, ms]) => `${name} ${ms} ms`).join(', ');
      log(`emulators ready in ${Date.now() - began} ms (${timings}); logs in .local-aws/logs`);
    }
    if (interrupted) return 130;
    log(`running ${files.length} test file(s), concurrency ${TEST_CONCURRENCY}`);
    const code = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${TEST_CONCURRENCY}`,
        '--test-reporter=spec',
        // A test file that leaves a handle open must not hang the run before the summary is printed.
        '--test-force-exit',
        ...files,
      ],
      env,
      (child) => {
        testProcess = child;
      },
    );
    return interrupted ? 130 : code;
  } finally {
    await emulators?.stop();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      log(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
