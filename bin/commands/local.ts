/**
 * `local`: the embedded local AWS as a long-running process (as `localstack start` is for LocalStack).
 * Synthesizes this repository's app (or takes a given cloud assembly), starts the emulators, deploys the
 * stack, prints the environment to export and stays up until Ctrl-C; the work is in local/serve.ts.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { loadConfig } from '../../lib/config';
import { synthesize } from '../../lib/synth';
import type { LocalPorts } from '../../local';
import { portsFromBase, serveLocalAws } from '../../local/serve';
import { parsePositiveInt, UsageError } from './common';

const ROOT = resolve(__dirname, '..', '..');

interface LocalOptions {
  readonly app?: string;
  readonly stack?: string;
  readonly synth: boolean;
  readonly portBase?: number;
  readonly kinesisPort?: number;
  readonly dynamodbPort?: number;
  readonly sqsPort?: number;
  readonly snsPort?: number;
  readonly lambdaPort?: number;
  readonly writeEnv?: string;
  readonly timeScale: number;
  readonly quiet?: boolean;
}

const PORT_OPTIONS = [
  ['kinesis', 'Kinesis'],
  ['dynamodb', 'DynamoDB'],
  ['sqs', 'SQS'],
  ['sns', 'SNS and S3'],
  ['lambda', 'Lambda and CloudWatch'],
] as const;

function parsePort(text: string): number {
  const port = parsePositiveInt(text);
  if (port > 65535) throw new UsageError(`not a TCP port: ${text}`);
  return port;
}

function parseTimeScale(text: string): number {
  const value = Number(text);
  if (!(value > 0)) throw new UsageError(`--time-scale must be a positive number: "${text}"`);
  return value;
}

/** --port-base, then each service's own port over it. */
function portsOf(options: LocalOptions): LocalPorts {
  const base: LocalPorts = options.portBase !== undefined ? portsFromBase(options.portBase) : {};
  if (options.portBase !== undefined && options.portBase + 4 > 65535) throw new UsageError(`--port-base ${options.portBase}: the five ports must be below 65536`);
  const own: Record<string, number> = {};
  for (const [service] of PORT_OPTIONS) {
    const port = options[`${service}Port`];
    if (port !== undefined) own[service] = port;
  }
  return { ...base, ...own };
}

export function registerLocal(program: Command): void {
  const command = program
    .command('local')
    .description('run the stack on the embedded local AWS until Ctrl-C, and print the environment that points the CLI, an application or npm test at it')
    .option('--app <cdk.out>', 'deploy this cloud assembly (e.g. your own app\'s cdk.out) instead of synthesizing this repository\'s')
    .option('--stack <name>', "stack to deploy (default: the configured stack, or with --app the assembly's only stack)")
    .option('--no-synth', "reuse this repository's existing cdk.out instead of running cdk synth")
    .option('--port-base <port>', 'fixed ports: Kinesis on <port>, DynamoDB +1, SQS +2, SNS/S3 +3, Lambda/CloudWatch +4', parsePort);
  for (const [service, label] of PORT_OPTIONS) command.option(`--${service}-port <port>`, `fixed port of the ${label} endpoint (over --port-base)`, parsePort);
  command
    // Not `--env-file`: Node 20 reads that option anywhere on its command line, script arguments
    // included, and fails on a missing file (nodejs/node#54232, fixed in later releases).
    .option('--write-env <path>', 'also write the environment to this file (KEY=value lines; removed on stop)')
    .addOption(new Option('--time-scale <factor>', 'simulated seconds per real second for alarm periods and record ages (60: a 1-minute alarm period lasts 1 s)').argParser(parseTimeScale).default(1))
    .option('-q, --quiet', 'print only the environment (and errors)')
    .addHelpText(
      'after',
      `
Examples:
  $ stream-pipeline local                                   # then copy the export lines into another shell
  $ stream-pipeline local --port-base 4600 --write-env .local-aws/env
  $ set -a; . .local-aws/env; set +a; stream-pipeline alarms
  $ stream-pipeline local --app examples/my-app/cdk.out --stack MyStack`,
    )
    .action(async (options: LocalOptions) => {
      // The SDK's documented switch for its "Node < 22" warning (the local target runs on Node 20).
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const log = (line: string): void => {
        if (!options.quiet) process.stderr.write(`${line}\n`);
      };
      const ports = portsOf(options);
      let cdkOut = resolve(ROOT, 'cdk.out');
      let stackName = options.stack;
      if (options.app) {
        cdkOut = resolve(options.app);
      } else {
        stackName ??= loadConfig().stackName;
        if (options.synth) {
          log('▸ cdk synth --quiet');
          const ms = await synthesize({ cwd: ROOT, log });
          if (ms !== undefined) log(`  synthesized into ${cdkOut} in ${(ms / 1000).toFixed(1)} s`);
        }
      }
      log(`▸ starting the local AWS and deploying ${stackName ?? 'the stack'} from ${cdkOut}`);
      await serveLocalAws({
        target: { cdkOut, ...(stackName ? { stackName } : {}), ports, timeScale: options.timeScale, logDir: resolve(ROOT, '.local-aws', 'logs'), verbose: !options.quiet },
        ...(options.writeEnv ? { envFile: resolve(options.writeEnv) } : {}),
        print: (text) => process.stdout.write(text),
        log: (line) => log(`[local-aws] ${line}`),
      });
      log('stopped: every emulator, function and port of the local AWS is released');
      // Everything it started is stopped; exit now rather than in Node's environment teardown, which
      // was seen spinning forever on a handle of tsx's esbuild service (a zombie child) after a long run.
      process.exit(0);
    });
}
