/**
 * Several event source mappings on one stream, as on AWS: each has its own iterators and checkpoints
 * (every mapping gets every record, in order, whatever the others do), and all of them share each
 * shard's read limit of 5 GetRecords per second. Mappings that ask for more are throttled: their reads
 * wait, and each refused read is counted in the stream's AWS/Kinesis ReadProvisionedThroughputExceeded.
 * GetRecords calls are observed on the SDK client's middleware stack, on their way to kinesis-local.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShardReadLimits, readThrottled } from '../../local/event-source';
import { clientsFromEnv, createStream, FixtureInvoker, MemorySink, put, sleep, testMapping, waitFor, type TestClients } from '../../local/event-source/test-kit';

describe('several mappings on one stream', () => {
  let clients: TestClients;
  /** Times of the GetRecords calls sent, per shard iterator's shard (read from the request). */
  const getRecordsAt: number[] = [];
  before(() => {
    clients = clientsFromEnv();
    clients.kinesis.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetRecordsCommand') getRecordsAt.push(Date.now());
        return next(args);
      },
      { step: 'initialize', name: 'countGetRecords' },
    );
  });
  after(() => clients.destroy());

  it('share the shard\'s 5 GetRecords per second; each mapping still gets every record in order; throttled reads are counted', async () => {
    const stream = await createStream(clients.kinesis);
    const sink = new MemorySink();
    const readLimits = new ShardReadLimits({ onThrottled: (name) => readThrottled(sink, name, Date.now()) });
    // Three mappings polling every 50 ms would read 60 times a second; the shard allows 5.
    const invokers = [0, 1, 2].map(() => new FixtureInvoker(() => null));
    const mappings = invokers.map((invoker) => testMapping({ stream, invoker, clients, sink, readLimits }, { BatchSize: 5 }));
    try {
      await Promise.all(mappings.map((m) => m.start()));
      const expected: string[] = [];
      for (let i = 0; i < 12; i += 1) {
        expected.push(`r${i}`);
        await put(clients.kinesis, stream.name, `k${i % 3}`, `r${i}`);
      }
      await waitFor('every mapping got every record', () => invokers.every((inv) => inv.delivered().length >= 12), 20_000);
      const started = getRecordsAt.length;
      const windowStart = Date.now();
      await sleep(3000);
      const reads = getRecordsAt.slice(started);
      // 5 reads a second for 3 s (unthrottled, the three mappings would send about 180). The times are
      // taken as the SDK sends, a few ms after the limiter granted the read: one more per window is skew.
      assert.ok(reads.length >= 10 && reads.length <= 16, `about 15 GetRecords in 3 s, got ${reads.length}`);
      for (const t of reads) assert.ok(reads.filter((u) => u >= t && u < t + 1000).length <= 6, `at most 5 GetRecords in the second from ${t - windowStart} ms`);
      for (const invoker of invokers) assert.deepEqual(invoker.delivered(), expected, 'each mapping: every record once, in order');
      const throttled = sink.data.filter((d) => d.metricName === 'ReadProvisionedThroughputExceeded');
      assert.ok(throttled.length > 0, 'throttled reads are counted');
      assert.ok(throttled.every((d) => d.namespace === 'AWS/Kinesis' && d.dimensions.StreamName === stream.name && d.value === 1));
    } finally {
      await Promise.all(mappings.map((m) => m.stop()));
      await stream.delete();
    }
  });

  it('have their own checkpoints: one disabled while records arrive catches up alone, the other is not held back', async () => {
    const stream = await createStream(clients.kinesis);
    const readLimits = new ShardReadLimits();
    const [fast, slow] = [new FixtureInvoker(() => null), new FixtureInvoker(() => null)];
    const a = testMapping({ stream, invoker: fast, clients, readLimits }, { StartingPosition: 'LATEST' });
    const b = testMapping({ stream, invoker: slow, clients, readLimits }, { StartingPosition: 'LATEST' });
    try {
      await Promise.all([a.start(), b.start()]);
      await put(clients.kinesis, stream.name, 'k', 'one');
      await waitFor('both got the first record', () => fast.delivered().length === 1 && slow.delivered().length === 1);
      await b.setEnabled(false);
      for (const data of ['two', 'three']) await put(clients.kinesis, stream.name, 'k', data);
      await waitFor('the enabled mapping goes on', () => fast.delivered().length === 3);
      assert.deepEqual(slow.delivered(), ['one']);
      await b.setEnabled(true);
      await waitFor('the re-enabled mapping catches up from its own checkpoint', () => slow.delivered().length === 3);
      assert.deepEqual(slow.delivered(), ['one', 'two', 'three']);
      assert.deepEqual(fast.delivered(), ['one', 'two', 'three']);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await stream.delete();
    }
  });
});
