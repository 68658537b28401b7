/**
 * Support for the event source mapping tests (test/local/esm-*.test.ts): SDK clients for the emulators
 * the test runner exported, uniquely named streams and queues, and a FunctionInvoker fixture that runs
 * an in-process handler and records every call. Not used by the local target itself.
 */
import { randomUUID } from 'node:crypto';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, type KinesisClient, ListShardsCommand, MergeShardsCommand, PutRecordCommand, SplitShardCommand, type Shard } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';
import { createKinesisClient } from '../../sdk/clients';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { FunctionInvoker, InvokeResult, MetricDatum, MetricSink } from '../contracts';
import type { KinesisMappingInput } from './config';
import { deployStreamConsumer } from '../deploy/kinesis';
import { KinesisEventSourceMapping, type EventSourceMappingDeps } from './mapping';
import type { ShardReadLimits } from './shard-read-limits';

export interface TestClients {
  readonly kinesis: KinesisClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  destroy(): void;
}

/** Clients for the emulators named by AWS_ENDPOINT_URL_KINESIS/SQS/SNS (set by test/run-tests.ts). */
export function clientsFromEnv(env: NodeJS.ProcessEnv = process.env): TestClients {
  for (const name of ['AWS_ENDPOINT_URL_KINESIS', 'AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL_SNS']) {
    if (!env[name]) throw new Error(`${name} is not set: run the tests through test/run-tests.ts (npm test), which starts the emulators`);
  }
  const common = { region: env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'test', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'test' } };
  const kinesis = createKinesisClient(common);
  // fauxqs answers queue URLs on sqs.<region>.localhost, which does not resolve here: keep the endpoint.
  const sqs = new SQSClient({ ...common, useQueueUrlAsEndpoint: false });
  const sns = new SNSClient(common);
  return {
    kinesis,
    sqs,
    sns,
    destroy: () => {
      kinesis.destroy();
      sqs.destroy();
      sns.destroy();
    },
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createStream(kinesis: KinesisClient, shardCount = 1): Promise<{ name: string; arn: string; delete(): Promise<void> }> {
  const name = uniqueName('esm-test');
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  const arn = await untilActive(kinesis, name);
  return { name, arn, delete: async () => void (await kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }))) };
}

/** Registers an enhanced fan-out consumer on the stream (as the local deploy does) and waits until it is ACTIVE; returns its ARN. */
export async function registerConsumer(kinesis: KinesisClient, streamArn: string, consumerName = uniqueName('efo')): Promise<string> {
  return (await deployStreamConsumer(kinesis, { StreamARN: streamArn, ConsumerName: consumerName })).physicalId;
}

/** Waits until the stream is ACTIVE (after creation or a reshard); returns its ARN. */
export async function untilActive(kinesis: KinesisClient, streamName: string): Promise<string> {
  for (;;) {
    const summary = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary;
    if (summary?.StreamStatus === 'ACTIVE' && summary.StreamARN) return summary.StreamARN;
    await sleep(20);
  }
}

/** Every shard of the stream (closed ones too), as ListShards returns them. */
export async function listShards(kinesis: KinesisClient, streamName: string): Promise<Shard[]> {
  return (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
}

/** Splits an open shard in the middle of its hash key range and waits until the stream is ACTIVE; returns the two children. */
export async function splitShard(kinesis: KinesisClient, streamName: string, shardId: string): Promise<[string, string]> {
  const shards = await listShards(kinesis, streamName);
  const before = new Set(shards.map((s) => s.ShardId));
  const shard = shards.find((s) => s.ShardId === shardId);
  if (!shard?.HashKeyRange?.StartingHashKey || !shard.HashKeyRange.EndingHashKey) throw new Error(`no shard ${shardId} in ${streamName}`);
  const middle = (BigInt(shard.HashKeyRange.StartingHashKey) + BigInt(shard.HashKeyRange.EndingHashKey) + 1n) / 2n;
  await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: shardId, NewStartingHashKey: middle.toString() }));
  await untilActive(kinesis, streamName);
  const children = (await listShards(kinesis, streamName)).map((s) => s.ShardId as string).filter((id) => !before.has(id));
  if (children.length !== 2) throw new Error(`splitting ${shardId} made ${children.length} shards`);
  return children as [string, string];
}

/** Merges two adjacent open shards and waits until the stream is ACTIVE; returns the child. */
export async function mergeShards(kinesis: KinesisClient, streamName: string, shardId: string, adjacentShardId: string): Promise<string> {
  const before = new Set((await listShards(kinesis, streamName)).map((s) => s.ShardId));
  await kinesis.send(new MergeShardsCommand({ StreamName: streamName, ShardToMerge: shardId, AdjacentShardToMerge: adjacentShardId }));
  await untilActive(kinesis, streamName);
  const [child, ...more] = (await listShards(kinesis, streamName)).map((s) => s.ShardId as string).filter((id) => !before.has(id));
  if (!child || more.length > 0) throw new Error(`merging ${shardId} and ${adjacentShardId} made ${more.length + (child ? 1 : 0)} shards`);
  return child;
}

export async function createQueue(sqs: SQSClient): Promise<{ url: string; arn: string; delete(): Promise<void> }> {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('esm-dlq') }))).QueueUrl as string;
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: attributes.Attributes?.QueueArn as string, delete: async () => void (await sqs.send(new DeleteQueueCommand({ QueueUrl: url }))) };
}

/** Puts one record and returns its sequence number. */
export async function put(kinesis: KinesisClient, stream: string, partitionKey: string, data: string): Promise<string> {
  const out = await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: partitionKey, Data: Buffer.from(data) }));
  return out.SequenceNumber as string;
}

/** Receives until `count` messages arrived (or the timeout), returning their parsed bodies. */
export async function receive(sqs: SQSClient, url: string, count: number, timeoutMs = 10_000): Promise<unknown[]> {
  const bodies: unknown[] = [];
  const deadline = Date.now() + timeoutMs;
  while (bodies.length < count && Date.now() < deadline) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of out.Messages ?? []) bodies.push(JSON.parse(m.Body ?? 'null'));
  }
  return bodies;
}

export interface RecordedCall {
  readonly data: string[];
  readonly sequenceNumbers: string[];
  readonly partitionKeys: string[];
  /** The shard of the batch (from eventID `shardId:sequenceNumber`). */
  readonly shardId: string;
  readonly event: KinesisStreamEvent;
  readonly startedAt: number;
  /** When the handler returned or threw (set then). */
  finishedAt?: number;
}

/** What the fixture handler returns: a payload, or `{ throw: message }` for an unhandled exception. */
export type FixtureAnswer = unknown | { readonly throw: string };

/** A FunctionInvoker running an in-process handler, recording calls and the highest concurrency seen. */
export class FixtureInvoker implements FunctionInvoker {
  readonly calls: RecordedCall[] = [];
  maxConcurrent = 0;
  private running = 0;

  constructor(
    private readonly handler: (call: RecordedCall) => FixtureAnswer | Promise<FixtureAnswer>,
    private readonly delayMs = 0,
  ) {}

  async invoke(_functionName: string, event: unknown): Promise<InvokeResult> {
    const e = event as KinesisStreamEvent;
    const call: RecordedCall = {
      event: e,
      data: e.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString()),
      sequenceNumbers: e.Records.map((r) => r.kinesis.sequenceNumber),
      partitionKeys: e.Records.map((r) => r.kinesis.partitionKey),
      shardId: e.Records[0]?.eventID.split(':')[0] ?? '',
      startedAt: Date.now(),
    };
    this.calls.push(call);
    this.running += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.running);
    const began = Date.now();
    try {
      if (this.delayMs > 0) await sleep(this.delayMs);
      const answer = await this.handler(call);
      if (typeof answer === 'object' && answer !== null && 'throw' in answer) {
        return { kind: 'functionError', errorType: 'Error', errorMessage: String((answer as { throw: unknown }).throw), durationMs: Date.now() - began, functionError: 'Unhandled' };
      }
      return { kind: 'success', payload: answer, durationMs: Date.now() - began };
    } finally {
      this.running -= 1;
      call.finishedAt = Date.now();
    }
  }

  /** Every record data delivered, in call order (with repeats). */
  delivered(): string[] {
    return this.calls.flatMap((c) => c.data);
  }
}

/** A MetricSink that keeps what it gets. */
export class MemorySink implements MetricSink {
  readonly data: MetricDatum[] = [];
  put(datum: MetricDatum): void {
    this.data.push(datum);
  }
  sum(metricName: string): number {
    return this.data.filter((d) => d.metricName === metricName).reduce((s, d) => s + d.value, 0);
  }
}

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A mapping with fast test timings (50 ms polls, 20 ms retry pause) on the given stream. */
export function testMapping(
  options: {
    readonly stream: { readonly arn: string };
    readonly invoker: FunctionInvoker;
    readonly clients: TestClients;
    readonly sink?: MetricSink;
    readonly timeScale?: number;
    readonly maxPayloadBytes?: number;
    readonly log?: (line: string) => void;
    /** Share shards' read limits with other mappings (default: the mapping's own). */
    readonly readLimits?: ShardReadLimits;
    /** Pause between the mapping's ListShards calls (default 10 s, AWS-like; resharding tests lower it). */
    readonly shardSyncIntervalMs?: number;
    /** Enhanced fan-out timings (a mapping whose EventSourceArn is a consumer's). */
    readonly fanOut?: EventSourceMappingDeps['fanOut'];
  },
  properties: Partial<KinesisMappingInput> = {},
): KinesisEventSourceMapping {
  const account = options.stream.arn.split(':')[4];
  return new KinesisEventSourceMapping(
    {
      UUID: randomUUID(),
      FunctionName: 'fixture',
      FunctionArn: `arn:aws:lambda:us-east-1:${account}:function:fixture`,
      EventSourceArn: options.stream.arn,
      StartingPosition: 'TRIM_HORIZON',
      ...properties,
    },
    {
      invoker: options.invoker,
      kinesis: options.clients.kinesis,
      sqs: options.clients.sqs,
      sns: options.clients.sns,
      sink: options.sink ?? new MemorySink(),
      pollIntervalMs: 50,
      retryDelayMs: 20,
      timeScale: options.timeScale ?? 1,
      ...(options.maxPayloadBytes !== undefined ? { maxPayloadBytes: options.maxPayloadBytes } : {}),
      ...(options.readLimits ? { readLimits: options.readLimits } : {}),
      ...(options.shardSyncIntervalMs !== undefined ? { shardSyncIntervalMs: options.shardSyncIntervalMs } : {}),
      ...(options.fanOut ? { fanOut: options.fanOut } : {}),
      log: options.log ?? (() => undefined),
    },
  );
}
