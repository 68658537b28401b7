/**
 * `npm run bench` (via bench/run.ts): our processor against the Powertools baseline
 * (bench/baseline/powertools-handler.ts), same DynamoDB Local, same input, one run.
 *
 * For the noop and orders actions, fresh and fully duplicate 100-record batches: DynamoDB requests
 * per record, write capacity per record (every call asks for ReturnConsumedCapacity), median batch time
 * and the ratio; the floor (one bare 100-item conditional TransactWriteItems, the one write any design
 * that records each new key must send) timed in the same iterations; bundle size and module init time
 * of both handlers. Goals: ours within 1.25x of the floor, module init at most Powertools'. Prints the
 * tables and writes reports/bench-processor.json.
 *
 * Needs the emulator endpoints in the environment (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS,
 * AWS_REGION, credentials); bench/run.ts starts the emulators and sets them.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ProcessorEnv } from '../lambdas/shared/environment';
import { readStackArtifact } from '../local/deploy';
import { atMost, printGoals, printMachine, printTable, writeReport, type Goal } from './bench-report';
import { measureModuleInit } from './module-init';
import { BATCH_SIZE, compareActions } from './processor-harness';

const ROOT = resolve(__dirname, '..');
const WARMUP_BATCHES = 5;
const MEASURED_BATCHES = Number(process.env.BENCH_MEASURED_BATCHES ?? 15);
const INIT_RUNS = Number(process.env.BENCH_INIT_RUNS ?? 15);
/** Issue 14: ours within 1.25x of the bare transaction floor. */
const FLOOR_GOAL = 1.25;

/** The processor bundles the synthesized stack ships (cdk.out, as `cdk deploy` uploads them): bytes of each function's index.js. */
function shippedBundles(): Record<string, number> {
  if (!existsSync(join(ROOT, 'cdk.out'))) return {};
  const { assemblyDir, template } = readStackArtifact(join(ROOT, 'cdk.out'));
  const sizes: Record<string, number> = {};
  for (const resource of Object.values(template.Resources)) {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    const name = resource.Properties?.FunctionName;
    if (resource.Type !== 'AWS::Lambda::Function' || typeof assetPath !== 'string' || typeof name !== 'string') continue;
    sizes[name] = statSync(join(assemblyDir, assetPath, 'index.js')).size;
  }
  return sizes;
}

async function main(): Promise<void> {
  if (!process.env.AWS_ENDPOINT_URL_DYNAMODB) throw new Error('AWS_ENDPOINT_URL_DYNAMODB is not set: run through `npm run bench` (bench/run.ts starts the emulators)');
  const results = await compareActions({ warmup: WARMUP_BATCHES, measured: MEASURED_BATCHES });

  const env = { [ProcessorEnv.PipelineName]: 'bench', [ProcessorEnv.IdempotencyTable]: 't', [ProcessorEnv.DeadLetterQueueUrl]: 'http://127.0.0.1:9/q' };
  const bundles = await measureModuleInit({ 'ours noop': 'lambdas/handlers/noop.ts', 'ours orders': 'lambdas/handlers/orders.ts', powertools: 'bench/baseline/powertools-handler.ts' }, 'powertools', env, INIT_RUNS);
  const shipped = shippedBundles();

  const rows: string[][] = [['action', 'batch', 'handler', 'DDB req/record', 'WCU/record', 'RCU/record', 'DDB Local units/record', 'failed/batch', 'median ms', 'Powertools/ours time (paired median)']];
  for (const [action, byHandler] of Object.entries(results)) {
    for (const kind of ['fresh', 'duplicate'] as const) {
      for (const name of ['ours', 'powertools'] as const) {
        const f = byHandler[name][kind];
        rows.push([action, kind, name, f.requestsPerRecord.toFixed(3), f.wcuPerRecord.toFixed(2), f.rcuPerRecord.toFixed(2), f.localReportedUnitsPerRecord.toFixed(2), String(f.failedPerBatch), f.medianMs.toFixed(1), name === 'ours' ? `${byHandler.ratio[kind].toFixed(1)}x` : '']);
      }
    }
  }
  const noopResult = results.noop;
  const floor = noopResult.floor!;
  rows.push(['noop', 'fresh', 'floor: one bare 100-item conditional TransactWriteItems', (floor.requests / BATCH_SIZE).toFixed(3), floor.wcuPerRecord.toFixed(2), '0.00', '', '', floor.medianMs.toFixed(1), `ceiling ${floor.ceiling.toFixed(1)}x`]);
  printMachine();
  console.log(`Processor vs Powertools (BatchProcessor + makeIdempotent, DynamoDB persistence), ${BATCH_SIZE}-record batches, median of ${MEASURED_BATCHES}, DynamoDB Local`);
  printTable(rows);
  console.log(
    `\nFloor: the bare transaction takes ${floor.medianMs.toFixed(1)} ms; ours takes ${floor.oursOverFloor.toFixed(2)}x that (paired median) on a fresh noop batch.` +
      ` No handler can be more than ${floor.ceiling.toFixed(1)}x faster than Powertools here (ours: ${noopResult.ratio.fresh.toFixed(1)}x); bench/round-trip.bench.ts judges the ratio under an AWS-like round trip.`,
  );
  console.log('\nBundles (esbuild, minified, AWS SDK included, as the stack builds them); init = median time to load the module in a fresh process');
  for (const [name, b] of Object.entries(bundles)) console.log(`  ${name.padEnd(12)} ${(b.bytes / 1024).toFixed(0).padStart(6)} KiB   init ${b.initMs.toFixed(1)} ms   ${(b.initRatio).toFixed(2)}x Powertools' (paired median)`);
  if (Object.keys(shipped).length > 0) {
    console.log('Shipped by the stack (cdk.out, index.js of each processor function)');
    for (const [functionName, bytes] of Object.entries(shipped)) console.log(`  ${functionName.padEnd(40)} ${(bytes / 1024).toFixed(0).padStart(6)} KiB`);
  }

  const goals: Goal[] = [
    atMost('noop fresh: ours / floor (time, paired median)', floor.oursOverFloor, FLOOR_GOAL, 'x'),
    atMost('noop fresh: DynamoDB requests per record', noopResult.ours.fresh.requestsPerRecord, 0.05, '', 3),
    atMost('noop duplicate: DynamoDB requests per record', noopResult.ours.duplicate.requestsPerRecord, 0.02, '', 3),
    atMost('noop fresh: WCU per record', noopResult.ours.fresh.wcuPerRecord, 2),
    atMost('module init: ours (noop) / Powertools (paired median)', bundles['ours noop']!.initRatio, 1, 'x'),
    atMost('module init: ours (orders) / Powertools (paired median)', bundles['ours orders']!.initRatio, 1, 'x'),
  ];
  printGoals(goals);
  writeReport('processor', { jvmProfile: 'steady-state', batchSize: BATCH_SIZE, measuredBatches: MEASURED_BATCHES, initRuns: INIT_RUNS, results, bundles, shippedBundles: shipped }, goals);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
