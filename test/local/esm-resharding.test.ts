/**
 * Resharding against kinesis-local (SplitShard, MergeShards, UpdateShardCount, also 2 → 4 → 2 under load as
 * `npm start` does): the local event source
 * mapping reads a child shard only after every parent of it is finished, so each key's records arrive in
 * the order they were written across the reshard, every record once (again only where a failing batch
 * was retried, as AWS allows); a parent whose batch keeps failing holds its children back until it
 * succeeds or gives up to the on-failure destination; a mapping created after a reshard reads the oldest
 * shards first; checkpoints and finished shards survive disable/enable; ParallelizationFactor and the
 * metrics carry on in the children.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PutRecordsCommand, UpdateShardCountCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { OnFailureInvocationRecord } from '../../local/event-source';
import {
  clientsFromEnv,
  createQueue,
  createStream,
  FixtureInvoker,
  listShards,
  MemorySink,
  mergeShards,
  receive,
  registerConsumer,
  sleep,
  splitShard,
  testMapping,
  untilActive,
  waitFor,
  type RecordedCall,
  type TestClients,
} from '../../local/event-source/test-kit';

/** Record data `key#n`: the n-th record written for that key. */
const recordOf = (key: string, n: number): string => `${key}#${n}`;
const keyOf = (data: string): string => data.slice(0, data.lastIndexOf('#'));

/** Writes one record per key (the next number of each), in one PutRecords; returns what was written. */
async function putRound(kinesis: KinesisClient, streamName: string, keys: readonly string[], counters: Map<string, number>): Promise<string[]> {
  const data = keys.map((key) => {
    const n = counters.get(key) ?? 0;
    counters.set(key, n + 1);
    return recordOf(key, n);
  });
  const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: data.map((d) => ({ PartitionKey: keyOf(d), Data: Buffer.from(d) })) }));
  assert.equal(out.FailedRecordCount ?? 0, 0);
  return data;
}

/** Each key's records, in the order the function first got them, must be 0, 1, 2... with none missing. */
function assertOrderPerKey(delivered: readonly string[], written: readonly string[]): void {
  const firstSeen = [...new Set(delivered)];
  assert.deepEqual(new Set(firstSeen), new Set(written), 'every record written was delivered');
  const keys = [...new Set(written.map(keyOf))];
  for (const key of keys) {
    const mine = firstSeen.filter((d) => keyOf(d) === key);
    assert.deepEqual(mine, written.filter((d) => keyOf(d) === key), `order of ${key} across the reshard`);
  }
}

/** A shard's first batch started only after the last batch of each of its parents had returned. */
async function assertParentsBeforeChildren(kinesis: KinesisClient, streamName: string, calls: readonly RecordedCall[]): Promise<void> {
  const shards = await listShards(kinesis, streamName);
  for (const shard of shards) {
    const mine = calls.filter((c) => c.shardId === shard.ShardId);
    if (mine.length === 0) continue;
    const firstStart = Math.min(...mine.map((c) => c.startedAt));
    for (const parent of [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => p !== undefined)) {
      const parentCalls = calls.filter((c) => c.shardId === parent);
      if (parentCalls.length === 0) continue;
      const lastEnd = Math.max(...parentCalls.map((c) => c.finishedAt ?? Number.POSITIVE_INFINITY));
      assert.ok(firstStart >= lastEnd, `${shard.ShardId} started ${lastEnd - firstStart} ms before its parent ${parent} was finished`);
    }
  }
}

/** Whether two batches of one shard were ever in flight at the same time. */
function overlapped(calls: readonly RecordedCall[], shardId: string): boolean {
  const mine = calls.filter((c) => c.shardId === shardId);
  return mine.some((a) => mine.some((b) => a !== b && a.startedAt < (b.finishedAt ?? Infinity) && b.startedAt < (a.finishedAt ?? Infinity)));
}

/**
 * Writes a round of records for every key every 30 ms while the stream's one shard is split (after
 * `at[0]` records) and the halves merged back (after `at[1]`), until `at[2]` records; then waits until
 * the function got every record. Returns what was written and the shards.
 */
async function reshardUnderLoad(
  kinesis: KinesisClient,
  stream: { name: string },
  mapping: { start(): Promise<void> },
  invoker: FixtureInvoker,
  keys: readonly string[],
  at: readonly [number, number, number],
): Promise<{ written: string[]; parent: string; left: string; right: string; merged: string }> {
  const counters = new Map<string, number>();
  const written: string[] = [];
  let producing = true;
  const producer = (async () => {
    while (producing) {
      written.push(...(await putRound(kinesis, stream.name, keys, counters)));
      await sleep(30);
    }
  })();
  try {
    await mapping.start();
    const [parent] = (await listShards(kinesis, stream.name)).map((s) => s.ShardId as string);
    await waitFor('records before the split', () => written.length >= at[0]);
    const [left, right] = await splitShard(kinesis, stream.name, parent as string);
    await waitFor('records after the split', () => written.length >= at[1]);
    const merged = await mergeShards(kinesis, stream.name, left, right);
    await waitFor('records after the merge', () => written.length >= at[2]);
    producing = false;
    await producer;
    await waitFor('every record', () => new Set(invoker.delivered()).size === written.length, 30_000);
    return { written, parent: parent as string, left, right, merged };
  } finally {
    producing = false;
    await producer;
  }
}

describe('Kinesis event source mapping: resharding', () => {
  let clients: TestClients;
  before(() => {
    clients = clientsFromEnv();
  });
  after(() => clients.destroy());

  it('split under load and merged back: order per key record by record, every record once, ParallelizationFactor and metrics carried on', async () => {
    const stream = await createStream(clients.kinesis, 1);
    const keys = Array.from({ length: 8 }, (_, i) => `order-${i}`);
    const invoker = new FixtureInvoker(() => null, 40);
    const sink = new MemorySink();
    const mapping = testMapping(
      { stream, invoker, clients, sink, shardSyncIntervalMs: 200 },
      { ParallelizationFactor: 2, BatchSize: 10, MetricsConfig: { Metrics: ['EventCount'] } },
    );
    try {
      const { written, parent, left, right, merged } = await reshardUnderLoad(clients.kinesis, stream, mapping, invoker, keys, [80, 200, 320]);

      assertOrderPerKey(invoker.delivered(), written);
      assert.equal(invoker.delivered().length, written.length, 'no record twice (no batch failed, none was retried)');
      await assertParentsBeforeChildren(clients.kinesis, stream.name, invoker.calls);
      for (const shard of [parent, left, right, merged]) assert.ok(invoker.calls.some((c) => c.shardId === shard), `${shard} was read`);
      assert.deepEqual(new Set(mapping.finishedShardIds), new Set([parent, left, right]), 'the closed shards are finished; the merged one is open');
      assert.deepEqual(mapping.shardIds, [merged]);
      assert.ok(overlapped(invoker.calls, merged), 'the child shard runs two batches at once (ParallelizationFactor 2)');
      assert.equal(sink.data.filter((d) => d.metricName === 'IteratorAge').length, invoker.calls.length, 'IteratorAge once per invocation, on every shard');
      assert.equal(sink.sum('InvokedEventCount'), written.length);
      assert.equal(sink.sum('PolledEventCount'), written.length, 'each record polled once, from its own shard');
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });

  it('with enhanced fan-out (a mapping on a stream consumer): split and merged back, parents before children, order per key, every record once', async () => {
    const stream = await createStream(clients.kinesis, 1);
    const consumerArn = await registerConsumer(clients.kinesis, stream.arn);
    const invoker = new FixtureInvoker(() => null, 20);
    const mapping = testMapping({ stream: { arn: consumerArn }, invoker, clients, shardSyncIntervalMs: 200 }, { BatchSize: 10 });
    try {
      const keys = Array.from({ length: 6 }, (_, i) => `order-${i}`);
      const { written, parent, left, right, merged } = await reshardUnderLoad(clients.kinesis, stream, mapping, invoker, keys, [60, 150, 240]);

      assertOrderPerKey(invoker.delivered(), written);
      assert.equal(invoker.delivered().length, written.length, 'no record twice');
      await assertParentsBeforeChildren(clients.kinesis, stream.name, invoker.calls);
      assert.deepEqual(new Set(mapping.finishedShardIds), new Set([parent, left, right]), 'the closed shards are finished (their subscriptions ended with ChildShards)');
      assert.deepEqual(mapping.shardIds, [merged]);
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });

  it('UpdateShardCount 2 → 4 → 2 under load, as npm start reshards the orders stream: order per key, every record once, each child after its parents', async () => {
    const stream = await createStream(clients.kinesis, 2);
    const keys = Array.from({ length: 16 }, (_, i) => `order-${i}`);
    const counters = new Map<string, number>();
    const written: string[] = [];
    const invoker = new FixtureInvoker(() => null, 30);
    const mapping = testMapping({ stream, invoker, clients, shardSyncIntervalMs: 200 }, { BatchSize: 25 });
    let producing = true;
    const producer = (async () => {
      while (producing) {
        written.push(...(await putRound(clients.kinesis, stream.name, keys, counters)));
        await sleep(20);
      }
    })();
    try {
      await mapping.start();
      await waitFor('records before the split', () => written.length >= 160);
      await clients.kinesis.send(new UpdateShardCountCommand({ StreamName: stream.name, TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }));
      await untilActive(clients.kinesis, stream.name);
      const split = written.length;
      await waitFor('records while split', () => written.length >= split + 160);
      await clients.kinesis.send(new UpdateShardCountCommand({ StreamName: stream.name, TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' }));
      await untilActive(clients.kinesis, stream.name);
      const merged = written.length;
      await waitFor('records after the merge', () => written.length >= merged + 160);
      producing = false;
      await producer;
      await waitFor('every record', () => new Set(invoker.delivered()).size === written.length, 30_000);

      assertOrderPerKey(invoker.delivered(), written);
      assert.equal(invoker.delivered().length, written.length, 'no record twice');
      await assertParentsBeforeChildren(clients.kinesis, stream.name, invoker.calls);
      const shards = await listShards(clients.kinesis, stream.name);
      assert.equal(shards.length, 8, 'two parents, four children, two merged');
      for (const shard of shards) assert.ok(invoker.calls.some((c) => c.shardId === shard.ShardId), `${shard.ShardId} was read: every generation took load`);
      assert.equal(mapping.finishedShardIds.length, 6);
    } finally {
      producing = false;
      await producer;
      await mapping.stop();
      await stream.delete();
    }
  });

  it('a parent whose batch keeps failing holds its children back until it gives up to the on-failure destination', async () => {
    const stream = await createStream(clients.kinesis, 1);
    const queue = await createQueue(clients.sqs);
    const invoker = new FixtureInvoker((call) => (call.data.includes('p#0') ? { throw: 'poison' } : null), 150);
    const mapping = testMapping({ stream, invoker, clients, shardSyncIntervalMs: 200 }, { BatchSize: 5, MaximumRetryAttempts: 3, DestinationConfig: { OnFailure: { Destination: queue.arn } } });
    try {
      const [parent] = (await listShards(clients.kinesis, stream.name)).map((s) => s.ShardId as string);
      const before = ['a#0', 'p#0', 'b#0'];
      await clients.kinesis.send(new PutRecordsCommand({ StreamName: stream.name, Records: before.map((d) => ({ PartitionKey: keyOf(d), Data: Buffer.from(d) })) }));
      await mapping.start();
      await waitFor('the failing batch', () => invoker.calls.length >= 1);
      const [left, right] = await splitShard(clients.kinesis, stream.name, parent as string);
      const afterSplit = ['a#1', 'p#1', 'b#1', 'c#0'];
      await clients.kinesis.send(new PutRecordsCommand({ StreamName: stream.name, Records: afterSplit.map((d) => ({ PartitionKey: keyOf(d), Data: Buffer.from(d) })) }));

      const [failure] = (await receive(clients.sqs, queue.url, 1, 15_000)) as OnFailureInvocationRecord[];
      assert.equal(failure?.requestContext.condition, 'RetryAttemptsExhausted');
      assert.equal(failure?.KinesisBatchInfo.shardId, parent);
      assert.equal(failure?.KinesisBatchInfo.batchSize, 3);
      await waitFor('the children', () => afterSplit.every((d) => invoker.delivered().includes(d)), 15_000);

      const parentCalls = invoker.calls.filter((c) => c.shardId === parent);
      assert.equal(parentCalls.length, 4, 'the batch was invoked 1 + MaximumRetryAttempts times');
      assert.ok(parentCalls.every((c) => c.data.join() === before.join()), 'only the failing batch was read from the parent, again on each retry');
      const children = invoker.calls.filter((c) => c.shardId === left || c.shardId === right);
      const parentDone = Math.max(...parentCalls.map((c) => c.finishedAt ?? Infinity));
      assert.ok(children.every((c) => c.startedAt >= parentDone), 'no child record was delivered while the parent was still retrying');
      assert.equal(children.flatMap((c) => c.data).length, afterSplit.length, 'each child record once');
      assertOrderPerKey(children.flatMap((c) => c.data), afterSplit);
    } finally {
      await mapping.stop();
      await Promise.all([stream.delete(), queue.delete()]);
    }
  });

  it('a parent retrying without limit holds its children back until its batch succeeds', async () => {
    const stream = await createStream(clients.kinesis, 1);
    let healed = false;
    const invoker = new FixtureInvoker((call) => (call.data.includes('p#0') && !healed ? { throw: 'not yet' } : null));
    const mapping = testMapping({ stream, invoker, clients, shardSyncIntervalMs: 200 }, { BatchSize: 5, MaximumRetryAttempts: -1 });
    try {
      const [parent] = (await listShards(clients.kinesis, stream.name)).map((s) => s.ShardId as string);
      const written = ['p#0', 'q#0'];
      await clients.kinesis.send(new PutRecordsCommand({ StreamName: stream.name, Records: written.map((d) => ({ PartitionKey: keyOf(d), Data: Buffer.from(d) })) }));
      await mapping.start();
      await waitFor('the failing batch', () => invoker.calls.length >= 1);
      await splitShard(clients.kinesis, stream.name, parent as string);
      const afterSplit = ['p#1', 'q#1'];
      await clients.kinesis.send(new PutRecordsCommand({ StreamName: stream.name, Records: afterSplit.map((d) => ({ PartitionKey: keyOf(d), Data: Buffer.from(d) })) }));
      // Well past the mapping's shard listing (200 ms) and many retries.
      await sleep(1_500);
      assert.ok(invoker.calls.length >= 5, `the batch keeps being retried (${invoker.calls.length} invocations)`);
      assert.ok(invoker.calls.every((c) => c.shardId === parent), 'no child shard was read while the parent batch fails');
      healed = true;
      await waitFor('the children after the parent succeeded', () => afterSplit.every((d) => invoker.delivered().includes(d)), 15_000);
      assertOrderPerKey(invoker.delivered(), [...written, ...afterSplit]);
      await assertParentsBeforeChildren(clients.kinesis, stream.name, invoker.calls);
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });

  it('a mapping created after the reshards reads parents before children, from TRIM_HORIZON; a LATEST one only what comes next', async () => {
    const stream = await createStream(clients.kinesis, 1);
    const keys = Array.from({ length: 6 }, (_, i) => `k${i}`);
    const counters = new Map<string, number>();
    const written: string[] = [];
    const trimInvoker = new FixtureInvoker(() => null);
    const latestInvoker = new FixtureInvoker(() => null);
    const trim = testMapping({ stream, invoker: trimInvoker, clients }, { BatchSize: 7 });
    const latest = testMapping({ stream, invoker: latestInvoker, clients }, { StartingPosition: 'LATEST', BatchSize: 7 });
    try {
      for (let i = 0; i < 5; i++) written.push(...(await putRound(clients.kinesis, stream.name, keys, counters)));
      // UpdateShardCount as an operator would: 1 → 2 (a split), then 2 → 1 (a merge).
      await clients.kinesis.send(new UpdateShardCountCommand({ StreamName: stream.name, TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' }));
      await untilActive(clients.kinesis, stream.name);
      for (let i = 0; i < 5; i++) written.push(...(await putRound(clients.kinesis, stream.name, keys, counters)));
      await clients.kinesis.send(new UpdateShardCountCommand({ StreamName: stream.name, TargetShardCount: 1, ScalingType: 'UNIFORM_SCALING' }));
      await untilActive(clients.kinesis, stream.name);
      for (let i = 0; i < 5; i++) written.push(...(await putRound(clients.kinesis, stream.name, keys, counters)));
      const shards = await listShards(clients.kinesis, stream.name);
      assert.equal(shards.length, 4, 'one parent, two children, one merged grandchild');

      await Promise.all([trim.start(), latest.start()]);
      await waitFor('every record', () => new Set(trimInvoker.delivered()).size === written.length, 20_000);
      assertOrderPerKey(trimInvoker.delivered(), written);
      assert.equal(trimInvoker.delivered().length, written.length, 'each record once');
      await assertParentsBeforeChildren(clients.kinesis, stream.name, trimInvoker.calls);

      const next = await putRound(clients.kinesis, stream.name, keys, counters);
      await waitFor('the records put after LATEST started', () => next.every((d) => latestInvoker.delivered().includes(d)), 15_000);
      assert.deepEqual(latestInvoker.delivered(), next, 'LATEST went through the closed shards without delivering their records');
      assert.equal(latest.finishedShardIds.length, 3);
    } finally {
      await Promise.all([trim.stop(), latest.stop()]);
      await stream.delete();
    }
  });

  it('checkpoints and finished shards survive disable/enable across a reshard', async () => {
    const stream = await createStream(clients.kinesis, 1);
    const keys = ['x', 'y'];
    const counters = new Map<string, number>();
    const written: string[] = [];
    const invoker = new FixtureInvoker(() => null, 80);
    const mapping = testMapping({ stream, invoker, clients, shardSyncIntervalMs: 200 }, { BatchSize: 2 });
    try {
      const [parent] = (await listShards(clients.kinesis, stream.name)).map((s) => s.ShardId as string);
      for (let i = 0; i < 6; i++) written.push(...(await putRound(clients.kinesis, stream.name, keys, counters)));
      await mapping.start();
      await waitFor('part of the parent', () => invoker.delivered().length >= 4);
      await mapping.setEnabled(false);
      const beforeReshard = invoker.delivered().length;
      assert.ok(beforeReshard < written.length, 'disabled half way through the parent');

      // Reshard while the mapping is off; it must find the children when it comes back.
      const [left, right] = await splitShard(clients.kinesis, stream.name, parent as string);
      for (let i = 0; i < 4; i++) written.push(...(await putRound(clients.kinesis, stream.name, keys, counters)));
      await mapping.setEnabled(true);
      await waitFor('every record', () => new Set(invoker.delivered()).size === written.length, 20_000);
      assert.equal(invoker.delivered().length, written.length, 'the parent resumed from its checkpoint: nothing delivered twice');
      assertOrderPerKey(invoker.delivered(), written);
      await assertParentsBeforeChildren(clients.kinesis, stream.name, invoker.calls);

      // Off and on again with everything read: the finished parent is not read again, children resume.
      await mapping.setEnabled(false);
      const callsBefore = invoker.calls.length;
      const more = await putRound(clients.kinesis, stream.name, keys, counters);
      await mapping.setEnabled(true);
      await waitFor('the new records', () => more.every((d) => invoker.delivered().includes(d)), 15_000);
      const later = invoker.calls.slice(callsBefore);
      assert.deepEqual(later.flatMap((c) => c.data).sort(), [...more].sort(), 'only the new records');
      assert.ok(later.every((c) => c.shardId === left || c.shardId === right), 'the finished parent was not read again');
      assert.deepEqual(mapping.finishedShardIds, [parent]);
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });
});
