/**
 * Runs a windowed action over a batch: exactly-once event-time aggregates.
 *
 * 1. Observe: every open event gives its window key and values (the action's `observe`); it needs a
 *    `time`. Its windows are on time unless the pipeline's watermark (as the closer last published it)
 *    has passed their end plus the allowed lateness, or the closer closed them already.
 * 2. Plan, per window key: the key's events are folded into its windows' running aggregates in memory,
 *    so a batch costs one write per key and window, not per event. An event late for all its windows is
 *    too late: not counted anywhere, counted on those windows' results (`tooLate`) and dead-lettered
 *    with reason `too-late`. A window whose running aggregate reaches the action's alert threshold gets
 *    its alert in an outbox item, written in the same transaction.
 * 3. Commit: a key's chunk (≤100 transaction items: one COMPLETED idempotency put per event, one put per
 *    window conditioned on the version read, one update per result the too-late events count on, one
 *    outbox put per alert) is packed with other keys' chunks into TransactWriteItems. A transaction
 *    cancelled by a concurrent writer of the same window (another shard) is re-planned for its keys
 *    from a fresh read: no update is ever lost, none counted twice. A transaction the store refuses is
 *    split until the refused key is alone; that key's events are then committed one per transaction.
 * 4. After the commit: the alerts are published (then marked sent), and the shard's watermark advances.
 */
import type { ActionEvent, WindowedAction } from '../../actions/action';
import { PoisonReason } from '../../shared/dlq-message';
import { IdempotencyStatus, StateTable } from '../../shared/tables';
import { batchGet, MAX_TRANSACTION_ITEMS, transactWrite, type DynamoUsage, type Item, type ItemSnapshot, type TableKey, type TransactItem } from '../dynamo';
import type { EngineContext } from '../engine-context';
import { describeError, PoisonEventError } from '../errors';
import { classifyActionError, isStoreRejection, storeRejectionMessage } from '../failure-policy';
import { completeInTransaction } from '../idempotency';
import { forEachWithConcurrency } from '../key-group';
import { recordPosition } from '../records';
import { nextStateItem, versionGuard } from '../state-versioning';
import { keyProblem, storabilityProblem } from '../storable';
import type { WorkItem } from '../work-item';
import { addObservation, topValues, type Observation } from './aggregate';
import { closesAt, isFinal, windowEnd, windowStartsOf, type WindowSpec } from './window-math';
import {
  alertItemKey,
  baselineItemKey,
  baselineOf,
  openWindowsBucket,
  PENDING_ALERTS_BUCKET,
  PIPELINE_WATERMARK_KEY,
  resultItemKey,
  watermarkOf,
  windowItemKey,
  windowStateOf,
  type WindowAlert,
  type WindowState,
} from './window-items';

/** Rounds of re-planning after a transaction lost to a concurrent writer, before the key's events fail (retryable). */
const MAX_PLAN_ATTEMPTS = 5;
/** How many of the top field's values an alert carries when the action does not say. */
const ALERT_TOP_VALUES = 3;

export interface WindowedContext extends EngineContext {
  readonly pipeline: string;
  readonly spec: WindowSpec;
  /** Publishes what the batch's commits raised (after the commit; see ./alerts-outbox.ts); resolves to how many. */
  readonly publishAlerts: (alerts: readonly WindowAlert[]) => Promise<number>;
}

interface Entry {
  readonly item: WorkItem;
  readonly observation: Observation;
  readonly eventMs: number;
}

interface Step {
  readonly item: WorkItem;
  /** Windows it counts in. */
  readonly onTime: readonly number[];
  /** Windows it is too late for (their results count it). */
  readonly late: readonly number[];
}

/** One transaction's share of a key: its steps and the windows, results and alerts they write. */
interface Chunk {
  readonly key: string;
  readonly steps: Step[];
  /** Window start → state after this chunk, and the version it was read at (the write's condition). */
  readonly windows: Map<number, { readonly state: WindowState; readonly readVersion: number }>;
  /** Window start → too-late events this chunk counts on its result. */
  readonly late: Map<number, number>;
  readonly alerts: WindowAlert[];
}

/** Items of a chunk in a transaction. */
const chunkSize = (chunk: Chunk): number => chunk.steps.length + chunk.windows.size + chunk.late.size + chunk.alerts.length;

/** The keys to read with the batch for one event: its windows, its key's baseline, the pipeline watermark. */
export function windowedStateKeys(action: WindowedAction, event: ActionEvent, spec: WindowSpec): string[] {
  const observation = action.observe(event);
  const time = event.event.time;
  if (time === undefined) return [];
  return [...windowStartsOf(Date.parse(time), spec).map((start) => windowItemKey(start, observation.key)), baselineItemKey(observation.key), PIPELINE_WATERMARK_KEY];
}

/** Step 1: what each open event adds; a record that cannot be observed is poison or fails. */
function observe(action: WindowedAction, items: readonly WorkItem[], spec: WindowSpec): Entry[] {
  const entries: Entry[] = [];
  for (const item of items) {
    if (!item.open) continue;
    try {
      const event = item.actionEvent();
      if (event.event.time === undefined) throw new PoisonEventError('windowed events need a `time` (when it happened) to be counted in event time');
      const observation = action.observe(event);
      const eventMs = Date.parse(event.event.time);
      const problem = keyProblem(windowItemKey(windowStartsOf(eventMs, spec)[0]!, observation.key));
      if (problem) {
        item.markPoison({ reason: PoisonReason.StoreRejected, error: `window key cannot be stored: ${problem}` });
        continue;
      }
      entries.push({ item, observation, eventMs });
    } catch (error) {
      const verdict = classifyActionError(error);
      if (verdict.kind === 'poison') item.markPoison(verdict);
      else item.fail(`action failed: ${verdict.error}`);
    }
  }
  return entries;
}

function windowItem(state: WindowState, ctx: WindowedContext, readVersion: number): Item {
  const dueAt = closesAt(state.start, ctx.spec);
  return nextStateItem(
    windowItemKey(state.start, state.key),
    {
      windowKey: state.key,
      windowStart: state.start,
      windowEnd: windowEnd(state.start, ctx.spec),
      count: state.aggregate.count,
      sums: state.aggregate.sums,
      mins: state.aggregate.mins,
      maxs: state.aggregate.maxs,
      top: state.aggregate.top,
      [StateTable.dueIndex.partitionKey]: openWindowsBucket(state.key),
      [StateTable.dueIndex.sortKey]: dueAt,
      [StateTable.ttlAttribute]: Math.ceil((dueAt + ctx.spec.retentionMs) / 1000),
      ...(state.alert ? { alert: state.alert } : {}),
    },
    readVersion,
  );
}

function tooLateError(eventMs: number, late: readonly number[], watermark: number, spec: WindowSpec): string {
  const window = late[late.length - 1]!;
  return `event time ${new Date(eventMs).toISOString()} is too late for every window it belongs to: the latest, [${new Date(window).toISOString()}, ${new Date(
    windowEnd(window, spec),
  ).toISOString()}), was final (watermark ${Number.isFinite(watermark) ? new Date(watermark).toISOString() : 'none'}, allowed lateness ${spec.latenessMs / 1000} s); counted as too late on its result`;
}

/**
 * Step 2 for one key: folds its events over the windows as read, chunk by chunk. Pure over `read`.
 * An event whose window item could not be stored is poison and left out.
 */
function planKey(action: WindowedAction, key: string, entries: readonly Entry[], read: (pk: string) => Item | undefined, ctx: WindowedContext): Chunk[] {
  const watermark = watermarkOf(read(PIPELINE_WATERMARK_KEY));
  const baseline = baselineOf(read(baselineItemKey(key)));
  const states = new Map<number, WindowState>();
  const stateOf = (start: number): WindowState => states.get(start) ?? windowStateOf(read(windowItemKey(start, key)), start, key);
  const chunks: Chunk[] = [];
  let chunk: Chunk = { key, steps: [], windows: new Map(), late: new Map(), alerts: [] };
  for (const entry of entries) {
    const starts = windowStartsOf(entry.eventMs, ctx.spec);
    const onTime = starts.filter((start) => !isFinal(start, watermark, ctx.spec) && !stateOf(start).closed);
    const late = starts.filter((start) => !onTime.includes(start));
    const needed = 1 + onTime.filter((s) => !chunk.windows.has(s)).length * 2 + late.filter((s) => !chunk.late.has(s)).length;
    if (chunk.steps.length > 0 && chunkSize(chunk) + needed > MAX_TRANSACTION_ITEMS) {
      chunks.push(chunk);
      // The next chunk is conditioned on what this one writes.
      for (const [start, window] of chunk.windows) states.set(start, { ...window.state, version: window.readVersion + 1 });
      chunk = { key, steps: [], windows: new Map(), late: new Map(), alerts: [] };
    }
    const updated: WindowState[] = [];
    const alerts: WindowAlert[] = [];
    let problem: string | undefined;
    for (const start of onTime) {
      const before = stateOf(start);
      let next: WindowState = { ...before, aggregate: addObservation(before.aggregate, entry.observation) };
      const decision = next.alert === undefined ? action.alertFor?.(next, baseline) : undefined;
      if (decision) {
        const alert: WindowAlert = {
          alertId: `${ctx.pipeline}#${key}#${new Date(start).toISOString()}`,
          key,
          windowStart: start,
          windowEnd: windowEnd(start, ctx.spec),
          count: next.aggregate.count,
          baseline: decision.baseline,
          threshold: decision.threshold,
          topValues: topValues(next.aggregate, ALERT_TOP_VALUES),
          crossedAt: ctx.now(),
        };
        next = { ...next, alert };
        alerts.push(alert);
      }
      problem ??= storabilityProblem(windowItem(next, ctx, before.version));
      updated.push(next);
    }
    if (problem) {
      entry.item.markPoison({ reason: PoisonReason.StoreRejected, error: `window of "${key.slice(0, 100)}" cannot be stored with it: ${problem}` });
      continue;
    }
    for (const next of updated) {
      const readVersion = chunk.windows.get(next.start)?.readVersion ?? stateOf(next.start).version;
      chunk.windows.set(next.start, { state: next, readVersion });
      states.set(next.start, next);
    }
    for (const start of late) chunk.late.set(start, (chunk.late.get(start) ?? 0) + 1);
    chunk.alerts.push(...alerts);
    chunk.steps.push({ item: entry.item, onTime, late });
  }
  if (chunk.steps.length > 0) chunks.push(chunk);
  return chunks;
}

function resultLateUpdate(key: string, start: number, count: number, ctx: WindowedContext): TransactItem {
  return {
    Update: {
      TableName: ctx.stateTable!,
      Key: { [StateTable.partitionKey]: resultItemKey(start, key) },
      UpdateExpression: 'ADD #tooLate :n SET #windowKey = if_not_exists(#windowKey, :key), #windowStart = if_not_exists(#windowStart, :start), #windowEnd = if_not_exists(#windowEnd, :end), #ttl = if_not_exists(#ttl, :ttl)',
      ExpressionAttributeNames: { '#tooLate': 'tooLate', '#windowKey': 'windowKey', '#windowStart': 'windowStart', '#windowEnd': 'windowEnd', '#ttl': StateTable.ttlAttribute },
      ExpressionAttributeValues: {
        ':n': count,
        ':key': key,
        ':start': start,
        ':end': windowEnd(start, ctx.spec),
        ':ttl': Math.ceil((closesAt(start, ctx.spec) + ctx.spec.retentionMs) / 1000),
      },
    },
  };
}

function outboxPut(alert: WindowAlert, ctx: WindowedContext): TransactItem {
  return {
    Put: {
      TableName: ctx.stateTable!,
      Item: {
        [StateTable.partitionKey]: alertItemKey(alert.windowStart, alert.key),
        alert,
        status: 'PENDING',
        [StateTable.dueIndex.partitionKey]: PENDING_ALERTS_BUCKET,
        [StateTable.dueIndex.sortKey]: alert.crossedAt,
        [StateTable.ttlAttribute]: Math.ceil((closesAt(alert.windowStart, ctx.spec) + ctx.spec.retentionMs) / 1000),
      },
      // One alert per window, ever: a second crossing (after a redelivery) cannot write another.
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': StateTable.partitionKey },
    },
  };
}

function transactionItems(chunk: Chunk, ctx: WindowedContext, watermark: number): TransactItem[] {
  const nowMs = ctx.now();
  const items: TransactItem[] = chunk.steps.map((step) =>
    completeInTransaction(
      ctx.idempotency,
      step.item.storageKey!,
      nowMs,
      recordPosition(step.item.record),
      step.onTime.length === 0 ? { reason: PoisonReason.TooLate, error: tooLateError(Date.parse(step.item.event!.time!), step.late, watermark, ctx.spec) } : undefined,
    ),
  );
  for (const { state, readVersion } of chunk.windows.values()) {
    items.push({ Put: { TableName: ctx.stateTable!, Item: windowItem(state, ctx, readVersion), ...versionGuard(readVersion), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } });
  }
  for (const [start, count] of chunk.late) items.push(resultLateUpdate(chunk.key, start, count, ctx));
  for (const alert of chunk.alerts) items.push(outboxPut(alert, ctx));
  return items;
}

type ChunkOutcome = 'committed' | 'conflict' | 'rejected' | { readonly failed: string };

/** Commits chunks in one transaction; splits it while the store refuses it. */
async function commitTogether(chunks: readonly Chunk[], ctx: WindowedContext, watermarks: ReadonlyMap<string, number>): Promise<Map<Chunk, ChunkOutcome>> {
  const outcomes = new Map<Chunk, ChunkOutcome>();
  if (ctx.outOfTime()) {
    for (const chunk of chunks) outcomes.set(chunk, { failed: 'not attempted: the invocation reached its time margin' });
    return outcomes;
  }
  const built = chunks.map((chunk) => ({ chunk, items: transactionItems(chunk, ctx, watermarks.get(chunk.key) ?? Number.NEGATIVE_INFINITY) }));
  try {
    const result = await transactWrite(ctx.ddb, built.flatMap((b) => b.items), ctx.usage);
    if (result.committed) {
      for (const chunk of chunks) outcomes.set(chunk, 'committed');
      return outcomes;
    }
    let offset = 0;
    for (const { chunk, items } of built) {
      const reasons = result.reasons.slice(offset, offset + items.length);
      offset += items.length;
      const codes = new Set(reasons.map((r) => r.code).filter((c) => c !== 'None'));
      // Cancelled only because another chunk of the transaction failed: worth re-sending as it is.
      outcomes.set(chunk, codes.size === 0 ? 'conflict' : codes.has('ValidationError') ? 'rejected' : 'conflict');
    }
    return outcomes;
  } catch (error) {
    if (!isStoreRejection(error)) {
      for (const chunk of chunks) outcomes.set(chunk, { failed: `DynamoDB transaction failed: ${describeError(error)}` });
      return outcomes;
    }
    if (chunks.length === 1) {
      outcomes.set(chunks[0]!, 'rejected');
      return outcomes;
    }
    const half = Math.ceil(chunks.length / 2);
    for (const part of [chunks.slice(0, half), chunks.slice(half)]) for (const [chunk, outcome] of await commitTogether(part, ctx, watermarks)) outcomes.set(chunk, outcome);
    return outcomes;
  }
}

/** Packs chunks into transactions of at most 100 items. */
function pack(chunks: readonly Chunk[]): Chunk[][] {
  const transactions: { chunks: Chunk[]; size: number }[] = [];
  for (const chunk of chunks) {
    const size = chunkSize(chunk);
    let target = transactions.find((t) => t.size + size <= MAX_TRANSACTION_ITEMS);
    if (!target) transactions.push((target = { chunks: [], size: 0 }));
    target.chunks.push(chunk);
    target.size += size;
  }
  return transactions.map((t) => t.chunks);
}

/** Reads the keys of some events again, consistently (after a conflict). */
async function readFor(action: WindowedAction, entries: readonly Entry[], ctx: WindowedContext, usage: DynamoUsage): Promise<ItemSnapshot> {
  const keys = new Map<string, TableKey>();
  for (const entry of entries) {
    keys.set(`i${entry.item.storageKey}`, { table: ctx.idempotency.table, pk: entry.item.storageKey! });
    for (const pk of windowedStateKeys(action, entry.item.actionEvent(), ctx.spec)) keys.set(`s${pk}`, { table: ctx.stateTable!, pk });
  }
  return batchGet(ctx.ddb, [...keys.values()], usage);
}

function settle(chunk: Chunk, ctx: WindowedContext, watermark: number): WindowAlert[] {
  const doneAt = ctx.now();
  for (const step of chunk.steps) {
    if (step.onTime.length > 0) step.item.done('processed', doneAt);
    else step.item.markPoison({ reason: PoisonReason.TooLate, error: tooLateError(Date.parse(step.item.event!.time!), step.late, watermark, ctx.spec) });
  }
  return chunk.alerts;
}

export interface WindowedResult {
  /** Largest event time counted per shard (the watermark's input). */
  readonly maxEventTimeByShard: ReadonlyMap<string, number>;
  readonly alertsPublished: number;
}

export async function runWindowed(action: WindowedAction, items: readonly WorkItem[], ctx: WindowedContext): Promise<WindowedResult> {
  if (!ctx.stateTable) throw new Error('a windowed action needs the pipeline state table');
  const byKey = new Map<string, Entry[]>();
  for (const entry of observe(action, items, ctx.spec)) {
    const list = byKey.get(entry.observation.key);
    if (list) list.push(entry);
    else byKey.set(entry.observation.key, [entry]);
  }
  const maxEventTimeByShard = new Map<string, number>();
  const alerts: WindowAlert[] = [];
  let snapshot: ItemSnapshot = ctx.snapshot;
  let pending = [...byKey.keys()];
  const isolated: string[] = [];
  for (let attempt = 1; pending.length > 0; attempt++) {
    const read = (pk: string) => snapshot.get(ctx.stateTable!, pk);
    const open = (key: string) => byKey.get(key)!.filter((e) => e.item.open);
    const plans = new Map(pending.map((key) => [key, planKey(action, key, open(key), read, ctx)]));
    const watermarks = new Map(pending.map((key) => [key, watermarkOf(read(PIPELINE_WATERMARK_KEY))]));
    const conflicted = new Set<string>();
    // A key's later chunk waits for its earlier one: round n sends every key's n-th chunk.
    for (let round = 0; ; round++) {
      const chunks = [...plans].filter(([key]) => !conflicted.has(key)).map(([, chunks]) => chunks[round]).filter((c): c is Chunk => c !== undefined);
      if (chunks.length === 0) break;
      await forEachWithConcurrency(pack(chunks), ctx.concurrency, async (transaction) => {
        for (const [chunk, outcome] of await commitTogether(transaction, ctx, watermarks)) {
          if (outcome === 'committed') {
            alerts.push(...settle(chunk, ctx, watermarks.get(chunk.key)!));
            for (const step of chunk.steps) {
              if (step.onTime.length === 0) continue;
              const shard = step.item.record.shardId;
              maxEventTimeByShard.set(shard, Math.max(maxEventTimeByShard.get(shard) ?? Number.NEGATIVE_INFINITY, Date.parse(step.item.event!.time!)));
            }
          } else if (outcome === 'conflict') conflicted.add(chunk.key);
          else if (outcome === 'rejected') isolated.push(chunk.key);
          else {
            for (const step of chunk.steps) if (step.item.outcome === undefined) step.item.fail(outcome.failed);
            conflicted.delete(chunk.key);
            plans.delete(chunk.key);
          }
        }
      });
      for (const key of isolated) plans.delete(key);
    }
    pending = [...conflicted].filter((key) => open(key).length > 0);
    if (pending.length === 0) break;
    if (attempt >= MAX_PLAN_ATTEMPTS) {
      for (const key of pending) for (const entry of open(key)) entry.item.fail('the windows kept being updated by another invocation; will be retried');
      break;
    }
    // Someone else wrote these keys' windows (or completed their events): plan again from what is stored now.
    try {
      snapshot = await readFor(action, pending.flatMap(open), ctx, ctx.usage);
    } catch (error) {
      for (const key of pending) for (const entry of open(key)) entry.item.fail(`re-reading the windows failed: ${describeError(error)}`);
      break;
    }
    for (const key of pending) {
      for (const entry of open(key)) {
        const stored = snapshot.get(ctx.idempotency.table, entry.item.storageKey!);
        if (stored?.status === IdempotencyStatus.Completed) entry.item.markDuplicate();
      }
    }
  }
  for (const key of isolated) await isolateKey(action, key, byKey.get(key)!, ctx, alerts, maxEventTimeByShard);
  const alertsPublished = alerts.length > 0 ? await ctx.publishAlerts(alerts) : 0;
  return { maxEventTimeByShard, alertsPublished };
}

/** The slow path for a key the store refused: one event per transaction; the one refused is poison. */
async function isolateKey(action: WindowedAction, key: string, entries: readonly Entry[], ctx: WindowedContext, alerts: WindowAlert[], maxByShard: Map<string, number>): Promise<void> {
  for (const entry of entries) {
    if (!entry.item.open) continue;
    let snapshot: ItemSnapshot;
    try {
      snapshot = await readFor(action, [entry], ctx, ctx.usage);
    } catch (error) {
      entry.item.fail(`re-reading the windows failed: ${describeError(error)}`);
      continue;
    }
    const read = (pk: string) => snapshot.get(ctx.stateTable!, pk);
    const [chunk] = planKey(action, key, [entry], read, ctx);
    if (!chunk) continue;
    const watermark = watermarkOf(read(PIPELINE_WATERMARK_KEY));
    let outcome: ChunkOutcome;
    try {
      const result = await transactWrite(ctx.ddb, transactionItems(chunk, ctx, watermark), ctx.usage);
      outcome = result.committed ? 'committed' : result.reasons.some((r) => r.code === 'ValidationError') ? 'rejected' : { failed: 'lost to a concurrent invocation; will be retried' };
    } catch (error) {
      outcome = isStoreRejection(error) ? 'rejected' : { failed: `DynamoDB transaction failed: ${describeError(error)}` };
      if (outcome === 'rejected') entry.item.markPoison({ reason: PoisonReason.StoreRejected, error: storeRejectionMessage(error) });
    }
    if (outcome === 'committed') {
      alerts.push(...settle(chunk, ctx, watermark));
      if (chunk.steps[0]!.onTime.length > 0) maxByShard.set(entry.item.record.shardId, Math.max(maxByShard.get(entry.item.record.shardId) ?? Number.NEGATIVE_INFINITY, entry.eventMs));
    } else if (outcome === 'rejected' && entry.item.open) entry.item.markPoison({ reason: PoisonReason.StoreRejected, error: 'DynamoDB refused the write (ValidationError)' });
    else if (typeof outcome === 'object') entry.item.fail(outcome.failed);
  }
}
