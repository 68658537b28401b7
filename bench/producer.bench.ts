/**
 * `npm run bench` (via bench/run.ts): producer throughput against the local Kinesis emulator
 * (AWS_ENDPOINT_URL_KINESIS), the producer client versus the named baseline, a naive loop of one
 * awaited PutRecord per event, on the same events in the same run. Each variant writes to its own
 * fresh stream, and the stream is read back to check every event arrived.
 * Prints a table and writes reports/bench-producer.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { deaggregate } from '../client/aggregation';
import { createKinesisClient } from '../sdk/clients';
import { buildEventRecord, type BuiltRecord } from '../client/envelope-builder';
import { EventProducer } from '../client/event-producer';

const ROOT = resolve(__dirname, '..');
const SHARDS = 4;
const EVENTS = 1000;
const KEYS = 250;

interface Row {
  readonly variant: string;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly putCallsPer1000Events: number;
  readonly kinesisRecords: number;
  readonly verifiedEvents: number;
  readonly speedupVsNaive?: number;
}

async function createStream(kinesis: KinesisClient, label: string): Promise<string> {
  const name = `bench-producer-${label}-${randomUUID().slice(0, 6)}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: SHARDS }));
  for (;;) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return name;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** How many events the stream holds (KPL aggregates unpacked): the check that nothing was lost. */
async function countEvents(kinesis: KinesisClient, streamName: string): Promise<{ records: number; events: number }> {
  let records = 0;
  let events = 0;
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  for (const shard of Shards ?? []) {
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? []) {
        records++;
        events += deaggregate(r.PartitionKey!, r.Data!).length;
      }
      if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return { records, events };
}

async function naive(kinesis: KinesisClient, streamName: string, records: readonly BuiltRecord[]): Promise<{ calls: number; kinesisRecords: number }> {
  for (const r of records) await kinesis.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: r.partitionKey, Data: r.data }));
  return { calls: records.length, kinesisRecords: records.length };
}

async function withProducer(kinesis: KinesisClient, streamName: string, records: readonly BuiltRecord[], aggregate: boolean): Promise<{ calls: number; kinesisRecords: number }> {
  const producer = new EventProducer({ stream: { streamName }, client: kinesis, aggregate });
  for (const r of records) await producer.send(r.event);
  await producer.close();
  return { calls: producer.stats.putRecordsCalls, kinesisRecords: producer.stats.kinesisRecords };
}

async function measure(
  kinesis: KinesisClient,
  variant: string,
  records: readonly BuiltRecord[],
  run: (streamName: string) => Promise<{ calls: number; kinesisRecords: number }>,
): Promise<Row> {
  const streamName = await createStream(kinesis, variant.split(' ')[0]!.toLowerCase());
  try {
    const began = process.hrtime.bigint();
    const { calls, kinesisRecords } = await run(streamName);
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    const stored = await countEvents(kinesis, streamName);
    if (stored.events !== records.length) throw new Error(`${variant}: the stream holds ${stored.events} events, ${records.length} were sent`);
    return {
      variant,
      events: records.length,
      seconds: round(seconds, 2),
      eventsPerSecond: round(records.length / seconds, 0),
      putCallsPer1000Events: round((calls / records.length) * 1000, 1),
      kinesisRecords,
      verifiedEvents: stored.events,
    };
  } finally {
    await kinesis.send(new DeleteStreamCommand({ StreamName: streamName })).catch(() => undefined);
  }
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  if (!process.env.AWS_ENDPOINT_URL_KINESIS) throw new Error('AWS_ENDPOINT_URL_KINESIS is not set: run through `npm run bench`');
  const kinesis = createKinesisClient();
  // The same events for every variant: order status changes of KEYS orders, ~250 bytes each.
  const records = Array.from({ length: EVENTS }, (_, i) =>
    buildEventRecord({ type: 'order.status-changed', source: '/bench/producer', subject: `order-${i % KEYS}`, data: { status: 'paid', step: Math.floor(i / KEYS), note: 'x'.repeat(60) } }),
  );
  try {
    const baseline = await measure(kinesis, 'naive PutRecord loop (baseline)', records, (s) => naive(kinesis, s, records));
    const rows: Row[] = [baseline];
    for (const [variant, aggregate] of [
      ['EventProducer', false],
      ['EventProducer + KPL aggregation', true],
    ] as const) {
      const row = await measure(kinesis, variant, records, (s) => withProducer(kinesis, s, records, aggregate));
      rows.push({ ...row, speedupVsNaive: round(row.eventsPerSecond / baseline.eventsPerSecond, 1) });
    }
    console.table(
      rows.map((r) => ({
        variant: r.variant,
        'events/s': r.eventsPerSecond,
        'Put* calls / 1,000 events': r.putCallsPer1000Events,
        'Kinesis records': r.kinesisRecords,
        'x naive': r.speedupVsNaive ?? 1,
        seconds: r.seconds,
      })),
    );
    const report = {
      benchmark: 'producer',
      emulator: 'kinesis-local (kinesis-mock), AWS_ENDPOINT_URL_KINESIS',
      workload: { events: EVENTS, keys: KEYS, shards: SHARDS, eventBytes: records[0]!.data.byteLength },
      baseline: 'naive loop: one awaited PutRecord per event',
      machine: { cpus: cpus().length, loadavg1m: round(loadavg()[0]!, 2) },
      rows,
      at: new Date().toISOString(),
    };
    mkdirSync(join(ROOT, 'reports'), { recursive: true });
    writeFileSync(join(ROOT, 'reports', 'bench-producer.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log('wrote reports/bench-producer.json');
  } finally {
    kinesis.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
