/**
 * `npm run bench` (via bench/run.ts): the processor benchmark again with an AWS-like network between
 * the handlers and DynamoDB: every DynamoDB request goes through a delaying HTTP proxy on loopback
 * (bench/round-trip-proxy.ts) that adds a round trip (BENCH_ROUND_TRIP_MS, default 5 ms: a request
 * from Lambda to DynamoDB in the same region) and keeps HTTP keep-alive working on both sides.
 *
 * On loopback DynamoDB Local's own per-item work dominates and caps any ratio (see the floor in
 * bench/processor.bench.ts); on AWS each request also pays the round trip, which is what a design
 * that sends 100x fewer requests saves. Goal (issue 14): ours at least 10x Powertools on fresh batches.
 * Prints a table and writes reports/bench-round-trip.json.
 */
import { atLeast, printGoals, printMachine, printTable, writeReport, type Goal } from './bench-report';
import { BATCH_SIZE, compareActions } from './processor-harness';
import { startRoundTripProxy } from './round-trip-proxy';

const ROUND_TRIP_MS = Number(process.env.BENCH_ROUND_TRIP_MS ?? 5);
const WARMUP_BATCHES = 3;
const MEASURED_BATCHES = Number(process.env.BENCH_MEASURED_BATCHES ?? 11);
const GOAL = 10;

async function main(): Promise<void> {
  const target = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!target) throw new Error('AWS_ENDPOINT_URL_DYNAMODB is not set: run through `npm run bench` (bench/run.ts starts the emulators)');
  if (!Number.isFinite(ROUND_TRIP_MS) || ROUND_TRIP_MS < 0) throw new Error(`BENCH_ROUND_TRIP_MS must be a number of ms >= 0, got ${process.env.BENCH_ROUND_TRIP_MS}`);
  const proxy = await startRoundTripProxy({ target, roundTripMs: ROUND_TRIP_MS });
  // Every client made from here on (both handlers', the floor's) reaches DynamoDB through the proxy.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = proxy.endpoint;
  let results;
  try {
    results = await compareActions({ warmup: WARMUP_BATCHES, measured: MEASURED_BATCHES });
  } finally {
    await proxy.close();
  }
  const connections = { requests: proxy.requests, clientConnections: proxy.clientConnections, upstreamConnections: proxy.upstreamConnections };

  const rows: string[][] = [['action', 'batch', 'handler', 'DDB req/record', 'median ms', 'Powertools/ours time (paired median)']];
  for (const [action, byHandler] of Object.entries(results)) {
    for (const kind of ['fresh', 'duplicate'] as const) {
      for (const name of ['ours', 'powertools'] as const) {
        const f = byHandler[name][kind];
        rows.push([action, kind, name, f.requestsPerRecord.toFixed(3), f.medianMs.toFixed(1), name === 'ours' ? `${byHandler.ratio[kind].toFixed(1)}x` : '']);
      }
    }
  }
  const floor = results.noop.floor!;
  rows.push(['noop', 'fresh', 'floor: one bare 100-item conditional TransactWriteItems', (floor.requests / BATCH_SIZE).toFixed(3), floor.medianMs.toFixed(1), `ours ${floor.oursOverFloor.toFixed(2)}x the floor`]);
  printMachine();
  console.log(`Processor vs Powertools with ${ROUND_TRIP_MS} ms added to every DynamoDB request (delaying HTTP proxy, keep-alive), ${BATCH_SIZE}-record batches, median of ${MEASURED_BATCHES}, DynamoDB Local`);
  printTable(rows);
  console.log(`Proxy: ${connections.requests} requests over ${connections.clientConnections} client connections and ${connections.upstreamConnections} upstream connections (keep-alive: connections are reused)`);

  const goals: Goal[] = [
    atLeast(`noop fresh: Powertools / ours (time, ${ROUND_TRIP_MS} ms round trip)`, results.noop.ratio.fresh, GOAL, 'x', 1),
    atLeast(`orders fresh: Powertools / ours (time, ${ROUND_TRIP_MS} ms round trip)`, results.orders.ratio.fresh, GOAL, 'x', 1),
  ];
  printGoals(goals);
  writeReport('round-trip', { roundTripMs: ROUND_TRIP_MS, batchSize: BATCH_SIZE, measuredBatches: MEASURED_BATCHES, proxy: connections, results }, goals);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
