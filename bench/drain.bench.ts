/**
 * `npm run bench -- bench/drain.bench.ts`: keeping up with a shard. A backlog of DRAIN_EVENTS (default
 * 20,000) orders events is put while the mappings are disabled, then drained by the local event source
 * mapping into our processor (the deployed orders pipeline: its bundle, its function settings, its
 * mapping), then by a second mapping on the same stream into the Powertools baseline deployed with the
 * same shape (same function settings, a mapping with the same settings), on the same emulators, one after
 * the other. Figures: records/s per shard of each and the ratio (goals: ours ≥ 1,000 per shard at
 * parallelization factor 1, ≥ 3× Powertools).
 *
 * Where the time of a batch goes, from a recorder around the local runtime's invoke: the mapping's part
 * between two batches of a shard (GetRecords, the shard's read limit, batching), the runtime's part
 * (the invoke's transport around the handler) and the handler's own time (measured in the container).
 * And the emulators alone, in the same run: GetRecords of kinesis-local through the target's path (fault
 * proxy → gate) and directly, one bare 100-item TransactWriteItems on DynamoDB Local, and the invoke of a
 * function that answers at once. Checkpoints are kept in memory by the local mapping (no request).
 *
 * Each drain stops after DRAIN_TIMEOUT_MS (default 120,000) and reports the rate it reached.
 * Writes reports/bench-drain.json.
 */
import { loadavg } from 'node:os';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { completeInTransaction } from '../lambdas/processor/idempotency';
import { emulatorEndpointsFromEnv } from '../local';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/emulators';
import { toLambdaEvent, type KinesisEventSourceMapping, type PolledRecord } from '../local/event-source';
import { createKinesisClient } from '../sdk/clients';
import { type Figure, median, report, runBenchmark } from './support/figures';
import { createTable, deployEchoFunction, deployPowertoolsBaseline, type Invocation, ordersBacklog, putAll, recordInvocations, shardCount, startBenchTarget, streamArn, type BenchTarget } from './support/local-target';

const EVENTS = Number(process.env.DRAIN_EVENTS ?? 20_000);
const TIMEOUT_MS = Number(process.env.DRAIN_TIMEOUT_MS ?? 120_000);
const PROBES = 15;

interface Drain {
  readonly records: number;
  readonly seconds: number;
  readonly complete: boolean;
  readonly invocations: readonly Invocation[];
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Enables the mapping and waits until every record of the backlog is finished (or the timeout). */
async function drain(mapping: KinesisEventSourceMapping, functionName: string, invocations: readonly Invocation[], total: number): Promise<Drain> {
  const from = invocations.length;
  const finished = new Set<string>();
  let seen = from;
  const began = now();
  await mapping.setEnabled(true);
  let last = began;
  while (finished.size < total && now() - began < TIMEOUT_MS) {
    await sleep(50);
    for (; seen < invocations.length; seen++) {
      const inv = invocations[seen] as Invocation;
      if (inv.functionName !== functionName) continue;
      for (const s of inv.finished) finished.add(s);
      last = inv.endedMs;
    }
  }
  await mapping.setEnabled(false);
  const mine = invocations.slice(from).filter((i) => i.functionName === functionName && i.records > 0);
  return { records: finished.size, seconds: (last - began) / 1000, complete: finished.size >= total, invocations: mine };
}

/** How each batch's time splits, per shard: the mapping's gap before it, the invoke's transport, the handler. */
function breakdown(invocations: readonly Invocation[]): { batchRecords: number; cycleMs: number; mappingGapMs: number; invokeOverheadMs: number; handlerMs: number } {
  const byShard = new Map<string, Invocation[]>();
  for (const inv of invocations) byShard.set(inv.shardId, [...(byShard.get(inv.shardId) ?? []), inv]);
  const gaps: number[] = [];
  const cycles: number[] = [];
  for (const list of byShard.values()) {
    list.sort((a, b) => a.startedMs - b.startedMs);
    for (let i = 1; i < list.length; i++) {
      gaps.push((list[i] as Invocation).startedMs - (list[i - 1] as Invocation).endedMs);
      cycles.push((list[i] as Invocation).startedMs - (list[i - 1] as Invocation).startedMs);
    }
  }
  return {
    batchRecords: median(invocations.map((i) => i.records)),
    cycleMs: median(cycles),
    mappingGapMs: median(gaps),
    invokeOverheadMs: median(invocations.map((i) => i.endedMs - i.startedMs - i.handlerMs)),
    handlerMs: median(invocations.map((i) => i.handlerMs)),
  };
}

async function timeIt(run: () => Promise<unknown>): Promise<number> {
  const began = performance.now();
  await run();
  return performance.now() - began;
}

/** One GetRecords of `limit` records from the start of a shard (a fresh iterator each time), PROBES times: median ms and records. */
async function getRecordsProbe(kinesis: KinesisClient, streamName: string, limit: number): Promise<{ ms: number; records: number }> {
  const shardId = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards?.[0]?.ShardId;
  const times: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < PROBES; i++) {
    const iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    const began = performance.now();
    const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
    times.push(performance.now() - began);
    counts.push(out.Records?.length ?? 0);
  }
  return { ms: median(times), records: median(counts) };
}

async function emulatorsAlone(target: BenchTarget, streamName: string, echoFunction: string, sample: readonly PolledRecord[], concurrentTransactions: number) {
  const direct = createKinesisClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: emulatorEndpointsFromEnv()?.kinesis });
  try {
    const getRecords100 = await getRecordsProbe(target.kinesis, streamName, 100);
    const getRecords100Direct = await getRecordsProbe(direct, streamName, 100);
    const getRecords10k = await getRecordsProbe(target.kinesis, streamName, 10_000);

    const table = `${target.orders.functionName}-floor`;
    await createTable(target.dynamodb, table);
    const documents = DynamoDBDocumentClient.from(target.dynamodb);
    const writes = { table, ttlSeconds: 48 * 3600, leaseSeconds: 60 };
    let key = 0;
    const transaction = () => {
      const items = Array.from({ length: 100 }, (_, k) => completeInTransaction(writes, `/bench#${key++}`, Date.now(), `shardId-000000000000:${k}`));
      return documents.send(new TransactWriteCommand({ TransactItems: items }));
    };
    const transactions: number[] = [];
    const concurrent: number[] = [];
    for (let i = 0; i < PROBES; i++) {
      transactions.push(await timeIt(transaction));
      // As many at once as the drain sends: two per batch (idempotency and state items of 100 orders), one batch per shard.
      concurrent.push(await timeIt(() => Promise.all(Array.from({ length: concurrentTransactions }, transaction))));
    }

    const event = toLambdaEvent(sample, { streamArn: streamArn(streamName), region: LOCAL_REGION, invokeIdentityArn: 'arn:aws:iam::000000000000:role/bench' });
    const walls: number[] = [];
    const handlers: number[] = [];
    for (let i = 0; i < PROBES + 1; i++) {
      const began = performance.now();
      const result = await target.localAws.runtime.invoke(echoFunction, event);
      // The first starts the container (a cold start): not an invoke's overhead.
      if (i === 0) continue;
      walls.push(performance.now() - began);
      handlers.push(result.durationMs);
    }
    return {
      getRecords100Ms: getRecords100.ms,
      getRecords100DirectMs: getRecords100Direct.ms,
      getRecords10kMs: getRecords10k.ms,
      getRecords10kRecords: getRecords10k.records,
      transaction100Ms: median(transactions),
      concurrentTransactions,
      concurrentTransactions100Ms: median(concurrent),
      echoInvokeMs: median(walls),
      echoHandlerMs: median(handlers),
    };
  } finally {
    direct.destroy();
  }
}

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const target = await startBenchTarget();
  const cleanups: (() => void)[] = [];
  try {
    const ours = target.orders;
    await ours.mapping.setEnabled(false);
    const baseline = await deployPowertoolsBaseline(target);
    cleanups.push(baseline.remove);
    const echo = await deployEchoFunction(target);
    cleanups.push(echo.remove);
    const shards = await shardCount(target.kinesis, ours.streamName);
    const recorder = recordInvocations(target.localAws);
    cleanups.push(recorder.restore);

    // One warm container per shard for each function: a cold start is not what a backlog waits on.
    await Promise.all([ours.functionName, baseline.functionName].flatMap((name) => Array.from({ length: shards }, () => target.localAws.runtime.invoke(name, { Records: [] }))));

    const backlog = ordersBacklog(EVENTS);
    const putBegan = performance.now();
    // Straight to kinesis-local: the backlog is the set-up, not what is measured (its proxies share our process).
    const direct = createKinesisClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: emulatorEndpointsFromEnv()?.kinesis });
    await putAll(direct, ours.streamName, backlog).finally(() => direct.destroy());
    const putSeconds = (performance.now() - putBegan) / 1000;
    process.stderr.write(`[drain] ${EVENTS} events put (${shards} shards; ${Math.round(EVENTS / putSeconds)} records/s); draining ours\n`);

    const oursDrain = await drain(ours.mapping, ours.functionName, recorder.invocations, EVENTS);
    process.stderr.write(`[drain] ours: ${oursDrain.records} records in ${oursDrain.seconds.toFixed(1)} s; draining Powertools\n`);
    const baseDrain = await drain(baseline.mapping, baseline.functionName, recorder.invocations, EVENTS);
    process.stderr.write(`[drain] Powertools: ${baseDrain.records} records in ${baseDrain.seconds.toFixed(1)} s; measuring the emulators alone\n`);

    const sample: PolledRecord[] = backlog.slice(0, 100).map((e, i) => ({ shardId: 'shardId-000000000000', sequenceNumber: String(i), partitionKey: e.PartitionKey ?? '', data: e.Data ?? new Uint8Array(), arrivalMs: Date.now() }));
    const alone = await emulatorsAlone(target, ours.streamName, echo.functionName, sample, 2 * shards);
    const perShard = (d: Drain) => d.records / d.seconds / shards;
    const oursSplit = breakdown(oursDrain.invocations);
    const baseSplit = breakdown(baseDrain.invocations);
    const batchSize = ours.mapping.config.BatchSize;
    const figures: Figure[] = [
      { figure: 'ours: drain rate per shard', value: perShard(oursDrain), unit: 'records/s', goal: { min: 1000 }, note: `${oursDrain.records} records, ${oursDrain.seconds.toFixed(1)} s, ${shards} shards, parallelization ${ours.mapping.config.ParallelizationFactor}${oursDrain.complete ? '' : ', timed out'}` },
      { figure: 'Powertools: drain rate per shard', value: perShard(baseDrain), unit: 'records/s', note: `${baseDrain.records} records, ${baseDrain.seconds.toFixed(1)} s${baseDrain.complete ? '' : ', timed out'}` },
      { figure: 'ours / Powertools (same run)', value: perShard(oursDrain) / perShard(baseDrain), unit: '×', goal: { min: 3 } },
      { figure: 'ours: records per batch (median)', value: oursSplit.batchRecords, unit: 'records' },
      { figure: 'ours: batch cycle per shard (median)', value: oursSplit.cycleMs, unit: 'ms', note: 'start of one batch to the start of the next on the shard' },
      { figure: '  mapping between batches (GetRecords, read limit, batching)', value: oursSplit.mappingGapMs, unit: 'ms' },
      { figure: '  runtime: invoke transport around the handler', value: oursSplit.invokeOverheadMs, unit: 'ms' },
      { figure: '  handler (processor), measured in the container', value: oursSplit.handlerMs, unit: 'ms' },
      { figure: '  checkpoint', value: 0, unit: 'ms', note: 'kept in memory by the local mapping' },
      { figure: 'Powertools: batch cycle per shard (median)', value: baseSplit.cycleMs, unit: 'ms', note: `mapping ${baseSplit.mappingGapMs.toFixed(0)} ms, transport ${baseSplit.invokeOverheadMs.toFixed(0)} ms, handler ${baseSplit.handlerMs.toFixed(0)} ms` },
      { figure: 'kinesis-local GetRecords of 100, target path (proxy, gate)', value: alone.getRecords100Ms, unit: 'ms', note: `direct ${alone.getRecords100DirectMs.toFixed(1)} ms` },
      { figure: 'kinesis-local GetRecords of 10,000, target path', value: alone.getRecords10kMs, unit: 'ms', note: `${alone.getRecords10kRecords} records: ${Math.round((alone.getRecords10kRecords / alone.getRecords10kMs) * 1000)} records/s per reader` },
      { figure: 'cap of 5 GetRecords/s if each read one batch', value: 5 * batchSize, unit: 'records/s', note: `AWS's shared read limit per shard × batch size ${batchSize}: the local mapping's cap before it read ahead` },
      { figure: 'DynamoDB Local: bare 100-item TransactWriteItems', value: alone.transaction100Ms, unit: 'ms', note: `alone caps a shard at ${Math.round((100 / alone.transaction100Ms) * 1000)} records/s with one per batch (orders of 100 orders: two)` },
      { figure: `DynamoDB Local: ${2 * shards} such transactions at once`, value: alone.concurrentTransactions100Ms, unit: 'ms', note: `${Math.round(((2 * shards * 100) / alone.concurrentTransactions100Ms) * 500)} orders records/s in all at 2 items per record (${(alone.concurrentTransactions100Ms / alone.transaction100Ms).toFixed(1)}× one alone)` },
      { figure: 'local runtime: invoke of a 100-record event, empty handler', value: alone.echoInvokeMs, unit: 'ms', note: `handler ${alone.echoHandlerMs.toFixed(2)} ms; the rest is the runtime's transport` },
    ];
    report('drain', `Keeping up with a shard: ${EVENTS} orders events drained by the local event source mapping (batch size ${batchSize}, window ${ours.mapping.config.MaximumBatchingWindowInSeconds} s)`, figures, { events: EVENTS, shards, putRecordsPerSecond: EVENTS / putSeconds, ours: { ...oursDrain, invocations: oursDrain.invocations.length, split: oursSplit }, powertools: { ...baseDrain, invocations: baseDrain.invocations.length, split: baseSplit }, emulatorsAlone: alone }, loadAtStart);
  } finally {
    for (const cleanup of cleanups.reverse()) cleanup();
    await target.stop();
  }
}

runBenchmark(main);
