/**
 * Watermarks: how far event time has certainly progressed.
 *
 * Per shard: the largest on-time event time the processor counted there, and when the shard was last
 * processed (wall clock). The shard's watermark is that largest time minus the configured out-of-order
 * bound. Written by the processor after a batch commits, at most every WRITE_INTERVAL_MS per shard and
 * container (a watermark that lags by seconds only delays closing; it is never ahead of what was seen).
 *
 * The pipeline's watermark, computed by the scheduled closer, is the minimum over the shards that hold it
 * back, and never goes backwards:
 * - a shard not processed for the idle timeout stops holding it back (a shard with no traffic, or a
 *   consumer stalled that long: its events may then arrive too late, and are counted as such);
 * - a closed parent shard hands over to its children as soon as one of them has been processed;
 * - with no shard holding it back (no traffic at all), it follows the clock: now minus the idle timeout
 *   minus the out-of-order bound. So a window [start, end) is final at the latest when the wall clock
 *   reaches end + allowed lateness + out-of-order bound + idle timeout, plus one schedule interval.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateTable } from '../../shared/tables';
import type { DynamoUsage } from '../dynamo';
import { shardWatermarkKey, type ShardWatermark } from './window-items';
import type { WindowSpec } from './window-math';

/** One shard of the stream as ListShards describes it. */
export interface ShardInfo {
  readonly shardId: string;
  readonly parentShardId?: string;
  readonly adjacentParentShardId?: string;
  /** It has an ending sequence number: split or merged away. */
  readonly closed: boolean;
}

/** The pipeline watermark the shards imply now (before the never-backwards rule). Pure. */
export function pipelineWatermark(shards: readonly ShardInfo[], marks: ReadonlyMap<string, ShardWatermark>, nowMs: number, spec: WindowSpec): number {
  const childProcessed = (parent: string) => shards.some((s) => (s.parentShardId === parent || s.adjacentParentShardId === parent) && marks.has(s.shardId));
  const holding: number[] = [];
  for (const shard of shards) {
    const mark = marks.get(shard.shardId);
    if (!mark || !Number.isFinite(mark.maxEventTime)) continue;
    if (nowMs - mark.lastActivityAt > spec.idleMs) continue;
    if (shard.closed && childProcessed(shard.shardId)) continue;
    holding.push(mark.maxEventTime - spec.outOfOrderMs);
  }
  return holding.length > 0 ? Math.min(...holding) : nowMs - spec.idleMs - spec.outOfOrderMs;
}

/** Per shard and container: at most one watermark write per interval. */
export const WRITE_INTERVAL_MS = 5000;

export interface WatermarkWriteContext {
  readonly ddb: DynamoDBDocumentClient;
  readonly usage: DynamoUsage;
  readonly stateTable: string;
  readonly now: () => number;
}

/** Remembers, per container, when each shard's watermark was last written. */
export class ShardWatermarkWriter {
  private readonly lastWrite = new Map<string, number>();
  private readonly pendingMax = new Map<string, number>();

  /**
   * Records that `shards` were processed, and the largest on-time event time counted on some of them;
   * writes what is due. A failed write is left for the next batch (the watermark only lags).
   */
  async record(shards: Iterable<string>, maxEventTimeByShard: ReadonlyMap<string, number>, ctx: WatermarkWriteContext): Promise<void> {
    const nowMs = ctx.now();
    const due: string[] = [];
    for (const shard of new Set(shards)) {
      const max = maxEventTimeByShard.get(shard);
      if (max !== undefined) this.pendingMax.set(shard, Math.max(this.pendingMax.get(shard) ?? max, max));
      if (nowMs - (this.lastWrite.get(shard) ?? Number.NEGATIVE_INFINITY) >= WRITE_INTERVAL_MS) due.push(shard);
    }
    await Promise.all(
      due.map(async (shard) => {
        const max = this.pendingMax.get(shard);
        try {
          await writeShardWatermark(shard, max, nowMs, ctx);
          this.lastWrite.set(shard, nowMs);
          this.pendingMax.delete(shard);
        } catch {
          // Left for the next batch: a watermark that lags delays closing, never counts wrongly.
        }
      }),
    );
  }
}

async function writeShardWatermark(shardId: string, maxEventTime: number | undefined, nowMs: number, ctx: WatermarkWriteContext): Promise<void> {
  const Key = { [StateTable.partitionKey]: shardWatermarkKey(shardId) };
  const touch = () =>
    ctx.ddb.send(new UpdateCommand({ TableName: ctx.stateTable, Key, UpdateExpression: 'SET lastActivityAt = :now', ExpressionAttributeValues: { ':now': nowMs }, ReturnConsumedCapacity: 'TOTAL' }));
  if (maxEventTime === undefined) {
    const out = await touch();
    ctx.usage.record(out.ConsumedCapacity ? [out.ConsumedCapacity] : undefined);
    return;
  }
  try {
    const out = await ctx.ddb.send(
      new UpdateCommand({
        TableName: ctx.stateTable,
        Key,
        UpdateExpression: 'SET lastActivityAt = :now, maxEventTime = :max',
        // Never backwards: another invocation may have counted a later event on this shard.
        ConditionExpression: 'attribute_not_exists(maxEventTime) OR maxEventTime <= :max',
        ExpressionAttributeValues: { ':now': nowMs, ':max': maxEventTime },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    ctx.usage.record(out.ConsumedCapacity ? [out.ConsumedCapacity] : undefined);
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const out = await touch();
    ctx.usage.record(out.ConsumedCapacity ? [out.ConsumedCapacity] : undefined);
  }
}
