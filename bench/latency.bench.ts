/**
 * `npm run bench -- bench/latency.bench.ts`: event-to-action latency at steady load. LATENCY_RATE
 * (default 50) orders events a second for LATENCY_SECONDS (default 20) per mode, sent through the
 * product's EventProducer (default linger) into the deployed orders pipeline on the local target, in
 * three modes that differ only in the mapping:
 *
 *   (a) polling with the configured batching window (the orders pipeline's);
 *   (b) polling without a window;
 *   (c) enhanced fan-out: a stream consumer (RegisterStreamConsumer) and a mapping on it, the way the
 *       stack deploys `eventSource.consumer` (AWS::Lambda::EventSourceMapping on the consumer's ARN).
 *       Reported as not available on a build whose configuration has no `eventSource.consumer`.
 *
 * Event-to-action is the processor's own EventToActionLatency (action done minus the event's time, as the
 * latency alarm sees it), p50 and p99 over every event of the mode. Beside it, the budget's parts measured
 * in the same run: send() to Kinesis accepting the event (linger, queueing, PutRecords), time in the stream before the invoke (propagation, polling,
 * batching window: invoke start minus the record's arrival), the runtime's invoke transport, the handler,
 * and a small DynamoDB transaction alone. Goal: enhanced fan-out p99 ≤ 300 ms. Writes reports/bench-latency.json.
 */
import { loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DescribeStreamConsumerCommand, RegisterStreamConsumerCommand } from '@aws-sdk/client-kinesis';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { EventProducer } from '../client';
import { exampleEvents } from '../client/examples/pipeline-events';
import { completeInTransaction } from '../lambdas/processor/idempotency';
import { METRIC_NAMESPACE, PIPELINE_DIMENSION, ProcessorMetric } from '../lambdas/shared/metrics-contract';
import type { KinesisEventSourceMapping } from '../local/event-source';
import { type Figure, median, percentile, report, runBenchmark } from './support/figures';
import { createTable, type BenchTarget, type Invocation, recordInvocations, startBenchTarget, streamArn } from './support/local-target';

const RATE = Number(process.env.LATENCY_RATE ?? 50);
const SECONDS = Number(process.env.LATENCY_SECONDS ?? 20);
/** After the last put, how long the mode may take to act on every event. */
const SETTLE_MS = 8_000;

interface Mode {
  readonly name: string;
  readonly key: 'pollingWindow' | 'pollingNoWindow' | 'enhancedFanOut';
  /** The mapping the mode runs on, or why the build cannot run it. */
  prepare(target: BenchTarget): Promise<{ mapping: KinesisEventSourceMapping; functionName: string } | { unavailable: string }>;
}

interface ModeResult {
  readonly mode: string;
  readonly events: number;
  readonly acted: number;
  readonly eventToAction: { p50: number; p99: number };
  readonly ingestToInvoke: { p50: number; p99: number };
  readonly putRecords: { p50: number; p99: number };
  readonly invokeTransportMs: number;
  readonly handlerMs: number;
  readonly recordsPerBatch: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

/** Whether this build's configuration offers `eventSource.consumer` (enhanced fan-out, issue 14 item 1). */
function consumerSetting(target: BenchTarget): string | undefined {
  const value = (target.pipeline.eventSource as Record<string, unknown>).consumer;
  return typeof value === 'string' ? value : undefined;
}

const MODES: readonly Mode[] = [
  {
    name: 'polling, configured batching window',
    key: 'pollingWindow',
    prepare: async (t) => ({ mapping: t.orders.mapping, functionName: t.orders.functionName }),
  },
  {
    name: 'polling, no batching window',
    key: 'pollingNoWindow',
    prepare: async (t) => {
      await t.orders.mapping.update({ MaximumBatchingWindowInSeconds: 0 });
      return { mapping: t.orders.mapping, functionName: t.orders.functionName };
    },
  },
  {
    name: 'enhanced fan-out, no batching window',
    key: 'enhancedFanOut',
    prepare: async (t) => {
      if (consumerSetting(t) === undefined) return { unavailable: 'not available on this build: the configuration has no eventSource.consumer setting' };
      const registered = await t.kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn(t.orders.streamName), ConsumerName: `bench-${randomBytes(2).toString('hex')}` }));
      const consumerArn = registered.Consumer?.ConsumerARN as string;
      while ((await t.kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn }))).ConsumerDescription?.ConsumerStatus !== 'ACTIVE') await sleep(100);
      await t.orders.mapping.setEnabled(false);
      const { UUID: _uuid, ...settings } = t.orders.mapping.config;
      const created = await t.localAws.mappings.create({ ...settings, EventSourceArn: consumerArn, StartingPosition: 'LATEST', MaximumBatchingWindowInSeconds: 0, Enabled: true }, () => undefined);
      const mapping = t.localAws.mappings.get(created.UUID);
      if (!mapping) throw new Error('the enhanced fan-out mapping was not registered');
      while (mapping.state !== 'Enabled') await sleep(50);
      return { mapping, functionName: t.orders.functionName };
    },
  },
];

function latencyPoints(target: BenchTarget, metricName: string, start: number, end: number): number[] {
  return target.localAws.metrics.points({ namespace: METRIC_NAMESPACE, metricName, dimensions: { [PIPELINE_DIMENSION]: target.pipeline.name } }, start, end).map((p) => p.value);
}

/**
 * Sends RATE events a second for SECONDS through the product's EventProducer (its default linger, one
 * PutRecords call in flight, no aggregation), each event dated when it is made; returns, per event, the
 * time from send() to Kinesis accepting it (linger, queueing behind the call in flight, the round trip).
 */
async function steadyLoad(target: BenchTarget, prefix: string): Promise<{ sent: number; putMs: number[] }> {
  const events = exampleEvents({ action: 'orders' }, prefix);
  const producer = new EventProducer({ stream: { streamName: target.orders.streamName }, client: target.kinesis, source: 'bench-latency', aggregate: false, maxConcurrentCalls: 1 });
  const total = RATE * SECONDS;
  const putMs: number[] = [];
  const outcomes: Promise<void>[] = [];
  const began = now();
  try {
    for (let n = 0; n < total; n++) {
      const wait = began + (n * 1000) / RATE - now();
      if (wait > 0) await sleep(wait);
      const sentAt = performance.now();
      // Many orders, one change each every ten seconds or so: a busy shop's stream, over every shard.
      const sent = await producer.send(events.next(events.subject(n % 500), new Date()));
      outcomes.push(sent.outcome.then(() => void putMs.push(performance.now() - sentAt)));
    }
    await Promise.all(outcomes);
  } finally {
    await producer.close();
  }
  return { sent: total, putMs };
}

async function runMode(target: BenchTarget, mode: Mode, invocations: readonly Invocation[]): Promise<ModeResult | { mode: string; unavailable: string }> {
  const prepared = await mode.prepare(target);
  if ('unavailable' in prepared) return { mode: mode.name, unavailable: prepared.unavailable };
  // Nothing of an earlier mode is still on its way.
  await sleep(1500);
  const from = invocations.length;
  const start = Date.now();
  const load = await steadyLoad(target, `${mode.key}-${randomBytes(2).toString('hex')}`);
  const settleUntil = Date.now() + SETTLE_MS;
  let acted = 0;
  while (Date.now() < settleUntil) {
    acted = latencyPoints(target, ProcessorMetric.EventToActionLatency, start, Date.now() + 1).length;
    if (acted >= load.sent) break;
    await sleep(200);
  }
  const eventToAction = latencyPoints(target, ProcessorMetric.EventToActionLatency, start, Date.now() + 1);
  const mine = invocations.slice(from).filter((i) => i.functionName === prepared.functionName && i.records > 0);
  const waits = mine.flatMap((i) => i.arrivalsMs.map((a) => i.startedMs - a));
  if (mode.key === 'enhancedFanOut') await prepared.mapping.setEnabled(false);
  return {
    mode: mode.name,
    events: load.sent,
    acted: eventToAction.length,
    eventToAction: { p50: percentile(eventToAction, 50), p99: percentile(eventToAction, 99) },
    ingestToInvoke: { p50: percentile(waits, 50), p99: percentile(waits, 99) },
    putRecords: { p50: percentile(load.putMs, 50), p99: percentile(load.putMs, 99) },
    invokeTransportMs: median(mine.map((i) => i.endedMs - i.startedMs - i.handlerMs)),
    handlerMs: median(mine.map((i) => i.handlerMs)),
    recordsPerBatch: median(mine.map((i) => i.records)),
  };
}

/** A small transaction alone (one record's idempotency put and its state put), as a batch at this load sends. */
async function smallTransactionMs(target: BenchTarget): Promise<number> {
  const table = `${target.orders.functionName}-latency-probe`;
  await createTable(target.dynamodb, table);
  const documents = DynamoDBDocumentClient.from(target.dynamodb);
  const writes = { table, ttlSeconds: 3600, leaseSeconds: 60 };
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const items = [0, 1].map((k) => completeInTransaction(writes, `/probe#${i}-${k}`, Date.now(), `shardId-000000000000:${k}`));
    const began = performance.now();
    await documents.send(new TransactWriteCommand({ TransactItems: items }));
    times.push(performance.now() - began);
  }
  return median(times);
}

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const target = await startBenchTarget();
  const recorder = recordInvocations(target.localAws);
  try {
    // Warm containers: a cold start is not steady load.
    await Promise.all([0, 1].map(() => target.localAws.runtime.invoke(target.orders.functionName, { Records: [] })));
    const results: (ModeResult | { mode: string; unavailable: string })[] = [];
    for (const mode of MODES) {
      process.stderr.write(`[latency] ${mode.name}: ${RATE} events/s for ${SECONDS} s\n`);
      results.push(await runMode(target, mode, recorder.invocations));
    }
    const transactionMs = await smallTransactionMs(target);
    const windowSeconds = target.pipeline.eventSource.maxBatchingWindowSeconds;
    const figures: Figure[] = [];
    for (const r of results) {
      const goal = r.mode.startsWith('enhanced') ? { max: 300 } : undefined;
      if ('unavailable' in r) {
        figures.push({ figure: `${r.mode}: event-to-action p99`, value: undefined, unit: 'ms', ...(goal ? { goal } : {}), note: r.unavailable });
        continue;
      }
      const acted = `${r.acted} of ${r.events} events acted on`;
      figures.push({ figure: `${r.mode}: event-to-action p50`, value: r.eventToAction.p50, unit: 'ms', note: acted });
      figures.push({ figure: `${r.mode}: event-to-action p99`, value: r.eventToAction.p99, unit: 'ms', ...(goal ? { goal } : {}) });
      figures.push({ figure: '  producer: send() to accepted (linger, PutRecords) p50 / p99', value: r.putRecords.p50, unit: 'ms', note: `p99 ${r.putRecords.p99.toFixed(0)} ms` });
      figures.push({ figure: '  in the stream before the invoke p50 / p99', value: r.ingestToInvoke.p50, unit: 'ms', note: `p99 ${r.ingestToInvoke.p99.toFixed(0)} ms (propagation, polling, window)` });
      figures.push({ figure: '  invoke transport (median)', value: r.invokeTransportMs, unit: 'ms' });
      figures.push({ figure: '  handler (median)', value: r.handlerMs, unit: 'ms', note: `${r.recordsPerBatch} records per batch (median)` });
    }
    figures.push({ figure: 'DynamoDB Local: 2-item TransactWriteItems alone', value: transactionMs, unit: 'ms' });
    report('latency', `Latency at steady load: ${RATE} orders events/s for ${SECONDS} s per mode, local target (configured window ${windowSeconds} s, poll interval 1 s)`, figures, { rate: RATE, seconds: SECONDS, configuredWindowSeconds: windowSeconds, consumerSetting: consumerSetting(target) ?? null, results, smallTransactionMs: transactionMs }, loadAtStart);
  } finally {
    recorder.restore();
    await target.stop();
  }
}

runBenchmark(main);
