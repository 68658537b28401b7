/**
 * The batch processor: turns one Lambda Kinesis event into action runs with the product's promises
 * (no duplicate effect, per-key order, nothing lost, latency measured) and returns the partial-batch
 * response the event source mapping understands.
 *
 * `createProcessor(actionFactory)` is called once per container at import time and only creates the
 * AWS clients; settings are read and the action built at the first invocation.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { handlesType, type Action, type ActionClients, type ActionFactory } from '../actions/action';
import { PoisonReason } from '../shared/dlq-message';
import { batchGet, DynamoUsage, ItemSnapshot, type TableKey } from './dynamo';
import { sendToDeadLetterQueue, type PoisonRecord } from './dead-letter';
import { emfLines, stdoutMetricsWriter, type MetricsWriter } from './emf';
import { describeError } from './errors';
import { runExternal } from './external-engine';
import { keyStateOf, storageKey, type IdempotencyWrites } from './idempotency';
import { decodeBatch } from './records';
import { readProcessorSettings, type ProcessorSettings } from './settings';
import { commitTransactional, planTransactional, truncateAtFailure } from './transactional-engine';
import { batchItemFailures, groupByPartitionKey, stopAfter, WorkItem, type KeyGroup } from './work';

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
    dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
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

/** Marks records the action does not handle as poison, and repeats of an idempotency key as duplicates-to-be. */
function prepare(event: KinesisStreamEvent, action: Action): WorkItem[] {
  const firstByKey = new Map<string, WorkItem>();
  return decodeBatch(event.Records ?? []).map((record) => {
    if (!record.ok) {
      const item = new WorkItem(record, undefined);
      item.poison = { reason: record.reason, error: record.error };
      return item;
    }
    const item = new WorkItem(record, storageKey(record.idempotencyKey));
    if (!handlesType(action, record.event.type)) {
      item.poison = { reason: PoisonReason.UnknownType, error: `event type "${record.event.type}" is not handled by this pipeline's action` };
      return item;
    }
    const first = firstByKey.get(item.storageKey!);
    if (first) item.duplicateOf = first;
    else firstByKey.set(item.storageKey!, item);
    return item;
  });
}

function stateKeysOf(action: Action, items: readonly WorkItem[]): string[] {
  const keys = new Set<string>();
  for (const item of items) {
    const event = item.actionEvent();
    try {
      if (action.kind === 'transactional') {
        const key = action.stateKey(event);
        if (key !== undefined) keys.add(key);
      } else {
        for (const key of action.stateKeys(event)) keys.add(key);
      }
    } catch {
      // A bad event has no state to read; the action rejects it again when it runs.
    }
  }
  return [...keys];
}

/** One BatchGetItem round for the batch: idempotency keys and the state items the events touch. */
async function readKeys(items: readonly WorkItem[], action: Action, settings: ProcessorSettings, deps: ProcessorDependencies, usage: DynamoUsage): Promise<ItemSnapshot | undefined> {
  const keys: TableKey[] = items.map((item) => ({ table: settings.idempotencyTableName, pk: item.storageKey! }));
  if (settings.stateTableName) {
    for (const pk of stateKeysOf(action, items)) keys.push({ table: settings.stateTableName, pk });
  }
  if (keys.length === 0) return new ItemSnapshot(new Map());
  try {
    return await batchGet(deps.clients.dynamodb, keys, usage);
  } catch (error) {
    const message = `idempotency store unavailable: ${describeError(error)}`;
    for (const item of items) item.fail(message);
    return undefined;
  }
}

/** Dead-letters every poison record still waiting; one that cannot be written fails (and stops its key). */
async function deadLetterPending(groups: readonly KeyGroup[], settings: ProcessorSettings, deps: ProcessorDependencies): Promise<void> {
  const pending = groups.flatMap((g) => g.items.filter((item) => item.poison !== undefined && item.outcome === undefined));
  if (pending.length === 0) return;
  const poisons = pending.map((item): PoisonRecord => ({ record: item.record, reason: item.poison!.reason, error: item.poison!.error, ...(item.event ? { event: item.event } : {}) }));
  const { failed } = await sendToDeadLetterQueue(deps.clients.sqs, settings.deadLetterQueueUrl, settings.pipelineName, poisons);
  pending.forEach((item, i) => {
    const error = failed.get(poisons[i]!);
    const reason = item.poison!;
    item.poison = undefined;
    if (error === undefined) {
      item.outcome = 'poison';
      item.error = `${reason.reason}: ${reason.error}`;
    } else {
      item.fail(`poison record (${reason.reason}) could not be dead-lettered: ${error}`);
    }
  });
  for (const group of groups) {
    const failed = group.items.find((item) => item.outcome === 'failed');
    if (failed) stopAfter(group, failed);
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
  const items = prepare(event, action);
  const groups = groupByPartitionKey(items);
  const outOfTime = () => context.getRemainingTimeInMillis() < settings.timeMarginMs;

  // Idempotency: completed keys are duplicates, keys claimed by a live invocation fail (retryable).
  const fresh = items.filter((item) => item.open && item.duplicateOf === undefined);
  const snapshot = await readKeys(fresh, action, settings, deps, usage);
  if (snapshot) {
    const nowMs = deps.clock();
    for (const item of fresh) {
      const state = keyStateOf(snapshot.get(settings.idempotencyTableName, item.storageKey!), nowMs);
      if (state === 'completed') item.outcome = 'duplicate';
      else if (state === 'claimed') item.fail('idempotency key claimed by another invocation (lease not expired); will be retried');
    }
  }
  for (const item of items) if (item.duplicateOf && item.open) item.outcome = 'duplicate';
  for (const group of groups) {
    const failed = group.items.find((item) => item.outcome === 'failed');
    if (failed) stopAfter(group, failed);
  }
  await deadLetterPending(groups, settings, deps);

  if (snapshot) {
    const idempotency: IdempotencyWrites = { table: settings.idempotencyTableName, ttlSeconds: settings.idempotencyTtlSeconds, leaseSeconds: settings.leaseSeconds };
    const common = { ddb: deps.clients.dynamodb, usage, idempotency, stateTable: settings.stateTableName, snapshot, concurrency: settings.keyConcurrency, now: deps.clock, outOfTime };
    if (action.kind === 'transactional') {
      const plans = planTransactional(action, groups, common);
      await deadLetterPending(groups, settings, deps);
      truncateAtFailure(plans);
      await commitTransactional(plans, common);
    } else {
      await runExternal(action, groups, {
        ...common,
        logger: deps.logger,
        deadLetter: async (poison) => (await sendToDeadLetterQueue(deps.clients.sqs, settings.deadLetterQueueUrl, settings.pipelineName, [poison])).failed.get(poison),
      });
    }
  }

  // A repeat inside the batch shares its first occurrence's fate.
  for (const item of items) {
    if (item.duplicateOf && item.outcome === 'duplicate' && item.duplicateOf.outcome === 'failed') item.fail('repeat of a record that failed');
    if (item.outcome === undefined) item.fail('not attempted');
  }
  const failures = batchItemFailures(groups);
  report(items, failures.length, usage, startedAt, settings, deps, context);
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
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
  const eventToActionMs: number[] = [];
  const ingestToActionMs: number[] = [];
  for (const item of items) {
    if (item.outcome !== 'processed' || item.doneAtMs === undefined) continue;
    ingestToActionMs.push(Math.max(0, item.doneAtMs - item.record.arrivalMs));
    const time = item.event?.time;
    if (time !== undefined) eventToActionMs.push(Math.max(0, item.doneAtMs - Date.parse(time)));
  }
  const metrics = {
    eventToActionMs,
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
    .map((item) => ({ sequenceNumber: item.record.sequenceNumber, subSequenceNumber: item.record.subSequenceNumber, outcome: item.outcome, error: item.error }));
  deps.logger.info('batch processed', {
    pipeline: settings.pipelineName,
    requestId: context.awsRequestId,
    records: items.length,
    processed: metrics.processed,
    duplicate: metrics.duplicate,
    stale: metrics.stale,
    poison: metrics.poison,
    failed: metrics.failed,
    batchItemFailures: reportedFailures,
    durationMs: deps.clock() - startedAt,
    dynamodb: { requests: usage.requests, readCapacityUnits: usage.readCapacityUnits, writeCapacityUnits: usage.writeCapacityUnits },
    ...(problems.length > 0 ? { problems } : {}),
  });
}
