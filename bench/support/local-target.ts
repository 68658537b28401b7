/**
 * What the end-to-end benchmarks (bench/drain.bench.ts, bench/latency.bench.ts) share: the embedded local
 * AWS with the synthesized stack (cdk.out) deployed onto the emulators bench/run.ts started, under a
 * suffix of their own; the Powertools baseline deployed beside our processor with the same stack shape
 * (same function settings, a stream of as many shards, a mapping with the same settings); a recorder of
 * every invocation the event source mappings make; and the orders events both are fed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { buildEventRecord } from '../../client';
import { exampleEvents } from '../../client/examples/pipeline-events';
import { findPipeline, loadConfig, pipelineResourceNames, type PipelineConfig } from '../../lib/config';
import { emulatorEndpointsFromEnv, startLocalAws, type LocalAwsInstance } from '../../local';
import type { InvokeResult } from '../../local/contracts';
import type { FunctionModel } from '../../local/deploy';
import { LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators';
import type { KinesisEventSourceMapping } from '../../local/event-source';
import { createKinesisClient } from '../../sdk/clients';

const ROOT = resolve(__dirname, '..', '..');

export interface BenchTarget {
  readonly localAws: LocalAwsInstance;
  readonly pipeline: PipelineConfig;
  /** The deployed orders pipeline (names carry the suffix). */
  readonly orders: { readonly streamName: string; readonly functionName: string; readonly mapping: KinesisEventSourceMapping; readonly fn: FunctionModel };
  /** A Kinesis client on the target's endpoint (fault proxy → gate → kinesis-local), as producers reach it. */
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  stop(): Promise<void>;
}

/** Starts the local AWS on bench/run.ts's emulators with the configured stack deployed under a fresh suffix. */
export async function startBenchTarget(options: { readonly pollIntervalMs?: number } = {}): Promise<BenchTarget> {
  const emulators = emulatorEndpointsFromEnv();
  if (!emulators) throw new Error('AWS_ENDPOINT_URL_* are not set: run through `npm run bench` (bench/run.ts starts the emulators)');
  const config = loadConfig();
  const suffix = `-b${randomBytes(2).toString('hex')}`;
  const localAws = await startLocalAws({ emulators, stackName: config.stackName, resourceNameSuffix: suffix, verbose: false, ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}) });
  const names = pipelineResourceNames(config.stackName, 'orders');
  const functionName = `${names.functionName}${suffix}`;
  const mapping = localAws.mappings.list({ functionName })[0];
  const fn = localAws.runtime.functions.find((f) => f.functionName === functionName);
  if (!mapping || !fn) {
    await localAws.stop();
    throw new Error(`the deployed stack has no orders function ${functionName} with a mapping`);
  }
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const kinesis = createKinesisClient({ ...common, endpoint: localAws.endpoints.kinesis });
  const dynamodb = new DynamoDBClient({ ...common, endpoint: localAws.endpoints.dynamodb });
  return {
    localAws,
    pipeline: findPipeline(config, 'orders'),
    orders: { streamName: `${names.streamName}${suffix}`, functionName, mapping, fn },
    kinesis,
    dynamodb,
    stop: async () => {
      kinesis.destroy();
      dynamodb.destroy();
      await localAws.stop();
    },
  };
}

export const streamArn = (streamName: string): string => `arn:aws:kinesis:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stream/${streamName}`;

/** Bundles an entry the way the stack does (esbuild, minified, CJS, node22, AWS SDK included) into `<dir>/index.js`. */
export async function bundleFunction(entry: string): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-fn-'));
  await build({ entryPoints: [join(ROOT, entry)], bundle: true, minify: true, platform: 'node', target: 'node22', format: 'cjs', outfile: join(dir, 'index.js'), logLevel: 'error' });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A table keyed by `pk` (string), on demand: the shape of the processor's and the baseline's tables. */
export async function createTable(dynamodb: DynamoDBClient, name: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({ TableName: name, AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }),
  );
}

export async function shardCount(kinesis: KinesisClient, streamName: string): Promise<number> {
  return (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary?.OpenShardCount ?? 0;
}

/**
 * The Powertools baseline (bench/baseline/powertools-handler.ts, orders variant) deployed with the stack's
 * shape: the orders function's settings (memory, timeout, runtime) with the baseline's bundle, its own
 * idempotency and state tables, and a second mapping on the orders stream itself (same records, same
 * shards) with the orders mapping's settings (batch size, window, parallelization, retries, bisect,
 * partial responses, starting position). The mapping is created disabled.
 */
export async function deployPowertoolsBaseline(target: BenchTarget): Promise<{ functionName: string; mapping: KinesisEventSourceMapping; remove(): void }> {
  const { localAws, orders } = target;
  const functionName = `${orders.functionName}-powertools`;
  const streamName = orders.streamName;
  const tables = { idempotency: `${functionName}-idempotency`, state: `${functionName}-state` };
  await createTable(target.dynamodb, tables.idempotency);
  await createTable(target.dynamodb, tables.state);
  const bundle = await bundleFunction('bench/baseline/powertools-handler.ts');
  localAws.runtime.addFunction({
    ...orders.fn,
    logicalId: functionName,
    functionName,
    arn: orders.fn.arn.replace(orders.functionName, functionName),
    handler: 'index.handler',
    assetDir: bundle.dir,
    environment: { BASELINE_ACTION: 'orders', IDEMPOTENCY_TABLE_NAME: tables.idempotency, STATE_TABLE_NAME: tables.state, POWERTOOLS_LOG_LEVEL: 'ERROR' },
  });
  const { UUID: _uuid, ...settings } = orders.mapping.config;
  const description = await localAws.mappings.create({ ...settings, FunctionName: functionName, FunctionArn: orders.fn.arn.replace(orders.functionName, functionName), EventSourceArn: streamArn(streamName), Enabled: false }, () => undefined);
  const mapping = localAws.mappings.get(description.UUID);
  if (!mapping) throw new Error('the baseline mapping was not registered');
  return { functionName, mapping, remove: bundle.remove };
}

/** A deployed function that answers at once: what the local runtime costs around a handler. */
export async function deployEchoFunction(target: BenchTarget): Promise<{ functionName: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-echo-'));
  await build({ stdin: { contents: 'exports.handler = async () => ({ batchItemFailures: [] });', loader: 'js' }, platform: 'node', format: 'cjs', outfile: join(dir, 'index.js'), logLevel: 'error' });
  const functionName = `${target.orders.functionName}-echo`;
  target.localAws.runtime.addFunction({ ...target.orders.fn, logicalId: functionName, functionName, arn: target.orders.fn.arn.replace(target.orders.functionName, functionName), handler: 'index.handler', assetDir: dir, environment: {} });
  return { functionName, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One invocation an event source mapping made, as the recorder saw it. */
export interface Invocation {
  readonly functionName: string;
  readonly shardId: string;
  readonly records: number;
  /** Epoch ms (performance.timeOrigin based) around the runtime's invoke. */
  readonly startedMs: number;
  readonly endedMs: number;
  /** The handler's own run time, measured in the container. */
  readonly handlerMs: number;
  /** Sequence numbers the invocation finished (all of them, or those before the first batch item failure). */
  readonly finished: readonly string[];
  /** Each record's approximateArrivalTimestamp (epoch ms): when Kinesis took it. */
  readonly arrivalsMs: readonly number[];
}

interface KinesisEventShape {
  readonly Records?: readonly { readonly eventID?: string; readonly kinesis?: { readonly sequenceNumber?: string; readonly approximateArrivalTimestamp?: number } }[];
}

/**
 * Records every invocation of the local runtime (the event source mappings invoke through it), without
 * changing what it does: the bench's view of how each batch's time splits between the mapping and the
 * function. Call `restore()` when done.
 */
export function recordInvocations(localAws: LocalAwsInstance): { readonly invocations: Invocation[]; restore(): void } {
  const runtime = localAws.runtime;
  const original = runtime.invoke.bind(runtime);
  const invocations: Invocation[] = [];
  runtime.invoke = async (functionName: string, event: unknown): Promise<InvokeResult> => {
    const records = (event as KinesisEventShape).Records ?? [];
    const startedMs = performance.timeOrigin + performance.now();
    const result = await original(functionName, event);
    const endedMs = performance.timeOrigin + performance.now();
    const sequenceNumbers = records.map((r) => r.kinesis?.sequenceNumber ?? '');
    let finished: string[] = [];
    if (result.kind === 'success') {
      const failures = (result.payload as { batchItemFailures?: { itemIdentifier?: string }[] } | null)?.batchItemFailures ?? [];
      const failedAt = failures.length === 0 ? sequenceNumbers.length : Math.min(...failures.map((f) => sequenceNumbers.indexOf(f.itemIdentifier ?? '')).map((i) => (i < 0 ? 0 : i)));
      finished = sequenceNumbers.slice(0, failedAt);
    }
    invocations.push({ functionName, shardId: records[0]?.eventID?.split(':')[0] ?? '', records: records.length, startedMs, endedMs, handlerMs: result.durationMs, finished, arrivalsMs: records.map((r) => (r.kinesis?.approximateArrivalTimestamp ?? 0) * 1000) });
    return result;
  };
  return { invocations, restore: () => void (runtime.invoke = original) };
}

/**
 * `count` orders events over `count / changesPerOrder` orders, each order's changes spread over the whole
 * backlog (an order's next change comes after every other order's), so no batch holds one order twice:
 * a realistic stream, and one on which the baseline's parallel records do not race on an order.
 */
export function ordersBacklog(count: number, changesPerOrder = 4): PutRecordsRequestEntry[] {
  const events = exampleEvents({ action: 'orders' }, randomBytes(3).toString('hex'));
  const orders = Math.ceil(count / changesPerOrder);
  const began = Date.now() - 120_000;
  const entries: PutRecordsRequestEntry[] = [];
  for (let n = 0; n < count; n++) {
    const built = buildEventRecord(events.next(events.subject(n % orders), new Date(began + n)), { source: 'bench' });
    entries.push({ PartitionKey: built.partitionKey, Data: built.data });
  }
  return entries;
}

/**
 * Puts entries 500 per PutRecords call, `concurrency` calls at a time, retrying what Kinesis refused.
 * One call at a time by default: kinesis-local takes more records per second that way (README, "Why
 * these emulators").
 */
export async function putAll(kinesis: KinesisClient, streamName: string, entries: readonly PutRecordsRequestEntry[], concurrency = 1): Promise<void> {
  const chunks: PutRecordsRequestEntry[][] = [];
  for (let i = 0; i < entries.length; i += 500) chunks.push(entries.slice(i, i + 500));
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < chunks.length) {
        let pending = chunks[next++] as PutRecordsRequestEntry[];
        while (pending.length > 0) {
          const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
          pending = pending.filter((_, i) => out.Records?.[i]?.ErrorCode !== undefined);
        }
      }
    }),
  );
}
