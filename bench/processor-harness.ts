/**
 * What the processor-level benchmarks share (bench/processor.bench.ts, round-trip.bench.ts,
 * windowed.bench.ts): a DynamoDB meter (requests and capacity by AWS's rules), Kinesis batches, the
 * interleaved measurement of our processor against its Powertools baseline with the floor request
 * timed in the same iterations, and the tables of the benchmark.
 */
import { randomUUID } from 'node:crypto';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { DynamoDBClient, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createProcessor } from '../lambdas/processor/processor';
import { marshallingOptions, unmarshallingOptions } from '../lambdas/processor/dynamo-options';
import { completeInTransaction } from '../lambdas/processor/idempotency';
import type { TransactItem } from '../lambdas/processor/dynamo';
import type { ActionFactory } from '../lambdas/actions/action';
import { noop } from '../lambdas/actions/noop';
import { orders } from '../lambdas/actions/orders';
import { OrderEventType } from '../lambdas/shared/orders-events';
import type { ProcessorSettings } from '../lambdas/processor/settings';
import type { CloudEvent } from '../lambdas/shared/envelope';
import { createQueue, createTable, deleteQueue, deleteTable, uniqueName } from '../test/processor/support/aws';
import { createPowertoolsHandler } from './baseline/powertools-handler';

export const BATCH_SIZE = 100;

/** Upper bound of an item's DynamoDB size: its JSON (names, values and punctuation) is never smaller. */
const units = (item: unknown, unitBytes: number) => Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(item ?? {})) / unitBytes));

/* eslint-disable @typescript-eslint/no-explicit-any -- request and response shapes differ per operation; only their documented fields are read */
/**
 * Write and read units a request costs under AWS's rules (1 WCU per KB written, x2 in a transaction;
 * 1 RCU per 4 KB read consistently, also for a key that is not found). DynamoDB Local's own
 * ConsumedCapacity is recorded too, but it is not faithful (e.g. 4 units for a 100-item transaction).
 */
function modelledUnits(command: string, input: Record<string, any>, output: Record<string, any>): { wcu: number; rcu: number } {
  switch (command) {
    case 'PutItemCommand':
      return { wcu: units(input.Item, 1024), rcu: 0 };
    case 'UpdateItemCommand':
    case 'DeleteItemCommand':
      return { wcu: units({ ...input.Key, ...input.ExpressionAttributeValues }, 1024), rcu: 0 };
    case 'BatchWriteItemCommand':
      return { wcu: Object.values(input.RequestItems as Record<string, any[]>).flat().reduce((sum: number, r: any) => sum + units(r.PutRequest?.Item ?? r.DeleteRequest?.Key, 1024), 0), rcu: 0 };
    case 'TransactWriteItemsCommand':
      return { wcu: (input.TransactItems as any[]).reduce((sum: number, t: any) => sum + 2 * units(t.Put?.Item ?? t.Update?.Key ?? t.Delete?.Key ?? t.ConditionCheck?.Key, 1024), 0), rcu: 0 };
    case 'GetItemCommand':
      return { wcu: 0, rcu: units(output.Item, 4096) };
    case 'BatchGetItemCommand': {
      const keys = Object.values(input.RequestItems as Record<string, { Keys: unknown[] }>).reduce((sum, r) => sum + r.Keys.length, 0);
      const big = Object.values((output.Responses ?? {}) as Record<string, unknown[]>).flat().reduce((sum: number, item) => sum + units(item, 4096) - 1, 0);
      return { wcu: 0, rcu: keys + big };
    }
    default:
      return { wcu: 0, rcu: 0 };
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Counts DynamoDB requests and capacity of everything sent through a client. */
export class Meter {
  requests = 0;
  writeUnits = 0;
  readUnits = 0;
  reportedUnits = 0;
  readonly client = new DynamoDBClient({});

  constructor() {
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, unknown>;
        input.ReturnConsumedCapacity ??= 'TOTAL';
        this.requests += 1;
        let out;
        try {
          out = await next(args);
        } catch (error) {
          // A failed conditional write is still charged (Powertools' duplicate path relies on one).
          this.writeUnits += modelledUnits(String(context.commandName), input, {}).wcu;
          throw error;
        }
        const output = out.output as unknown as Record<string, unknown>;
        const consumed = output.ConsumedCapacity as ConsumedCapacity | ConsumedCapacity[] | undefined;
        for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) this.reportedUnits += c.CapacityUnits ?? 0;
        const modelled = modelledUnits(String(context.commandName), input, output);
        this.writeUnits += modelled.wcu;
        this.readUnits += modelled.rcu;
        return out;
      },
      { step: 'initialize', name: 'benchMeter' },
    );
  }

  reset(): void {
    this.requests = 0;
    this.writeUnits = 0;
    this.readUnits = 0;
    this.reportedUnits = 0;
  }
}

export type Handler = (event: KinesisStreamEvent) => Promise<{ batchItemFailures: unknown[] }>;

export const lambdaContext = (): Context =>
  ({
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;

let sequence = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_000_000n;
/** A Kinesis batch of `events`, one record each, on one shard, in order. */
export function kinesisBatch(events: readonly CloudEvent[]): KinesisStreamEvent {
  const now = Date.now();
  return {
    Records: events.map((event): KinesisStreamRecord => {
      sequence += 1000n;
      const partitionKey = event.subject ?? event.id;
      return {
        kinesis: { kinesisSchemaVersion: '1.0', partitionKey, sequenceNumber: sequence.toString(), data: Buffer.from(JSON.stringify(event)).toString('base64'), approximateArrivalTimestamp: now / 1000 },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${sequence}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/bench',
        awsRegion: 'us-east-1',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench',
      };
    }),
  };
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Sample {
  ms: number;
  requests: number;
  wcu: number;
  rcu: number;
  reported: number;
  failed: number;
}

export interface Figures {
  /** Records reported as batch item failures (the baseline's parallel writes to one order conflict). */
  failedPerBatch: number;
  requestsPerRecord: number;
  wcuPerRecord: number;
  rcuPerRecord: number;
  /** DynamoDB Local's own ConsumedCapacity.CapacityUnits (read + write), for reference. */
  localReportedUnitsPerRecord: number;
  medianMs: number;
}

export type HandlerName = 'ours' | 'powertools';
export type BatchKind = 'fresh' | 'duplicate';

export interface Result {
  ours: Record<BatchKind, Figures>;
  powertools: Record<BatchKind, Figures>;
  /** Powertools time / our time, median of the per-batch ratios (robust to load drifting during the run). */
  ratio: Record<BatchKind, number>;
  /**
   * The floor: the bare write any design that records each new key conditionally must send for a fresh
   * batch (see each benchmark's probe), timed in the same iterations as the handlers.
   * `oursOverFloor` = our fresh time / floor time, `ceiling` = Powertools fresh time / floor time (paired medians).
   */
  floor?: { medianMs: number; requests: number; wcuPerRecord: number; oursOverFloor: number; ceiling: number };
}

/** Sends the floor request(s) for one fresh batch, through `meter`'s client. */
export type FloorProbe = () => Promise<void>;

export interface MeasureOptions {
  /** A fresh batch's input, new each call (the same input then goes to both handlers). */
  readonly makeBatch: () => KinesisStreamEvent;
  readonly warmup: number;
  readonly measured: number;
  readonly floor?: { readonly probe: FloorProbe; readonly meter: Meter };
}

const figures = (list: readonly Sample[]): Figures => ({
  requestsPerRecord: median(list.map((s) => s.requests)) / BATCH_SIZE,
  wcuPerRecord: median(list.map((s) => s.wcu)) / BATCH_SIZE,
  rcuPerRecord: median(list.map((s) => s.rcu)) / BATCH_SIZE,
  localReportedUnitsPerRecord: median(list.map((s) => s.reported)) / BATCH_SIZE,
  medianMs: median(list.map((s) => s.ms)),
  failedPerBatch: median(list.map((s) => s.failed)),
});

async function timed(meter: Meter, run: () => Promise<number>): Promise<Sample> {
  meter.reset();
  const began = process.hrtime.bigint();
  const failed = await run();
  const ms = Number(process.hrtime.bigint() - began) / 1e6;
  return { ms, requests: meter.requests, wcu: meter.writeUnits, rcu: meter.readUnits, reported: meter.reportedUnits, failed };
}

/**
 * Runs both handlers on the same batches, interleaved (and alternating who goes first) so that both
 * see the same machine load; each batch is sent fresh, then again as a full duplicate. The floor, if
 * any, is timed in the same iteration, just before our batch.
 */
export async function measure(handlers: Record<HandlerName, { handler: Handler; meter: Meter }>, options: MeasureOptions): Promise<Result> {
  const samples: Record<HandlerName, Record<BatchKind, Sample[]>> = { ours: { fresh: [], duplicate: [] }, powertools: { fresh: [], duplicate: [] } };
  const floorSamples: Sample[] = [];
  for (let i = 0; i < options.warmup + options.measured; i++) {
    const keep = i >= options.warmup;
    const order: HandlerName[] = i % 2 ? ['powertools', 'ours'] : ['ours', 'powertools'];
    for (const name of order) {
      const { handler, meter } = handlers[name];
      // The floor goes right before our batch: both then meet the emulator in the same state (after
      // Powertools' hundreds of writes DynamoDB Local is slower for a while, whoever comes next).
      if (options.floor && name === 'ours') {
        const { probe, meter: floorMeter } = options.floor;
        const sample = await timed(floorMeter, async () => {
          await probe();
          return 0;
        });
        if (keep) floorSamples.push(sample);
      }
      const input = options.makeBatch();
      for (const kind of ['fresh', 'duplicate'] as const) {
        const sample = await timed(meter, async () => (await handler(input)).batchItemFailures.length);
        if (name === 'ours' && sample.failed > 0) throw new Error(`our ${kind} batch reported ${sample.failed} failures`);
        if (keep) samples[name][kind].push(sample);
      }
    }
  }
  const paired = (a: readonly Sample[], b: readonly Sample[]) => median(a.map((s, i) => s.ms / b[i]!.ms));
  return {
    ours: { fresh: figures(samples.ours.fresh), duplicate: figures(samples.ours.duplicate) },
    powertools: { fresh: figures(samples.powertools.fresh), duplicate: figures(samples.powertools.duplicate) },
    ratio: { fresh: paired(samples.powertools.fresh, samples.ours.fresh), duplicate: paired(samples.powertools.duplicate, samples.ours.duplicate) },
    ...(options.floor
      ? {
          floor: {
            medianMs: median(floorSamples.map((s) => s.ms)),
            requests: median(floorSamples.map((s) => s.requests)),
            wcuPerRecord: median(floorSamples.map((s) => s.wcu)) / BATCH_SIZE,
            oursOverFloor: paired(samples.ours.fresh, floorSamples),
            ceiling: paired(samples.powertools.fresh, floorSamples),
          },
        }
      : {}),
  };
}

/**
 * Sends `items` as the processor's engines would: transactions of at most 100 items, in parallel
 * (they touch different keys), asking for consumed capacity as the processor does.
 */
export async function sendTransactions(documents: DynamoDBDocumentClient, items: readonly TransactItem[]): Promise<void> {
  const transactions: TransactItem[][] = [];
  for (let i = 0; i < items.length; i += 100) transactions.push(items.slice(i, i + 100));
  await Promise.all(transactions.map((TransactItems) => documents.send(new TransactWriteCommand({ TransactItems, ReturnConsumedCapacity: 'TOTAL' }))));
}

/** The idempotency puts of `count` new keys, with our own item and condition. */
export function idempotencyPuts(table: string, count: number): TransactItem[] {
  const writes = { table, ttlSeconds: 48 * 3600, leaseSeconds: 60 };
  const nowMs = Date.now();
  const run = randomUUID().slice(0, 8);
  return Array.from({ length: count }, (_, i) => completeInTransaction(writes, `/bench#${run}-${i}`, nowMs, `shardId-000000000000:${run}-${i}`));
}

/** The processor's document client over `meter`'s client, with the marshalling the Lambda entries use. */
export const documentClient = (meter: Meter) => DynamoDBDocumentClient.from(meter.client, { marshallOptions: marshallingOptions(), unmarshallOptions: unmarshallingOptions() });

/** Tables and a queue for one benchmark (made as the processor tests make theirs), deleted at the end whatever happens. */
export class BenchResources {
  readonly sqs = new SQSClient({});
  private readonly prefix = uniqueName('bench');
  private readonly tables: string[] = [];
  private readonly queues: string[] = [];

  /** A table keyed by `pk`; `dueIndex`: with the windowed pipelines' due index, as the stack creates it. */
  async table(name: string, options: { dueIndex?: boolean } = {}): Promise<string> {
    const table = await createTable(`${this.prefix}-${name}`, undefined, options);
    this.tables.push(table);
    return table;
  }

  async queue(name: string): Promise<string> {
    const url = await createQueue(`${this.prefix}-${name}`);
    this.queues.push(url);
    return url;
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.tables.map(deleteTable), ...this.queues.map(deleteQueue)]);
  }
}

/** Our processor for `factory`, metered, silent, with the settings the stack would give it. */
export async function ourProcessor(factory: ActionFactory, resources: BenchResources, name: string, meter: Meter, settings: Partial<ProcessorSettings> = {}, options: { dueIndex?: boolean } = {}): Promise<Handler> {
  const handler = createProcessor(factory, {
    clients: { dynamodb: documentClient(meter), sqs: resources.sqs },
    logger: new Logger({ logLevel: 'SILENT' }),
    metricsWriter: () => undefined,
    settings: {
      pipelineName: `bench-${name}`,
      idempotencyTableName: await resources.table(`ours-${name}-idempotency`),
      stateTableName: await resources.table(`ours-${name}-state`, options),
      deadLetterQueueUrl: await resources.queue(`${name}-dlq`),
      idempotencyTtlSeconds: 48 * 3600,
      leaseSeconds: 60,
      keyConcurrency: 16,
      clockSkewAllowanceSeconds: 300,
      timeMarginMs: 5000,
      ...settings,
    },
  });
  return (event) => handler(event, lambdaContext());
}

export type ProcessorAction = 'noop' | 'orders';

/** A fresh 100-record batch: noop events on 20 keys; order changes on 50 orders (two changes each). */
export function processorBatch(action: ProcessorAction): KinesisStreamEvent {
  const run = randomUUID().slice(0, 8);
  const now = Date.now();
  return kinesisBatch(
    Array.from({ length: BATCH_SIZE }, (_, i) => ({
      specversion: '1.0' as const,
      id: `${run}-${i}`,
      source: '/bench',
      type: action === 'orders' ? OrderEventType.StatusChanged : 'bench.event',
      subject: action === 'orders' ? `order-${run}-${i % 50}` : `entity-${run}-${i % 20}`,
      time: new Date(now + i).toISOString(),
      data: action === 'orders' ? { status: i < 50 ? 'created' : 'paid', total: i } : { n: i },
    })),
  );
}

/**
 * Our processor and the Powertools baseline on the same `action` batches, each with its own tables;
 * `floor`: the bare 100-item conditional TransactWriteItems of a fresh batch's idempotency puts (the
 * one write any design that records each new key conditionally must send), timed in the same iterations.
 */
export async function compareWithPowertools(action: ProcessorAction, resources: BenchResources, options: { warmup: number; measured: number; floor: boolean }): Promise<Result> {
  const ourMeter = new Meter();
  const ours = await ourProcessor(action === 'noop' ? noop : orders, resources, action, ourMeter);
  const baseMeter = new Meter();
  const baseline = createPowertoolsHandler({
    action,
    idempotencyTableName: await resources.table(`powertools-${action}-idempotency`),
    stateTableName: await resources.table(`powertools-${action}-state`),
    client: baseMeter.client,
  });
  const floorMeter = new Meter();
  const floorTable = options.floor ? await resources.table(`floor-${action}-idempotency`) : undefined;
  const floorDocuments = documentClient(floorMeter);
  return measure(
    { ours: { handler: ours, meter: ourMeter }, powertools: { handler: (event) => baseline(event, lambdaContext()), meter: baseMeter } },
    {
      makeBatch: () => processorBatch(action),
      warmup: options.warmup,
      measured: options.measured,
      ...(floorTable ? { floor: { meter: floorMeter, probe: () => sendTransactions(floorDocuments, idempotencyPuts(floorTable, BATCH_SIZE)) } } : {}),
    },
  );
}

/** Both actions compared on their own tables (the noop comparison with its floor), cleaned up afterwards. */
export async function compareActions(options: { warmup: number; measured: number }): Promise<Record<ProcessorAction, Result>> {
  const resources = new BenchResources();
  try {
    const noopResult = await compareWithPowertools('noop', resources, { ...options, floor: true });
    return { noop: noopResult, orders: await compareWithPowertools('orders', resources, { ...options, floor: false }) };
  } finally {
    await resources.cleanup();
  }
}
