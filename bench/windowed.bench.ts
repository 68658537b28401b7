/**
 * `npm run bench` (via bench/run.ts): the windowed action (`returns`, issue 12) against a per-event
 * baseline, same DynamoDB Local, same batches, one run.
 *
 * A 100-event batch over 10 SKUs (10 returns each, a few seconds of event time), sent fresh, then again
 * as a full duplicate, through our processor with the real `returns` action (the spike threshold set out
 * of reach: this measures counting, not alerting) and through Powertools `makeIdempotent` around one
 * `UpdateItem ADD` per window the event falls in (bench/baseline/powertools-windowed.ts). The SKUs stay
 * the same from batch to batch, so windows are updated, as in a steady stream. The floor, timed in the
 * same iterations: the bare conditional writes any exactly-once design must send for a fresh batch (one
 * idempotency put per event and one put per SKU and window, in transactions of at most 100 items).
 *
 * Tumbling windows (size = slide) carry the goals: DynamoDB requests per record at most 0.05, write
 * units per record at most 2.2. Hopping windows (size / slide = 2, 5, 10: an event counts in that many
 * windows) give the cost per event as a function of size / slide. Prints the tables and writes
 * reports/bench-windowed.json.
 */
import { randomUUID } from 'node:crypto';
import { SNSClient } from '@aws-sdk/client-sns';
import { returns } from '../lambdas/actions/returns';
import { ReturnEventType } from '../lambdas/shared/returns-events';
import { spikeSchema, windowsSchema } from '../lambdas/shared/windows-config';
import { windowSpec, windowStartsOf } from '../lambdas/processor/windows/window-math';
import type { TransactItem } from '../lambdas/processor/dynamo';
import { createPowertoolsWindowedHandler } from './baseline/powertools-windowed';
import { atMost, printGoals, printMachine, printTable, writeReport, type Goal } from './bench-report';
import { BATCH_SIZE, BenchResources, documentClient, idempotencyPuts, kinesisBatch, lambdaContext, measure, Meter, ourProcessor, sendTransactions, type Result } from './processor-harness';

const SKUS = 10;
const SIZE_SECONDS = 600;
/** size / slide: 1 is tumbling. */
const WINDOWS_PER_EVENT = (process.env.BENCH_WINDOWS_PER_EVENT ?? '1,2,5,10').split(',').map(Number);
const WARMUP_BATCHES = 2;
const MEASURED_BATCHES = Number(process.env.BENCH_MEASURED_BATCHES ?? 7);

/** 100 returns over the SKUs of `run`, in the last few seconds of event time. */
function returnsBatch(run: string) {
  const base = Date.now() - 10_000;
  const batchId = randomUUID().slice(0, 8);
  return kinesisBatch(
    Array.from({ length: BATCH_SIZE }, (_, i) => ({
      specversion: '1.0' as const,
      id: `${batchId}-${i}`,
      source: '/bench/returns',
      type: ReturnEventType.Returned,
      subject: `order-${batchId}-${i}`,
      time: new Date(base + i * 10).toISOString(),
      data: { orderId: `order-${batchId}-${i}`, sku: `sku-${run}-${i % SKUS}`, reason: i % 3 ? 'damaged' : 'wrong-size', amount: 10 + (i % 7) },
    })),
  );
}

interface Configuration {
  readonly windowsPerEvent: number;
  readonly result: Result;
}

async function measureConfiguration(windowsPerEvent: number, resources: BenchResources): Promise<Configuration> {
  const windows = windowsSchema.parse({ keyField: 'sku', sumFields: ['amount'], topField: 'reason', sizeSeconds: SIZE_SECONDS, ...(windowsPerEvent > 1 ? { slideSeconds: SIZE_SECONDS / windowsPerEvent } : {}) });
  const spec = windowSpec(windows);
  const name = `returns-${windowsPerEvent}`;
  const run = randomUUID().slice(0, 6);
  const ourMeter = new Meter();
  const ours = await ourProcessor(
    returns(new SNSClient({})),
    resources,
    name,
    ourMeter,
    {
      windowsConfigJson: JSON.stringify(windows),
      // Out of reach: no alert is raised, the benchmark measures the counting.
      spikeConfigJson: JSON.stringify(spikeSchema.parse({ minimumVolume: 1_000_000 })),
      alertsTopicArn: 'arn:aws:sns:us-east-1:000000000000:bench-never-published',
    },
    { dueIndex: true },
  );
  const baseMeter = new Meter();
  const baseline = createPowertoolsWindowedHandler({
    idempotencyTableName: await resources.table(`powertools-${name}-idempotency`),
    countsTableName: await resources.table(`powertools-${name}-counts`),
    spec,
    client: baseMeter.client,
  });
  const floorMeter = new Meter();
  const floorDocuments = documentClient(floorMeter);
  const floorIdempotency = await resources.table(`floor-${name}-idempotency`);
  const floorState = await resources.table(`floor-${name}-state`);
  const probe = () => {
    const floorRun = randomUUID().slice(0, 8);
    const starts = windowStartsOf(Date.now(), spec);
    const windowPuts: TransactItem[] = Array.from({ length: SKUS }, (_, sku) =>
      starts.map((start): TransactItem => ({
        Put: {
          TableName: floorState,
          Item: { pk: `window#${start}#sku-${floorRun}-${sku}`, count: 10, sum: { amount: 130 }, min: { amount: 10 }, max: { amount: 16 }, top: { damaged: 7, 'wrong-size': 3 }, version: 1 },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      })),
    ).flat();
    return sendTransactions(floorDocuments, [...idempotencyPuts(floorIdempotency, BATCH_SIZE), ...windowPuts]);
  };
  const result = await measure(
    { ours: { handler: ours, meter: ourMeter }, powertools: { handler: (event) => baseline(event, lambdaContext()), meter: baseMeter } },
    { makeBatch: () => returnsBatch(run), warmup: WARMUP_BATCHES, measured: MEASURED_BATCHES, floor: { probe, meter: floorMeter } },
  );
  return { windowsPerEvent, result };
}

async function main(): Promise<void> {
  if (!process.env.AWS_ENDPOINT_URL_DYNAMODB) throw new Error('AWS_ENDPOINT_URL_DYNAMODB is not set: run through `npm run bench` (bench/run.ts starts the emulators)');
  const resources = new BenchResources();
  const configurations: Configuration[] = [];
  try {
    for (const windowsPerEvent of WINDOWS_PER_EVENT) configurations.push(await measureConfiguration(windowsPerEvent, resources));
  } finally {
    await resources.cleanup();
  }

  printMachine();
  console.log(`Windowed action (returns) vs Powertools makeIdempotent + UpdateItem ADD per event and window; ${BATCH_SIZE} events over ${SKUS} SKUs, ${SIZE_SECONDS} s windows, median of ${MEASURED_BATCHES}, DynamoDB Local`);
  const rows: string[][] = [['size/slide', 'batch', 'handler', 'DDB req/record', 'WCU/record', 'RCU/record', 'median batch ms', 'ms/event', 'Powertools/ours time (paired median)', 'ours/floor']];
  for (const { windowsPerEvent, result } of configurations) {
    for (const kind of ['fresh', 'duplicate'] as const) {
      for (const name of ['ours', 'powertools'] as const) {
        const f = result[name][kind];
        rows.push([String(windowsPerEvent), kind, name, f.requestsPerRecord.toFixed(3), f.wcuPerRecord.toFixed(2), f.rcuPerRecord.toFixed(2), f.medianMs.toFixed(1), (f.medianMs / BATCH_SIZE).toFixed(2), name === 'ours' ? `${result.ratio[kind].toFixed(1)}x` : '', name === 'ours' && kind === 'fresh' ? `${result.floor!.oursOverFloor.toFixed(2)}x` : '']);
      }
    }
    const floor = result.floor!;
    rows.push([String(windowsPerEvent), 'fresh', 'floor: bare conditional puts (idempotency + windows)', (floor.requests / BATCH_SIZE).toFixed(3), floor.wcuPerRecord.toFixed(2), '0.00', floor.medianMs.toFixed(1), (floor.medianMs / BATCH_SIZE).toFixed(2), `ceiling ${floor.ceiling.toFixed(1)}x`, '']);
  }
  printTable(rows);

  const tumbling = configurations.find((c) => c.windowsPerEvent === 1)?.result;
  const goals: Goal[] = tumbling
    ? [
        atMost('tumbling fresh: DynamoDB requests per record', tumbling.ours.fresh.requestsPerRecord, 0.05, '', 3),
        atMost('tumbling duplicate: DynamoDB requests per record', tumbling.ours.duplicate.requestsPerRecord, 0.05, '', 3),
        atMost('tumbling fresh: WCU per record', tumbling.ours.fresh.wcuPerRecord, 2.2),
      ]
    : [];
  printGoals(goals);
  const costPerEvent = configurations.map(({ windowsPerEvent, result }) => ({
    windowsPerEvent,
    ours: { requests: result.ours.fresh.requestsPerRecord, wcu: result.ours.fresh.wcuPerRecord, ms: result.ours.fresh.medianMs / BATCH_SIZE },
    powertools: { requests: result.powertools.fresh.requestsPerRecord, wcu: result.powertools.fresh.wcuPerRecord, ms: result.powertools.fresh.medianMs / BATCH_SIZE },
    floorMs: result.floor!.medianMs / BATCH_SIZE,
  }));
  writeReport('windowed', { batchSize: BATCH_SIZE, skus: SKUS, sizeSeconds: SIZE_SECONDS, measuredBatches: MEASURED_BATCHES, costPerEvent, configurations }, goals);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
