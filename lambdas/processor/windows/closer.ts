/**
 * The scheduled closer of a windowed pipeline (an EventBridge schedule invokes the processor every
 * minute; the local target runs the template's schedules). One run:
 *
 * 1. Lists the stream's shards and reads their watermarks; computes the pipeline watermark
 *    (./watermark.ts) and publishes it, never backwards (conditioned on the version read, so two runs at
 *    once cannot move it twice).
 * 2. Finds the windows due (end + allowed lateness ≤ watermark) with Queries on the due index, whose
 *    cost grows with the windows due, not with the table; closes each in one transaction: the result item
 *    written once (count, sums, min, max, top values, whether it alerted; `tooLate` counts kept), the
 *    window marked closed and taken out of the index, the key's baseline advanced. A key's windows close
 *    oldest first. A window changed meanwhile (a batch counted into it) is read again and closed next run.
 * 3. Publishes alerts still pending after the outbox grace period (./alerts-outbox.ts).
 * 4. Emits WindowsClosed and WatermarkLag.
 */
import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { WindowedAction } from '../../actions/action';
import { StateTable } from '../../shared/tables';
import { batchGet, chunk, MAX_TRANSACTION_ITEMS, transactWrite, type DynamoUsage, type Item, type TransactItem } from '../dynamo';
import { describeError } from '../errors';
import { forEachWithConcurrency } from '../key-group';
import { nextStateItem, versionGuard } from '../state-versioning';
import { topValues } from './aggregate';
import { pendingAlerts, publishAlerts, type Deliver } from './alerts-outbox';
import { dueItems } from './due-index';
import { pipelineWatermark, type ShardInfo } from './watermark';
import { closesAt, windowEnd, type WindowSpec } from './window-math';
import {
  allOpenWindowsBuckets,
  baselineItemKey,
  baselineOf,
  PIPELINE_WATERMARK_KEY,
  resultItemKey,
  shardWatermarkKey,
  shardWatermarkOf,
  watermarkOf,
  windowItemKey,
  windowStateOf,
  type Baseline,
  type ShardWatermark,
  type WindowState,
} from './window-items';

/** Windows closed per run at most: a backlog of due windows is worked off over several runs. */
const MAX_WINDOWS_PER_RUN = 5000;
/** How many of the top values a result keeps when the action does not say. */
const RESULT_TOP_VALUES = 10;

export interface CloserContext {
  readonly ddb: DynamoDBDocumentClient;
  readonly kinesis: KinesisClient;
  readonly usage: DynamoUsage;
  readonly stateTable: string;
  readonly streamName: string;
  readonly spec: WindowSpec;
  readonly logger: Logger;
  readonly now: () => number;
  readonly outOfTime: () => boolean;
  readonly concurrency: number;
  readonly deliver: Deliver | undefined;
}

export interface CloserReport {
  readonly watermark: number;
  readonly watermarkLagMs: number;
  readonly windowsDue: number;
  readonly windowsClosed: number;
  readonly alertsRetried: number;
}

async function listShards(kinesis: KinesisClient, streamName: string): Promise<ShardInfo[]> {
  const shards: ShardInfo[] = [];
  let NextToken: string | undefined;
  do {
    const out = await kinesis.send(new ListShardsCommand(NextToken ? { NextToken } : { StreamName: streamName }));
    for (const s of out.Shards ?? []) {
      if (!s.ShardId) continue;
      shards.push({
        shardId: s.ShardId,
        ...(s.ParentShardId ? { parentShardId: s.ParentShardId } : {}),
        ...(s.AdjacentParentShardId ? { adjacentParentShardId: s.AdjacentParentShardId } : {}),
        closed: s.SequenceNumberRange?.EndingSequenceNumber !== undefined,
      });
    }
    NextToken = out.NextToken;
  } while (NextToken);
  return shards;
}

/** Step 1: the watermark as it stands now, published if it moved forward. */
async function advanceWatermark(ctx: CloserContext): Promise<number> {
  const shards = await listShards(ctx.kinesis, ctx.streamName);
  const snapshot = await batchGet(
    ctx.ddb,
    [PIPELINE_WATERMARK_KEY, ...shards.map((s) => shardWatermarkKey(s.shardId))].map((pk) => ({ table: ctx.stateTable, pk })),
    ctx.usage,
  );
  const marks = new Map<string, ShardWatermark>();
  for (const shard of shards) {
    const mark = shardWatermarkOf(snapshot.get(ctx.stateTable, shardWatermarkKey(shard.shardId)), shard.shardId);
    if (mark) marks.set(shard.shardId, mark);
  }
  const stored = snapshot.get(ctx.stateTable, PIPELINE_WATERMARK_KEY);
  const previous = watermarkOf(stored);
  const next = Math.max(previous, pipelineWatermark(shards, marks, ctx.now(), ctx.spec));
  if (next > previous) {
    const version = typeof stored?.version === 'number' ? stored.version : 0;
    const result = await transactWrite(
      ctx.ddb,
      [{ Put: { TableName: ctx.stateTable, Item: nextStateItem(PIPELINE_WATERMARK_KEY, { watermark: next, computedAt: ctx.now() }, version), ...versionGuard(version) } }],
      ctx.usage,
    );
    // Another run moved it meanwhile: close against the one stored, which is at least as far.
    if (!result.committed) return previous;
  }
  return next;
}

/** Step 2a: keys of the windows due, oldest first per index partition. */
async function dueWindowKeys(watermark: number, ctx: CloserContext): Promise<string[]> {
  const keys: string[] = [];
  for (const bucket of allOpenWindowsBuckets()) {
    for await (const items of dueItems(ctx, bucket, watermark)) {
      for (const item of items) keys.push(String(item[StateTable.partitionKey]));
      if (keys.length >= MAX_WINDOWS_PER_RUN) break;
    }
  }
  return keys.slice(0, MAX_WINDOWS_PER_RUN);
}

/** `window#<start>#<key>` → start and key. */
function parseWindowKey(pk: string): { start: number; key: string } | undefined {
  const match = /^window#(-?\d+)#(.*)$/s.exec(pk);
  return match ? { start: Number(match[1]), key: match[2]! } : undefined;
}

function closeItems(window: WindowState, baseline: Baseline | undefined, nextBaseline: number | undefined, ctx: CloserContext): TransactItem[] {
  const end = windowEnd(window.start, ctx.spec);
  const expiresAt = Math.ceil((closesAt(window.start, ctx.spec) + ctx.spec.retentionMs) / 1000);
  const { aggregate } = window;
  const items: TransactItem[] = [
    {
      Update: {
        TableName: ctx.stateTable,
        Key: { [StateTable.partitionKey]: resultItemKey(window.start, window.key) },
        // `tooLate` may already count late events; everything else is written once.
        UpdateExpression:
          'SET windowKey = :key, windowStart = :start, windowEnd = :end, #count = :count, sums = :sums, mins = :mins, maxs = :maxs, topValues = :top, spiked = :spiked, closedAt = :now, #ttl = :ttl' +
          (window.alert ? ', alert = :alert' : '') +
          (baseline ? ', baselineBefore = :baseline' : ''),
        ConditionExpression: 'attribute_not_exists(closedAt)',
        ExpressionAttributeNames: { '#count': 'count', '#ttl': StateTable.ttlAttribute },
        ExpressionAttributeValues: {
          ':key': window.key,
          ':start': window.start,
          ':end': end,
          ':count': aggregate.count,
          ':sums': aggregate.sums,
          ':mins': aggregate.mins,
          ':maxs': aggregate.maxs,
          ':top': topValues(aggregate, RESULT_TOP_VALUES),
          ':spiked': window.alert !== undefined,
          ':now': ctx.now(),
          ':ttl': expiresAt,
          ...(window.alert ? { ':alert': window.alert } : {}),
          ...(baseline ? { ':baseline': baseline.value } : {}),
        },
      },
    },
    {
      // Kept, closed, out of the due index: a late event finds it final.
      Put: {
        TableName: ctx.stateTable,
        Item: nextStateItem(
          windowItemKey(window.start, window.key),
          { windowKey: window.key, windowStart: window.start, windowEnd: end, count: aggregate.count, closed: true, [StateTable.ttlAttribute]: expiresAt },
          window.version,
        ),
        ...versionGuard(window.version),
      },
    },
  ];
  if (nextBaseline !== undefined) {
    const version = baseline?.version ?? 0;
    items.push({
      Put: {
        TableName: ctx.stateTable,
        Item: nextStateItem(baselineItemKey(window.key), { value: nextBaseline, lastWindowStart: window.start, windows: (baseline?.windows ?? 0) + 1 }, version),
        ...versionGuard(version),
      },
    });
  }
  return items;
}

/** Step 2b: closes one key's due windows, oldest first; stops the key at its first failure. */
async function closeKey(action: WindowedAction, key: string, starts: readonly number[], read: (pk: string) => Item | undefined, ctx: CloserContext): Promise<number> {
  let baseline = baselineOf(read(baselineItemKey(key)));
  let closed = 0;
  for (const start of [...starts].sort((a, b) => a - b)) {
    if (ctx.outOfTime()) break;
    const window = windowStateOf(read(windowItemKey(start, key)), start, key);
    if (window.version === 0 || window.closed) continue;
    const nextBaseline = action.nextBaseline?.(window, baseline);
    const result = await transactWrite(ctx.ddb, closeItems(window, baseline, nextBaseline, ctx), ctx.usage).catch((error: unknown) => {
      ctx.logger.warn('closing a window failed; retried next run', { key, windowStart: start, error: describeError(error) });
      return undefined;
    });
    if (!result?.committed) break;
    closed += 1;
    if (nextBaseline !== undefined) baseline = { value: nextBaseline, lastWindowStart: start, windows: (baseline?.windows ?? 0) + 1, version: (baseline?.version ?? 0) + 1 };
  }
  return closed;
}

export async function runCloser(action: WindowedAction, ctx: CloserContext): Promise<CloserReport> {
  const watermark = await advanceWatermark(ctx);
  const dueKeys = await dueWindowKeys(watermark, ctx);
  const byKey = new Map<string, number[]>();
  for (const pk of dueKeys) {
    const parsed = parseWindowKey(pk);
    if (!parsed) continue;
    const list = byKey.get(parsed.key);
    if (list) list.push(parsed.start);
    else byKey.set(parsed.key, [parsed.start]);
  }
  let windowsClosed = 0;
  // Read each key's windows and baseline consistently (the index is eventually consistent), then close.
  for (const keys of chunk([...byKey.keys()], Math.floor(MAX_TRANSACTION_ITEMS / 4))) {
    if (ctx.outOfTime()) break;
    const pks = keys.flatMap((key) => [baselineItemKey(key), ...byKey.get(key)!.map((start) => windowItemKey(start, key))]);
    const snapshot = await batchGet(ctx.ddb, pks.map((pk) => ({ table: ctx.stateTable, pk })), ctx.usage);
    const read = (pk: string) => snapshot.get(ctx.stateTable, pk);
    await forEachWithConcurrency(keys, ctx.concurrency, async (key) => {
      const closed = await closeKey(action, key, byKey.get(key)!, read, ctx);
      windowsClosed += closed;
    });
  }
  let alertsRetried = 0;
  if (ctx.deliver) {
    const outbox = { ddb: ctx.ddb, usage: ctx.usage, stateTable: ctx.stateTable, logger: ctx.logger, now: ctx.now };
    alertsRetried = await publishAlerts(await pendingAlerts(outbox), ctx.deliver, outbox);
  }
  return { watermark, watermarkLagMs: Math.max(0, ctx.now() - watermark), windowsDue: dueKeys.length, windowsClosed, alertsRetried };
}
