/**
 * What every command shares: finding a pipeline's resources by name, AWS clients from the standard
 * configuration chain, and output for people (tables) or scripts (--json).
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createCloudWatchClient, createKinesisClient, createSqsClient } from '../../sdk/clients';
import { queueUrlOf } from '../../client/operations/dlq-queue';
import { safeJson } from '../../client/operations/render';
import { findPipeline, loadConfig, pipelineResourceNames, type PipelineConfig, type PipelinesConfig } from '../../lib/config';

/** A problem the user can fix (bad option, unknown pipeline): printed without a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit code when a command did part of its job (some events failed, some DLQ messages kept). */
export const EXIT_PARTIAL = 2;

export interface TargetOptions {
  readonly pipeline?: string;
  readonly stream?: string;
  readonly queueUrl?: string;
}

export function pipelineOption(): Option {
  const names = loadConfig().pipelines.map((p) => p.name);
  return new Option('-p, --pipeline <name>', 'pipeline name from lib/config/pipelines.ts').choices(names);
}

export function addStreamOptions(command: Command): Command {
  return command.addOption(pipelineOption()).option('--stream <name>', "stream name, instead of the pipeline's");
}

export function addQueueOptions(command: Command): Command {
  return command.addOption(pipelineOption()).option('--stream <name>', "stream to put replayed records on, instead of the pipeline's").option('--queue-url <url>', "dead-letter queue URL, instead of the pipeline's");
}

export interface Target {
  readonly config: PipelinesConfig;
  readonly pipeline?: PipelineConfig;
  readonly streamName: string;
}

/** Resolves --pipeline (physical names from lib/config/resource-names.ts) or --stream. */
export function resolveStream(options: TargetOptions): Target {
  const config = loadConfig();
  if (!options.pipeline && !options.stream) throw new UsageError(`say which stream: --pipeline <${config.pipelines.map((p) => p.name).join('|')}> or --stream <name>`);
  const pipeline = options.pipeline ? findPipeline(config, options.pipeline) : undefined;
  const streamName = options.stream ?? pipelineResourceNames(config.stackName, pipeline!.name).streamName;
  return { config, pipeline, streamName };
}

/** Resolves the dead-letter queue URL: --queue-url, or the pipeline's queue by name (GetQueueUrl). */
export async function resolveQueue(options: TargetOptions, sqs: SQSClient): Promise<Target & { queueUrl: string }> {
  if (!options.pipeline && !(options.queueUrl && options.stream)) throw new UsageError('say which pipeline: --pipeline <name> (or both --queue-url and --stream)');
  const target = resolveStream(options);
  if (options.queueUrl) return { ...target, queueUrl: options.queueUrl };
  const { dlqName } = pipelineResourceNames(target.config.stackName, target.pipeline!.name);
  try {
    return { ...target, queueUrl: await queueUrlOf(sqs, dlqName) };
  } catch (error) {
    throw new UsageError(`cannot find the dead-letter queue ${dlqName}: ${(error as Error).message.replace(/\.$/, '')}. Is the stack deployed, and AWS_REGION / AWS_ENDPOINT_URL_SQS pointing at it?`);
  }
}

/** Clients created on first use and destroyed when the command ends. */
export class Clients {
  private kinesisClient?: KinesisClient;
  private sqsClient?: SQSClient;
  private cloudWatchClient?: CloudWatchClient;

  get kinesis(): KinesisClient {
    return (this.kinesisClient ??= createKinesisClient());
  }

  get sqs(): SQSClient {
    return (this.sqsClient ??= createSqsClient());
  }

  get cloudWatch(): CloudWatchClient {
    return (this.cloudWatchClient ??= createCloudWatchClient());
  }

  destroy(): void {
    this.kinesisClient?.destroy();
    this.sqsClient?.destroy();
    this.cloudWatchClient?.destroy();
  }
}

/** Runs a command body with clients that are always released; sets the exit code it returns. */
export function withClients<A extends unknown[]>(body: (clients: Clients, ...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const clients = new Clients();
    try {
      const code = await body(clients, ...args);
      if (typeof code === 'number') process.exitCode = code;
    } finally {
      clients.destroy();
    }
  };
}

/** Pretty JSON, terminal-safe (client/operations/render.ts); values from records must be bounded views. */
export function printJson(value: unknown): void {
  process.stdout.write(`${safeJson(value, 2)}\n`);
}

/** A plain aligned table; the last column is never padded (it may be long). */
export function printTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`);
}

/** "30s", "2m", "1h", "500ms" or plain seconds → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new InvalidArgumentError(`not a duration: "${text}" (use e.g. 500ms, 30s, 2m, 1h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

export function parsePositiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`not a positive whole number: "${text}"`);
  return value;
}

export function parseFraction(text: string): number {
  const value = Number(text);
  if (!(value >= 0 && value <= 1)) throw new InvalidArgumentError(`not a fraction between 0 and 1: "${text}"`);
  return value;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
