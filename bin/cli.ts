#!/usr/bin/env -S node --import tsx
/**
 * The operator CLI: `stream-pipeline <command>` (`npx stream-pipeline --help`, or `npm run cli --`).
 * Every command finds a pipeline's stream, queue and alarms by the pipeline name, and talks to AWS,
 * the embedded local target or LocalStack through the standard AWS configuration
 * (AWS_REGION, credentials, AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>).
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../lib/config';
import { registerAlarms } from './commands/alarms';
import { UsageError } from './commands/common';
import { registerDlq } from './commands/dlq';
import { registerLoad } from './commands/load';
import { registerLocal } from './commands/local';
import { registerPlan } from './commands/plan';
import { registerPut } from './commands/put';
import { registerTail } from './commands/tail';

export function buildProgram(): Command {
  const program = new Command('stream-pipeline')
    .description('Put events on a pipeline, follow it, and inspect and replay its dead-letter queue.')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
AWS configuration comes from the environment: AWS_REGION, AWS_PROFILE or credentials, and
AWS_ENDPOINT_URL (LocalStack) or AWS_ENDPOINT_URL_KINESIS / _SQS / _CLOUDWATCH (the local target:
\`stream-pipeline local\` prints them).

From an alarm to a replayed DLQ:
  $ stream-pipeline alarms --pipeline orders
  $ stream-pipeline dlq list --pipeline orders
  $ stream-pipeline dlq replay --pipeline orders --dry-run
  $ stream-pipeline dlq replay --pipeline orders`,
    );
  registerPut(program);
  registerLoad(program);
  registerTail(program);
  registerDlq(program);
  registerAlarms(program);
  registerPlan(program);
  registerLocal(program);
  return program;
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
    } else if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      const e = error as Error;
      process.stderr.write(`error: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}\n`);
      if (process.env.STREAM_PIPELINE_DEBUG) process.stderr.write(`${e.stack}\n`);
      process.exitCode = 1;
    }
  }
}

if (require.main === module) void main();
