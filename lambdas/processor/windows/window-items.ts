/**
 * The items a windowed pipeline keeps in its state table, their keys and their shapes:
 *
 *   window#<start>#<key>        one per key and window while it is open: the running aggregate, the
 *                               version (optimistic concurrency), the due-index attributes, the alert
 *   result#<start>#<key>        the final result, written once when the window closes
 *   baseline#<key>              the key's exponentially weighted average of its closed windows' counts
 *   alert#<start>#<key>         the outbox of a window's alert until it is published
 *   watermark#shard#<shardId>   largest on-time event time seen on the shard, and when it was last active
 *   watermark#pipeline          the pipeline's watermark, as the closer last published it
 *
 * Open windows and pending alerts carry `dueBucket` + `dueAt`, the sparse due index's keys
 * (lambdas/shared/tables.ts `StateTable.dueIndex`): open windows in one of DUE_PARTITIONS partitions
 * (by key, so no index partition is hot) sorted by when they close, pending alerts in their own. The
 * closer finds what is due with Queries `dueAt <= watermark` whose cost grows with what is due, never a
 * Scan. Both attributes are removed once the item is done, so it leaves the index.
 */
import { createHash } from 'node:crypto';
import type { Item } from '../dynamo';
import { EMPTY_AGGREGATE, type WindowAggregate } from './aggregate';

export const PIPELINE_WATERMARK_KEY = 'watermark#pipeline';
/** The due-index partition of pending alerts. */
export const PENDING_ALERTS_BUCKET = 'alerts';
/** Due-index partitions of open windows. */
export const DUE_PARTITIONS = 4;
export const openWindowsBucket = (key: string): string => `windows#${createHash('md5').update(key).digest().readUInt32BE(0) % DUE_PARTITIONS}`;
export const allOpenWindowsBuckets = (): string[] => Array.from({ length: DUE_PARTITIONS }, (_, i) => `windows#${i}`);

export const windowItemKey = (start: number, key: string): string => `window#${start}#${key}`;
export const resultItemKey = (start: number, key: string): string => `result#${start}#${key}`;
export const alertItemKey = (start: number, key: string): string => `alert#${start}#${key}`;
export const baselineItemKey = (key: string): string => `baseline#${key}`;
export const shardWatermarkKey = (shardId: string): string => `watermark#shard#${shardId}`;

/** The alert a window raised: what it says, fixed at the moment of the threshold crossing. */
export interface WindowAlert {
  /** `<pipeline>#<key>#<window start ISO>`: the same on every delivery, for subscribers to drop a repeat. */
  readonly alertId: string;
  readonly key: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** The running count when the threshold was crossed. */
  readonly count: number;
  readonly baseline: number;
  readonly threshold: number;
  readonly topValues: readonly { readonly value: string; readonly count: number }[];
  /** Wall-clock time of the commit that crossed the threshold, epoch ms. */
  readonly crossedAt: number;
}

export interface WindowState {
  readonly key: string;
  readonly start: number;
  readonly aggregate: WindowAggregate;
  /** 0: not stored yet. */
  readonly version: number;
  readonly closed: boolean;
  readonly alert: WindowAlert | undefined;
}

export interface Baseline {
  readonly value: number;
  /** Start of the newest closed window folded in. */
  readonly lastWindowStart: number;
  readonly windows: number;
  readonly version: number;
}

export interface ShardWatermark {
  readonly shardId: string;
  readonly maxEventTime: number;
  readonly lastActivityAt: number;
  readonly version: number;
}

const num = (value: unknown, fallback = 0): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
const numbers = (value: unknown): Record<string, number> =>
  typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value).filter((e): e is [string, number] => typeof e[1] === 'number')) : {};

export function windowStateOf(item: Item | undefined, start: number, key: string): WindowState {
  if (!item) return { key, start, aggregate: EMPTY_AGGREGATE, version: 0, closed: false, alert: undefined };
  return {
    key,
    start,
    aggregate: { count: num(item.count), sums: numbers(item.sums), mins: numbers(item.mins), maxs: numbers(item.maxs), top: numbers(item.top) },
    version: num(item.version),
    closed: item.closed === true,
    alert: typeof item.alert === 'object' && item.alert !== null ? (item.alert as WindowAlert) : undefined,
  };
}

export function baselineOf(item: Item | undefined): Baseline | undefined {
  if (!item) return undefined;
  return { value: num(item.value), lastWindowStart: num(item.lastWindowStart), windows: num(item.windows), version: num(item.version) };
}

export function shardWatermarkOf(item: Item | undefined, shardId: string): ShardWatermark | undefined {
  if (!item) return undefined;
  return { shardId, maxEventTime: num(item.maxEventTime, Number.NEGATIVE_INFINITY), lastActivityAt: num(item.lastActivityAt), version: num(item.version) };
}

export const watermarkOf = (item: Item | undefined): number => num(item?.watermark, Number.NEGATIVE_INFINITY);
