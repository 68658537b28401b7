/**
 * What LocalStack's Kinesis tests set up, through the AWS APIs only: the recorder function
 * (test/fixtures/functions/parity-recorder.ts, bundled and zipped here), streams, queues, topics,
 * buckets and event source mappings, each uniquely named and removed by `cleanup()`.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CreateStreamCommand, DeleteStreamCommand, DeregisterStreamConsumerCommand, DescribeStreamConsumerCommand, DescribeStreamSummaryCommand, PutRecordCommand, PutRecordsCommand, RegisterStreamConsumerCommand } from '@aws-sdk/client-kinesis';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetEventSourceMappingCommand,
  waitUntilFunctionActiveV2,
  type CreateEventSourceMappingCommandInput,
  type CreateEventSourceMappingCommandOutput,
} from '@aws-sdk/client-lambda';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateTopicCommand, DeleteTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { buildSync } from 'esbuild';
import { zipSync } from 'fflate';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { ParityTarget } from './target';

const RECORDER_ENTRY = join(__dirname, '..', '..', 'fixtures', 'functions', 'parity-recorder.ts');
let recorderZip: Uint8Array | undefined;

/** The recorder bundled (with its SDK clients) into index.js and zipped, once per test process. */
function recorderPackage(): Uint8Array {
  if (!recorderZip) {
    const out = buildSync({ entryPoints: [RECORDER_ENTRY], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'error' });
    recorderZip = zipSync({ 'index.js': (out.outputFiles[0] as { contents: Uint8Array }).contents }, { level: 1 });
  }
  return recorderZip;
}

export const shortUid = (): string => randomUUID().slice(0, 8);

export interface Invocation {
  readonly executionStart: number;
  readonly event: KinesisStreamEvent;
}

/** The resources of one test; `cleanup()` deletes them in reverse order, ignoring what is gone already. */
export class Resources {
  private readonly cleanups: (() => Promise<unknown>)[] = [];

  constructor(readonly target: ParityTarget) {}

  async cleanup(): Promise<void> {
    for (const undo of this.cleanups.splice(0).reverse()) await undo().catch(() => undefined);
  }

  async stream(shardCount = 1): Promise<{ name: string; arn: string }> {
    const name = `test-stream-${shortUid()}`;
    const { kinesis } = this.target;
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
    this.cleanups.push(() => kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true })));
    for (;;) {
      const summary = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;
      if (summary?.StreamStatus === 'ACTIVE' && summary.StreamARN) return { name, arn: summary.StreamARN };
      await sleep(100);
    }
  }

  /** An enhanced fan-out consumer of the stream (RegisterStreamConsumer), once ACTIVE. */
  async consumer(streamArn: string, consumerName: string): Promise<{ name: string; arn: string }> {
    const { kinesis } = this.target;
    const arn = (await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: consumerName }))).Consumer?.ConsumerARN as string;
    this.cleanups.push(() => kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: arn })));
    for (;;) {
      if ((await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: arn }))).ConsumerDescription?.ConsumerStatus === 'ACTIVE') return { name: consumerName, arn };
      await sleep(100);
    }
  }

  async queue(): Promise<{ url: string; arn: string }> {
    const { sqs } = this.target;
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: `test-queue-${shortUid()}` }))).QueueUrl as string;
    this.cleanups.push(() => sqs.send(new DeleteQueueCommand({ QueueUrl: url })));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn as string;
    return { url, arn };
  }

  /** A topic with a queue subscribed to it (raw delivery off: the body is SNS's envelope, as in LocalStack's test). */
  async topicWithQueue(): Promise<{ topicArn: string; queue: { url: string; arn: string } }> {
    const { sns } = this.target;
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: `test-topic-${shortUid()}` }))).TopicArn as string;
    this.cleanups.push(() => sns.send(new DeleteTopicCommand({ TopicArn: topicArn })));
    const queue = await this.queue();
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queue.arn }));
    return { topicArn, queue };
  }

  async bucket(): Promise<{ name: string; arn: string }> {
    const { s3 } = this.target;
    const name = `test-bucket-${shortUid()}`;
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    this.cleanups.push(async () => {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: name }));
      for (const object of listed.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: name, Key: object.Key }));
      await s3.send(new DeleteBucketCommand({ Bucket: name }));
    });
    return { name, arn: `arn:aws:s3:::${name}` };
  }

  /** The recorder function with the given behaviour (see parity-recorder.ts); its invocations go to `invocations`. */
  async recorder(environment: Record<string, string> = {}): Promise<{ name: string; arn: string; invocations: { url: string; arn: string } }> {
    const { lambda } = this.target;
    const invocations = await this.queue();
    const name = `lambda_func-${shortUid()}`;
    const out = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: this.target.roleArn,
        Timeout: 30,
        MemorySize: 256,
        Code: { ZipFile: recorderPackage() },
        Environment: { Variables: { RECORD_QUEUE_URL: invocations.url, ...environment } },
      }),
    );
    this.cleanups.push(() => lambda.send(new DeleteFunctionCommand({ FunctionName: name })));
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { FunctionName: name });
    return { name, arn: out.FunctionArn as string, invocations };
  }

  /** CreateEventSourceMapping, then waits until it is Enabled (LocalStack's _await_event_source_mapping_enabled). */
  async mapping(input: CreateEventSourceMappingCommandInput): Promise<CreateEventSourceMappingCommandOutput> {
    const { lambda } = this.target;
    const created = await lambda.send(new CreateEventSourceMappingCommand(input));
    const uuid = created.UUID as string;
    this.cleanups.push(async () => {
      await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
    });
    await this.untilMappingState(uuid, 'Enabled');
    return created;
  }

  async untilMappingState(uuid: string, state: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = (await this.target.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State;
      if (current === state) return;
      if (Date.now() > deadline) throw new Error(`mapping ${uuid} is still ${current}, not ${state}, after ${timeoutMs} ms`);
      await sleep(250);
    }
  }

  async putRecords(stream: string, records: { data: string; partitionKey: string }[]): Promise<string[]> {
    const out = await this.target.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records.map((r) => ({ Data: Buffer.from(r.data), PartitionKey: r.partitionKey })) }));
    if ((out.FailedRecordCount ?? 0) > 0) throw new Error(`${out.FailedRecordCount} records were not put`);
    return (out.Records ?? []).map((r) => r.SequenceNumber as string);
  }

  async putRecord(stream: string, data: string, partitionKey: string): Promise<string> {
    return (await this.target.kinesis.send(new PutRecordCommand({ StreamName: stream, Data: Buffer.from(data), PartitionKey: partitionKey }))).SequenceNumber as string;
  }
}

/** Runs one case with its own resources, cleaned up whatever happens. */
export async function withResources(target: ParityTarget, body: (r: Resources) => Promise<void>): Promise<void> {
  const resources = new Resources(target);
  try {
    await body(resources);
  } finally {
    await resources.cleanup();
  }
}

/** Receives until `count` messages arrived or the timeout, returning their parsed bodies (and removing nothing). */
export async function receiveBodies(target: ParityTarget, queueUrl: string, count: number, timeoutMs = 60_000): Promise<unknown[]> {
  const bodies: unknown[] = [];
  const deadline = Date.now() + timeoutMs;
  while (bodies.length < count && Date.now() < deadline) {
    const out = await target.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 600 }));
    for (const m of out.Messages ?? []) bodies.push(JSON.parse(m.Body ?? 'null'));
  }
  return bodies;
}

/** The invocations a recorder made so far (waiting for at least `count`), in the order they were recorded. */
export async function invocationsOf(target: ParityTarget, fn: { invocations: { url: string } }, count: number, timeoutMs = 60_000): Promise<Invocation[]> {
  const found = (await receiveBodies(target, fn.invocations.url, count, timeoutMs)) as Invocation[];
  return found.sort((a, b) => a.executionStart - b.executionStart);
}

/** The objects of a bucket with their parsed bodies, waiting until there is at least one. */
export async function bucketObjects(target: ParityTarget, bucket: string, timeoutMs = 60_000): Promise<{ key: string; body: unknown }[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listed = await target.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    if ((listed.Contents ?? []).length > 0 || Date.now() > deadline) {
      const objects = [];
      for (const object of listed.Contents ?? []) {
        const got = await target.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
        objects.push({ key: object.Key as string, body: JSON.parse(await (got.Body as { transformToString(): Promise<string> }).transformToString()) as unknown });
      }
      return objects;
    }
    await sleep(500);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const decode = (data: string): string => Buffer.from(data, 'base64').toString('utf8');
