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
import { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type * as SqsModule from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, ScheduledEvent } from 'aws-lambda';
import type { Action, ActionClients, ActionFactory, WindowedAction } from '../actions/action';
import { PoisonReason } from '../shared/dlq-message';
import { readBatch } from './batch-read';
import { deadLetteredEarlier, deadLetterPoison } from './dead-letter';
import type { SqsClientSource } from './dead-letter-queue';
import { DynamoUsage } from './dynamo';
import { marshallingOptions, unmarshallingOptions } from './dynamo-options';
import { closerEmfLines, emfLines, stdoutMetricsWriter, type MetricsWriter } from './emf';
import type { EngineContext } from './engine-context';
import { runExternal } from './external-engine';
import { keyStateOf, type IdempotencyWrites } from './idempotency';
import { IdempotencyStatus } from '../shared/tables';
import { batchItemFailures, groupByPartitionKey, stopKeysAfterFailures } from './key-group';
import { prepareBatch } from './prepare';
import { recordPosition } from './records';
import { readProcessorSettings, requireStateTable, type ProcessorSettings } from './settings';
import { ProcessorEnv } from '../shared/environment';
import { commitTransactional, planTransactional } from './transactional-engine';
import type { WorkItem } from './work-item';
import { publishAlerts } from './windows/alerts-outbox';
import type * as Closer from './windows/closer';
import type { CloserReport } from './windows/closer';
import { ShardWatermarkWriter } from './windows/watermark';
import { windowSpec } from './windows/window-math';
import { runWindowed } from './windows/windowed-engine';
import { describeError, SettingsError } from './errors';

export interface ProcessorDependencies {
  /** `kinesis`: windowed pipelines only (the scheduled closer lists the stream's shards). */
  readonly clients: ActionClients & { readonly sqs: SqsClientSource; readonly kinesis?: KinesisClient };
  readonly logger: Logger;
  readonly metricsWriter: MetricsWriter;
  /** Default: read from the environment at the first invocation. */
  readonly settings?: ProcessorSettings;
  /** Epoch ms; tests move it to expire leases. Default Date.now. */
  readonly clock: () => number;
}

export type LambdaContext = Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>;
export type KinesisBatchHandler = (event: KinesisStreamEvent, context: LambdaContext) => Promise<KinesisStreamBatchResponse>;

/**
 * The Lambda handler: a Kinesis batch from the event source mapping, or (windowed pipelines) the
 * EventBridge schedule that runs the closer.
 */
export interface ProcessorHandler extends KinesisBatchHandler {
  (event: ScheduledEvent, context: LambdaContext): Promise<CloserReport>;
}

/** EventBridge's scheduled event (what a schedule sends when its target has no input of its own). */
export function isScheduledEvent(event: unknown): event is ScheduledEvent {
  return typeof event === 'object' && event !== null && (event as ScheduledEvent).source === 'aws.events' && (event as ScheduledEvent)['detail-type'] === 'Scheduled Event';
}

/**
 * The AWS clients, from the standard configuration chain (region, credentials, endpoints from the
 * environment). The SQS client (the DLQ) is made when the first poison record is sent: most containers
 * never send one, and loading it would lengthen every cold start.
 */
export function defaultClients(): ProcessorDependencies['clients'] {
  let sqs: SQSClient | undefined;
  return {
    dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: marshallingOptions(), unmarshallOptions: unmarshallingOptions() }),
    sqs: async () => {
      // Lazy load (esbuild bundles it as a module initialised when first required).
      sqs ??= new (require('@aws-sdk/client-sqs') as typeof SqsModule).SQSClient({});
      return sqs;
    },
  };
}

export function createProcessor(factory: ActionFactory, overrides: Partial<ProcessorDependencies> = {}): ProcessorHandler {
  const deps: ProcessorDependencies = {
    clients: overrides.clients ?? defaultClients(),
    logger: overrides.logger ?? new Logger(),
    metricsWriter: overrides.metricsWriter ?? stdoutMetricsWriter,
    clock: overrides.clock ?? Date.now,
    ...(overrides.settings ? { settings: overrides.settings } : {}),
  };
  let runtime: { settings: ProcessorSettings; action: Action } | undefined;
  const watermarks = new ShardWatermarkWriter();
  const handler = async (event: KinesisStreamEvent | ScheduledEvent, context: LambdaContext): Promise<KinesisStreamBatchResponse | CloserReport> => {
    if (!runtime) {
      const settings = deps.settings ?? readProcessorSettings();
      runtime = { settings, action: declaredKind(factory(settings, deps.clients), settings) };
    }
    if (isScheduledEvent(event)) return closeWindows(runtime.action, runtime.settings, deps, context);
    return processBatch(event, context, runtime.settings, runtime.action, deps, watermarks);
  };
  return handler as ProcessorHandler;
}

/**
 * The stack provisions a pipeline for the kind its configuration declares (an action from the user's own
 * code: `action: { entry, kind }`); an action of another kind would run without the guarantees its kind
 * needs, so it does not run at all.
 */
function declaredKind(action: Action, settings: ProcessorSettings): Action {
  if (settings.actionKind !== undefined && settings.actionKind !== action.kind) {
    throw new SettingsError(`The pipeline declares ${settings.actionKind === 'external' ? 'an' : 'a'} ${settings.actionKind} action (${ProcessorEnv.ActionKind}) but its entry's action is ${action.kind}: make the configuration's action.kind and the action's kind agree`);
  }
  return action;
}

/** Completed keys are duplicates; a key claimed by another record's live lease fails (retryable). */
function applyKeyStates(items: readonly WorkItem[], engine: EngineContext, settings: ProcessorSettings): void {
  const nowMs = engine.now();
  for (const item of items) {
    if (!item.open || item.storageKey === undefined) continue;
    const state = keyStateOf(engine.snapshot.get(settings.idempotencyTableName, item.storageKey), nowMs, recordPosition(item.record));
    const stored = engine.snapshot.get(settings.idempotencyTableName, item.storageKey);
    // On the DLQ already (a poison record of an external action redelivered), or committed but due there
    // too (a too-late event): through the dead-letter path again, which sends it once by position.
    const dueOnDlq = state === 'dead-lettered' || (state === 'completed' && typeof stored?.deadLetterReason === 'string');
    if (dueOnDlq) item.markPoison({ reason: stored!.deadLetterReason as PoisonReason, error: String(stored!.deadLetterError ?? '') });
    else if (state === 'completed') item.markDuplicate();
    else if (state === 'claimed') item.fail('idempotency key claimed by another record (lease not expired); will be retried');
  }
}

/**
 * A key DEAD_LETTERED by another record since (a producer's repeat, a replay) says nothing of this
 * record; its own dead-letter marker does. A record on the DLQ from an earlier delivery is poison again
 * and its action does not run again (it may have had an effect before it failed). Such keys are rare,
 * so markers are read only for them; markers that cannot be read fail the records (retried), as
 * nothing runs blind.
 */
async function keepDeadLetteredRecords(items: readonly WorkItem[], engine: EngineContext, settings: ProcessorSettings): Promise<void> {
  const nowMs = engine.now();
  const candidates = items.filter((item) => {
    if (!item.open || item.storageKey === undefined) return false;
    const stored = engine.snapshot.get(settings.idempotencyTableName, item.storageKey);
    return stored?.status === IdempotencyStatus.DeadLettered && keyStateOf(stored, nowMs, recordPosition(item.record)) === 'absent';
  });
  if (candidates.length === 0) return;
  try {
    const marked = await deadLetteredEarlier(candidates, { ddb: engine.ddb, usage: engine.usage, table: settings.idempotencyTableName });
    // The marker holds the reason the record was sent to the DLQ with (./idempotency.ts deadLetterMarker).
    for (const [item, reason] of marked) item.markPoison({ reason: reason as PoisonReason, error: 'on the DLQ from this stream position already (its key was dead-lettered by another record since); not run again' });
  } catch (error) {
    for (const item of candidates) item.fail(`dead-letter markers unreadable: ${describeError(error)}; will be retried`);
  }
}

async function processBatch(
  event: KinesisStreamEvent,
  context: LambdaContext,
  settings: ProcessorSettings,
  action: Action,
  deps: ProcessorDependencies,
  watermarks: ShardWatermarkWriter,
): Promise<KinesisStreamBatchResponse> {
  const startedAt = deps.clock();
  const usage = new DynamoUsage();
  const items = prepareBatch(event.Records ?? [], action, { nowMs: startedAt, clockSkewAllowanceSeconds: settings.clockSkewAllowanceSeconds });
  const groups = groupByPartitionKey(items);
  const idempotency: IdempotencyWrites = { table: settings.idempotencyTableName, ttlSeconds: settings.idempotencyTtlSeconds, leaseSeconds: settings.leaseSeconds };
  const ddb = deps.clients.dynamodb;

  const deadLetter = { sqs: deps.clients.sqs, queueUrl: settings.deadLetterQueueUrl, pipeline: settings.pipelineName, ddb, usage, idempotency, logger: deps.logger, now: deps.clock };

  let alertsPublished = 0;
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
    await keepDeadLetteredRecords(items, engine, settings);
    stopKeysAfterFailures(groups);
    if (action.kind === 'transactional') await commitTransactional(action, planTransactional(action, groups, engine), engine);
    else if (action.kind === 'external') await runExternal(action, groups, { ...engine, logger: deps.logger });
    else alertsPublished = await runWindowedBatch(action, items, engine, settings, deps, watermarks);
  }
  // Poison the action found (rejected, failed on the data, refused by the store).
  await deadLetterPoison(items, deadLetter);
  stopKeysAfterFailures(groups);
  for (const item of items) if (item.outcome === undefined) item.fail('not attempted');

  const failures = batchItemFailures(groups);
  report(items, failures.length, usage, startedAt, settings, deps, context, action.kind === 'windowed' ? alertsPublished : undefined);
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

/** Resolves to the number of alerts published. */
async function runWindowedBatch(action: WindowedAction, items: readonly WorkItem[], engine: EngineContext, settings: ProcessorSettings, deps: ProcessorDependencies, watermarks: ShardWatermarkWriter): Promise<number> {
  const stateTable = requireStateTable(settings, 'windowed');
  const outbox = { ddb: engine.ddb, usage: engine.usage, stateTable, logger: deps.logger, now: deps.clock };
  const deliver = action.deliver?.bind(action);
  const { maxEventTimeByShard, alertsPublished } = await runWindowed(action, items, {
    ...engine,
    pipeline: settings.pipelineName,
    spec: windowSpec(action.windows),
    publishAlerts: async (alerts) => (deliver ? publishAlerts(alerts, deliver, outbox) : 0),
  });
  await watermarks.record(
    items.map((item) => item.record.shardId),
    maxEventTimeByShard,
    { ddb: engine.ddb, usage: engine.usage, stateTable, now: deps.clock },
  );
  return alertsPublished;
}

/** The scheduled run of a windowed pipeline: publish the watermark, close what is due, retry pending alerts. */
async function closeWindows(action: Action, settings: ProcessorSettings, deps: ProcessorDependencies, context: LambdaContext): Promise<CloserReport> {
  if (action.kind !== 'windowed') throw new SettingsError(`a schedule invoked the ${settings.pipelineName} processor, but its action is not windowed`);
  const kinesis = deps.clients.kinesis;
  if (!kinesis) throw new SettingsError('a windowed processor needs a Kinesis client (see lambdas/handlers/returns.ts)');
  if (!settings.streamName) throw new SettingsError(`a windowed processor needs ${ProcessorEnv.StreamName}`);
  const usage = new DynamoUsage();
  // Loaded at the first scheduled run: only windowed pipelines have one, and the closer brings the
  // Kinesis client (it lists the stream's shards) that no other pipeline's cold start should pay for.
  // Lazy load (esbuild bundles it as a module initialised when first required).
  const { runCloser } = require('./windows/closer') as typeof Closer;
  const report = await runCloser(action, {
    ddb: deps.clients.dynamodb,
    kinesis,
    usage,
    stateTable: requireStateTable(settings, 'windowed'),
    streamName: settings.streamName,
    spec: windowSpec(action.windows),
    logger: deps.logger,
    now: deps.clock,
    outOfTime: () => context.getRemainingTimeInMillis() < settings.timeMarginMs,
    concurrency: settings.keyConcurrency,
    deliver: action.deliver?.bind(action),
  });
  for (const line of closerEmfLines(settings.pipelineName, report)) deps.metricsWriter(line);
  deps.logger.info('windows closed', { pipeline: settings.pipelineName, requestId: context.awsRequestId, ...report, watermark: Number.isFinite(report.watermark) ? new Date(report.watermark).toISOString() : null, dynamodb: { requests: usage.requests } });
  return report;
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
  context: Pick<LambdaContext, 'awsRequestId'>,
  alertsPublished: number | undefined,
): void {
  const count = (outcome: string) => items.filter((item) => item.outcome === outcome).length;
  const ingestToActionMs = items.filter((item) => item.outcome === 'processed' && item.doneAtMs !== undefined).map((item) => Math.max(0, item.doneAtMs! - item.record.arrivalMs));
  const metrics = {
    ...eventTimes(items, startedAt),
    ingestToActionMs,
    processed: count('processed'),
    duplicate: count('duplicate'),
    // Too-late events are on the DLQ too, but they are counted (as too late), not refused: their own metric.
    poison: items.filter((item) => item.outcome === 'poison' && item.deadLetteredAs?.reason !== PoisonReason.TooLate).length,
    ...(alertsPublished === undefined ? {} : { windowed: { tooLate: items.filter((item) => item.deadLetteredAs?.reason === PoisonReason.TooLate).length, alertsPublished } }),
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
    ...(metrics.windowed ?? {}),
    failed: metrics.failed,
    timeAhead: metrics.timeAheadMs.length,
    batchItemFailures: reportedFailures,
    durationMs: deps.clock() - startedAt,
    dynamodb: { requests: usage.requests, readCapacityUnits: usage.readCapacityUnits, writeCapacityUnits: usage.writeCapacityUnits },
    ...(problems.length > 0 ? { problems } : {}),
  });
}
