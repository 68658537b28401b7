/**
 * The batch processor: turns one Lambda Kinesis event into action runs with the product's promises
 * (no duplicate effect, per-key order, nothing lost, one bad record never takes others down, latency
 * measured) and returns the partial-batch response the event source mapping understands.
 *
 * `createProcessor(actionFactory)` is called once per container at import time and only creates the
 * AWS clients; settings are read and the action built at the first invocation.
 *
 * One batch, in order: decode and check every record (./prepare.ts), read the idempotency keys and
 * state in one BatchGetItem (./batch-read.ts), dead-letter the poison found so far, run the action's
 * engine, dead-letter the poison it found (./dead-letter.ts: each record once), report what failed from
 * each key's first failure on, emit metrics.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { Action, ActionClients, ActionFactory } from '../actions/action';
import { PoisonReason } from '../shared/dlq-message';
import { readBatch } from './batch-read';
import { deadLetterPoison } from './dead-letter';
import { DynamoUsage } from './dynamo';
import { marshallingOptions, unmarshallingOptions } from './dynamo-options';
import { emfLines, stdoutMetricsWriter, type MetricsWriter } from './emf';
import type { EngineContext } from './engine-context';
import { runExternal } from './external-engine';
import { keyStateOf, type IdempotencyWrites } from './idempotency';
import { batchItemFailures, groupByPartitionKey, stopKeysAfterFailures } from './key-group';
import { prepareBatch } from './prepare';
import { recordPosition } from './records';
import { readProcessorSettings, type ProcessorSettings } from './settings';
import { commitTransactional, planTransactional } from './transactional-engine';
import type { WorkItem } from './work-item';

export interface ProcessorDependencies {
  readonly clients: ActionClients & { readonly sqs: SQSClient };
  readonly logger: Logger;
  readonly metricsWriter: MetricsWriter;
  /** Default: read from the environment at the first invocation. */
  readonly settings?: ProcessorSettings;
  /** Epoch ms; tests move it to expire leases. Default Date.now. */
  readonly clock: () => number;
}

export type KinesisBatchHandler = (event: KinesisStreamEvent, context: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>) => Promise<KinesisStreamBatchResponse>;

/** The AWS clients, from the standard configuration chain (region, credentials, endpoints from the environment). */
export function defaultClients(): ProcessorDependencies['clients'] {
  return {
    dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: marshallingOptions(), unmarshallOptions: unmarshallingOptions() }),
    sqs: new SQSClient({}),
  };
}

export function createProcessor(factory: ActionFactory, overrides: Partial<ProcessorDependencies> = {}): KinesisBatchHandler {
  const deps: ProcessorDependencies = {
    clients: overrides.clients ?? defaultClients(),
    logger: overrides.logger ?? new Logger(),
    metricsWriter: overrides.metricsWriter ?? stdoutMetricsWriter,
    clock: overrides.clock ?? Date.now,
    ...(overrides.settings ? { settings: overrides.settings } : {}),
  };
  let runtime: { settings: ProcessorSettings; action: Action } | undefined;
  return async (event, context) => {
    if (!runtime) {
      const settings = deps.settings ?? readProcessorSettings();
      runtime = { settings, action: factory(settings, deps.clients) };
    }
    return processBatch(event, context, runtime.settings, runtime.action, deps);
  };
}

/** Completed keys are duplicates; a key claimed by another record's live lease fails (retryable). */
function applyKeyStates(items: readonly WorkItem[], engine: EngineContext, settings: ProcessorSettings): void {
  const nowMs = engine.now();
  for (const item of items) {
    if (!item.open || item.storageKey === undefined) continue;
    const state = keyStateOf(engine.snapshot.get(settings.idempotencyTableName, item.storageKey), nowMs, recordPosition(item.record));
    if (state === 'completed') item.markDuplicate();
    else if (state === 'claimed') item.fail('idempotency key claimed by another record (lease not expired); will be retried');
  }
}

async function processBatch(
  event: KinesisStreamEvent,
  context: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>,
  settings: ProcessorSettings,
  action: Action,
  deps: ProcessorDependencies,
): Promise<KinesisStreamBatchResponse> {
  const startedAt = deps.clock();
  const usage = new DynamoUsage();
  const items = prepareBatch(event.Records ?? [], action, { nowMs: startedAt, clockSkewAllowanceSeconds: settings.clockSkewAllowanceSeconds });
  const groups = groupByPartitionKey(items);
  const idempotency: IdempotencyWrites = { table: settings.idempotencyTableName, ttlSeconds: settings.idempotencyTtlSeconds, leaseSeconds: settings.leaseSeconds };
  const ddb = deps.clients.dynamodb;

  const deadLetter = { sqs: deps.clients.sqs, queueUrl: settings.deadLetterQueueUrl, pipeline: settings.pipelineName, ddb, usage, idempotency, logger: deps.logger, now: deps.clock };

  const snapshot = await readBatch(items, action, { ddb, usage, idempotencyTable: settings.idempotencyTableName, stateTable: settings.stateTableName });
  // Poison known before the action runs goes first, so a DLQ that cannot be written stops its key
  // before the key's later records are applied.
  await deadLetterPoison(items, deadLetter);
  stopKeysAfterFailures(groups);
  if (snapshot) {
    const engine: EngineContext = {
      ddb,
      usage,
      idempotency,
      stateTable: settings.stateTableName,
      snapshot,
      concurrency: settings.keyConcurrency,
      now: deps.clock,
      outOfTime: () => context.getRemainingTimeInMillis() < settings.timeMarginMs,
    };
    applyKeyStates(items, engine, settings);
    stopKeysAfterFailures(groups);
    if (action.kind === 'transactional') await commitTransactional(action, planTransactional(action, groups, engine), engine);
    else await runExternal(action, groups, { ...engine, logger: deps.logger });
  }
  // Poison the action found (rejected, failed on the data, refused by the store).
  await deadLetterPoison(items, deadLetter);
  stopKeysAfterFailures(groups);
  for (const item of items) if (item.outcome === undefined) item.fail('not attempted');

  const failures = batchItemFailures(groups);
  report(items, failures.length, usage, startedAt, settings, deps, context);
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

/** Event-to-action latencies, and how far ahead of the processor's clock the skewed events were dated. */
function eventTimes(items: readonly WorkItem[], startedAt: number): { eventToActionMs: number[]; timeAheadMs: number[] } {
  const eventToActionMs: number[] = [];
  const timeAheadMs: number[] = [];
  for (const item of items) {
    const time = item.event?.time;
    if (time === undefined) continue;
    const eventMs = Date.parse(time);
    if (item.outcome === 'processed' && item.doneAtMs !== undefined) {
      const latency = item.doneAtMs - eventMs;
      // A producer clock ahead of ours makes the latency unknowable: measured as skew, not as 0 ms.
      if (latency >= 0) eventToActionMs.push(latency);
      else timeAheadMs.push(-latency);
    } else if (item.deadLetteredAs?.reason === PoisonReason.TimeInFuture) {
      timeAheadMs.push(eventMs - startedAt);
    }
  }
  return { eventToActionMs, timeAheadMs };
}

function report(
  items: readonly WorkItem[],
  reportedFailures: number,
  usage: DynamoUsage,
  startedAt: number,
  settings: ProcessorSettings,
  deps: ProcessorDependencies,
  context: Pick<Context, 'awsRequestId'>,
): void {
  const count = (outcome: string) => items.filter((item) => item.outcome === outcome).length;
  const ingestToActionMs = items.filter((item) => item.outcome === 'processed' && item.doneAtMs !== undefined).map((item) => Math.max(0, item.doneAtMs! - item.record.arrivalMs));
  const metrics = {
    ...eventTimes(items, startedAt),
    ingestToActionMs,
    processed: count('processed'),
    duplicate: count('duplicate'),
    poison: count('poison'),
    failed: count('failed'),
    stale: count('stale'),
  };
  for (const line of emfLines(settings.pipelineName, metrics)) deps.metricsWriter(line);
  const problems = items
    .filter((item) => item.outcome === 'failed' || item.outcome === 'poison')
    .slice(0, 10)
    .map((item) => ({ sequenceNumber: item.record.sequenceNumber, subSequenceNumber: item.record.subSequenceNumber, outcome: item.outcome, error: item.error?.slice(0, 500) }));
  deps.logger.info('batch processed', {
    pipeline: settings.pipelineName,
    requestId: context.awsRequestId,
    records: items.length,
    processed: metrics.processed,
    duplicate: metrics.duplicate,
    stale: metrics.stale,
    poison: metrics.poison,
    failed: metrics.failed,
    timeAhead: metrics.timeAheadMs.length,
    batchItemFailures: reportedFailures,
    durationMs: deps.clock() - startedAt,
    dynamodb: { requests: usage.requests, readCapacityUnits: usage.readCapacityUnits, writeCapacityUnits: usage.writeCapacityUnits },
    ...(problems.length > 0 ? { problems } : {}),
  });
}
