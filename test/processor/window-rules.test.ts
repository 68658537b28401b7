/**
 * The pure rules of event-time windows: which windows an event belongs to, the pipeline watermark
 * (idleness, the reshard handover, no traffic), and the spike rule's baseline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextSpikeBaseline } from '../../lambdas/actions/returns';
import { spikeSchema, spikeThreshold, windowsSchema } from '../../lambdas/shared/windows-config';
import { pipelineWatermark, type ShardInfo } from '../../lambdas/processor/windows/watermark';
import { closesAt, isFinal, windowSpec, windowStartsOf } from '../../lambdas/processor/windows/window-math';
import { EMPTY_AGGREGATE } from '../../lambdas/processor/windows/aggregate';
import type { ShardWatermark, WindowState } from '../../lambdas/processor/windows/window-items';

const spec = windowSpec(windowsSchema.parse({ sizeSeconds: 600, outOfOrderSeconds: 60, allowedLatenessSeconds: 300, idleTimeoutSeconds: 120 }));
const MIN = 60_000;

test('tumbling windows: one per event, aligned to the epoch; hopping: size / slide of them', () => {
  assert.deepEqual(windowStartsOf(25 * MIN, spec), [20 * MIN]);
  assert.deepEqual(windowStartsOf(20 * MIN, spec), [20 * MIN], 'the start belongs to the window, the end does not');
  const hopping = windowSpec(windowsSchema.parse({ sizeSeconds: 600, slideSeconds: 120 }));
  assert.deepEqual(windowStartsOf(25 * MIN, hopping), [16, 18, 20, 22, 24].map((m) => m * MIN));
  assert.equal(closesAt(20 * MIN, spec), 35 * MIN, 'end plus the allowed lateness');
  assert.equal(isFinal(20 * MIN, 35 * MIN, spec), true);
  assert.equal(isFinal(20 * MIN, 35 * MIN - 1, spec), false);
});

test('hopping windows are validated: the slide divides the size, at most 24 windows per event', () => {
  assert.throws(() => windowsSchema.parse({ sizeSeconds: 600, slideSeconds: 420 }), /slideSeconds must divide sizeSeconds/);
  assert.throws(() => windowsSchema.parse({ sizeSeconds: 3600, slideSeconds: 60 }), /at most 24 windows per event/);
});

const mark = (shardId: string, maxEventTime: number, lastActivityAt: number): ShardWatermark => ({ shardId, maxEventTime, lastActivityAt, version: 1 });
const open = (shardId: string, parents: Partial<ShardInfo> = {}): ShardInfo => ({ shardId, closed: false, ...parents });

test('the pipeline watermark is the slowest active shard minus the out-of-order bound', () => {
  const now = 1000 * MIN;
  const marks = new Map([
    ['a', mark('a', 500 * MIN, now - 1000)],
    ['b', mark('b', 480 * MIN, now - 2000)],
  ]);
  assert.equal(pipelineWatermark([open('a'), open('b')], marks, now, spec), 479 * MIN);
});

test('a shard idle past the idle timeout stops holding it back', () => {
  const now = 1000 * MIN;
  const marks = new Map([
    ['a', mark('a', 500 * MIN, now - 1000)],
    ['b', mark('b', 100 * MIN, now - 121_000)],
  ]);
  assert.equal(pipelineWatermark([open('a'), open('b')], marks, now, spec), 499 * MIN);
});

test('with no shard processed within the idle timeout, it follows the clock', () => {
  const now = 1000 * MIN;
  assert.equal(pipelineWatermark([open('a')], new Map([['a', mark('a', 100 * MIN, now - 10 * MIN)]]), now, spec), now - 120_000 - 60_000);
  assert.equal(pipelineWatermark([open('a')], new Map(), now, spec), now - 180_000, 'nothing ever processed');
});

test('after a reshard, a closed parent hands over as soon as one of its children is processed', () => {
  const now = 1000 * MIN;
  const shards: ShardInfo[] = [{ shardId: 'parent', closed: true }, open('child-1', { parentShardId: 'parent' }), open('child-2', { parentShardId: 'parent' })];
  const parentOnly = new Map([['parent', mark('parent', 300 * MIN, now - 1000)]]);
  assert.equal(pipelineWatermark(shards, parentOnly, now, spec), 299 * MIN, 'children not started: the parent still holds it');
  const handedOver = new Map([...parentOnly, ['child-1', mark('child-1', 400 * MIN, now - 500)]]);
  assert.equal(pipelineWatermark(shards, handedOver, now, spec), 399 * MIN);
  const merged: ShardInfo[] = [{ shardId: 'p1', closed: true }, { shardId: 'p2', closed: true }, open('m', { parentShardId: 'p1', adjacentParentShardId: 'p2' })];
  const afterMerge = new Map([['p1', mark('p1', 100 * MIN, now)], ['p2', mark('p2', 90 * MIN, now)], ['m', mark('m', 200 * MIN, now)]]);
  assert.equal(pipelineWatermark(merged, afterMerge, now, spec), 199 * MIN, 'both parents of a merge hand over');
});

const spike = spikeSchema.parse({ minimumVolume: 20, factor: 3, baselineWeight: 0.5 });
const windows = windowsSchema.parse({ sizeSeconds: 600 });
const closed = (start: number, count: number): WindowState => ({ key: 'k', start, aggregate: { ...EMPTY_AGGREGATE, count }, version: 1, closed: false, alert: undefined });

test('the spike threshold is the larger of the minimum volume and factor × baseline', () => {
  assert.equal(spikeThreshold(spike, undefined), 20);
  assert.equal(spikeThreshold(spike, 5), 20);
  assert.equal(spikeThreshold(spike, 10), 30);
});

test('the baseline is an exponentially weighted average of closed windows; windows with no returns count as zero', () => {
  assert.equal(nextSpikeBaseline(spike, windows, closed(0, 8), undefined), 8, 'the first window');
  const base = { value: 8, lastWindowStart: 0, windows: 1, version: 1 };
  assert.equal(nextSpikeBaseline(spike, windows, closed(10 * MIN, 4), base), 0.5 * 4 + 0.5 * 8, 'the next window');
  assert.equal(nextSpikeBaseline(spike, windows, closed(30 * MIN, 4), base), 0.5 * 4 + 0.5 * (8 * 0.5 ** 2), 'two empty windows in between decay it');
  assert.equal(nextSpikeBaseline(spike, windows, closed(0, 100), base), undefined, 'an older window leaves it alone');
});
