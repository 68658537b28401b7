/**
 * `npm run bench` (via bench/run.ts): PutRecords and GetRecords throughput of kinesis-local (the
 * kinesis-mock build the local target uses) against kinesalite (the baseline), both started fresh in
 * this run by the same launcher, driven by the same SDK client code. Documents the emulator choice.
 * Prints a table and writes reports/bench-kinesis-emulators.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, ListShardsCommand, ListStreamsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../sdk/clients';
import { freePort, LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/emulators';
import { waitUntilHealthy } from '../local/emulators/health';
import { startManagedProcess, type ManagedProcess } from '../local/emulators/managed-process';
import { kinesisLaunch } from '../local/emulators/services';

const ROOT = resolve(__dirname, '..');
const SHARDS = 4;
const RECORDS_PER_CALL = 500;
const RECORD_BYTES = 200;
const WARMUP_CALLS = 1;
const MEASURED_CALLS = 10;
const CONCURRENT_CALLS = 4;

interface Emulator {
  readonly name: string;
  readonly endpoint: string;
  readonly startupMs: number;
  readonly proc: ManagedProcess;
}

function client(endpoint: string): KinesisClient {
  return createKinesisClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

async function probe(endpoint: string): Promise<void> {
  const kinesis = createKinesisClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1, http: { requestTimeout: 1000, throwOnRequestTimeout: true } });
  try {
    await kinesis.send(new ListStreamsCommand({}));
  } finally {
    kinesis.destroy();
  }
}

async function startKinesisLocal(logDir: string): Promise<Emulator> {
  const launch = await kinesisLaunch();
  const began = Date.now();
  const proc = startManagedProcess({ name: 'kinesis-local', command: launch.command, args: launch.args, cwd: launch.cwd, env: { ...process.env, ...launch.env }, logFile: join(logDir, 'kinesis-local.log') });
  const endpoint = `http://127.0.0.1:${launch.port}`;
  await waitUntilHealthy(proc, () => probe(endpoint), { timeoutMs: 120_000 });
  return { name: 'kinesis-local', endpoint, startupMs: Date.now() - began, proc };
}

async function startKinesalite(logDir: string): Promise<Emulator> {
  const port = await freePort();
  const began = Date.now();
  const cli = join(dirname(require.resolve('kinesalite/package.json')), 'cli.js');
  const proc = startManagedProcess({
    name: 'kinesalite',
    command: process.execPath,
    args: [cli, '--port', String(port), '--createStreamMs', '0', '--deleteStreamMs', '0', '--shardLimit', '1000'],
    cwd: ROOT,
    env: process.env,
    logFile: join(logDir, 'kinesalite.log'),
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(proc, () => probe(endpoint), { timeoutMs: 120_000 });
  return { name: 'kinesalite', endpoint, startupMs: Date.now() - began, proc };
}

function batch(call: number): { PartitionKey: string; Data: Uint8Array }[] {
  const payload = 'x'.repeat(RECORD_BYTES - 40);
  return Array.from({ length: RECORDS_PER_CALL }, (_, i) => ({
    PartitionKey: `key-${call}-${i}`,
    Data: Buffer.from(JSON.stringify({ call, i, payload })),
  }));
}

async function createStream(kinesis: KinesisClient, name: string): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: SHARDS }));
  while ((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') {
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function putCalls(kinesis: KinesisClient, stream: string, calls: number, concurrency: number): Promise<{ records: number; ms: number; failed: number }> {
  let next = 0;
  let failed = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        const call = next++;
        const out = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: batch(call) }));
        failed += out.FailedRecordCount ?? 0;
      }
    }),
  );
  return { records: calls * RECORDS_PER_CALL, ms: performance.now() - began, failed };
}

/** Reads every shard from TRIM_HORIZON until empty; returns records read and time. */
async function drain(kinesis: KinesisClient, stream: string): Promise<{ records: number; ms: number }> {
  const began = performance.now();
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  let records = 0;
  for (const shard of shards) {
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (iterator) {
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      records += out.Records?.length ?? 0;
      if ((out.Records?.length ?? 0) === 0) break;
      iterator = out.NextShardIterator;
    }
  }
  return { records, ms: performance.now() - began };
}

interface Row {
  emulator: string;
  startupMs: number;
  putSequentialRecordsPerSecond: number;
  putConcurrentRecordsPerSecond: number;
  getRecordsPerSecond: number;
  failedRecords: number;
}

async function measure(emulator: Emulator): Promise<Row> {
  const kinesis = client(emulator.endpoint);
  try {
    const stream = `bench-${emulator.name}`;
    await createStream(kinesis, stream);
    await putCalls(kinesis, stream, WARMUP_CALLS, 1);
    const sequential = await putCalls(kinesis, stream, MEASURED_CALLS, 1);
    const concurrent = await putCalls(kinesis, stream, MEASURED_CALLS, CONCURRENT_CALLS);
    const read = await drain(kinesis, stream);
    const expected = (WARMUP_CALLS + 2 * MEASURED_CALLS) * RECORDS_PER_CALL;
    if (read.records !== expected) throw new Error(`${emulator.name}: read back ${read.records} of ${expected} records`);
    return {
      emulator: emulator.name,
      startupMs: emulator.startupMs,
      putSequentialRecordsPerSecond: Math.round((sequential.records / sequential.ms) * 1000),
      putConcurrentRecordsPerSecond: Math.round((concurrent.records / concurrent.ms) * 1000),
      getRecordsPerSecond: Math.round((read.records / read.ms) * 1000),
      failedRecords: sequential.failed + concurrent.failed,
    };
  } finally {
    kinesis.destroy();
  }
}

async function main(): Promise<void> {
  const logDir = mkdtempSync(join(tmpdir(), 'bench-kinesis-'));
  const started: Emulator[] = [];
  try {
    // One at a time, so neither start-up nor throughput competes with the other emulator.
    const rows: Row[] = [];
    for (const start of [startKinesisLocal, startKinesalite]) {
      const emulator = await start(logDir);
      started.push(emulator);
      rows.push(await measure(emulator));
      await emulator.proc.stop();
    }
    const [chosen, baseline] = rows as [Row, Row];
    const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
    const ratios = {
      putSequential: ratio(chosen.putSequentialRecordsPerSecond, baseline.putSequentialRecordsPerSecond),
      putConcurrent: ratio(chosen.putConcurrentRecordsPerSecond, baseline.putConcurrentRecordsPerSecond),
      getRecords: ratio(chosen.getRecordsPerSecond, baseline.getRecordsPerSecond),
      startup: ratio(chosen.startupMs, baseline.startupMs),
    };
    console.log(`\nKinesis emulators: ${SHARDS} shards, PutRecords of ${RECORDS_PER_CALL} × ~${RECORD_BYTES} B, ${MEASURED_CALLS} calls per mode (load ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores)`);
    console.table(
      rows.map((r) => ({
        emulator: r.emulator,
        'start-up ms': r.startupMs,
        'PutRecords rec/s (1 in flight)': r.putSequentialRecordsPerSecond,
        [`PutRecords rec/s (${CONCURRENT_CALLS} in flight)`]: r.putConcurrentRecordsPerSecond,
        'GetRecords rec/s': r.getRecordsPerSecond,
      })),
    );
    console.log(`kinesis-local / kinesalite: PutRecords ${ratios.putSequential}× (1 in flight), ${ratios.putConcurrent}× (${CONCURRENT_CALLS} in flight), GetRecords ${ratios.getRecords}×, start-up time ${ratios.startup}×`);
    const report = {
      benchmark: 'kinesis-emulators',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, loadAverage1m: loadavg()[0], node: process.version },
      workload: { shards: SHARDS, recordsPerCall: RECORDS_PER_CALL, recordBytes: RECORD_BYTES, measuredCallsPerMode: MEASURED_CALLS, concurrentCalls: CONCURRENT_CALLS },
      baseline: 'kinesalite',
      rows,
      ratiosChosenOverBaseline: ratios,
    };
    mkdirSync(join(ROOT, 'reports'), { recursive: true });
    writeFileSync(join(ROOT, 'reports', 'bench-kinesis-emulators.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log('wrote reports/bench-kinesis-emulators.json');
  } finally {
    await Promise.all(started.map((e) => e.proc.stop()));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
