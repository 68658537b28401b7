/**
 * The local AWS/Kinesis stream metrics: IncomingRecords and IncomingBytes counted from what the
 * emulator really holds, at each record's arrival time, whether or not anybody consumes the stream
 * (the ConsumerStalled alarm compares them with what the event source mapping reads).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MetricStore, SimulatedClock, StreamMetricsSampler } from '../../local/cloudwatch';
import { clientsFromEnv, createStream, listShards, mergeShards, put, splitShard, type TestClients } from '../../local/event-source/test-kit';

describe('stream metrics sampler', () => {
  let clients: TestClients;
  before(() => {
    clients = clientsFromEnv();
  });
  after(() => clients.destroy());

  const total = (store: MetricStore, streamName: string, metricName: string, from: number): number => {
    const series = store.statistic({ namespace: 'AWS/Kinesis', metricName, dimensions: { StreamName: streamName }, stat: 'Sum', period: 60, start: from - 120_000, end: Date.now() + 120_000 });
    return series.values.reduce((a, b) => a + b, 0);
  };

  it('counts every record put to every shard once, with its bytes, with no consumer at all', async () => {
    const stream = await createStream(clients.kinesis, 2);
    const store = new MetricStore(new SimulatedClock(1));
    const sampler = new StreamMetricsSampler({ kinesis: clients.kinesis, store, streamNames: [stream.name] });
    const began = Date.now();
    try {
      // Different keys spread over both shards; data + key bytes is what IncomingBytes counts.
      for (let i = 0; i < 6; i++) await put(clients.kinesis, stream.name, `key-${i}`, 'x'.repeat(10));
      await sampler.sampleNow();
      assert.equal(total(store, stream.name, 'IncomingRecords', began), 6);
      assert.equal(total(store, stream.name, 'IncomingBytes', began), 6 * 10 + ['key-0', 'key-1', 'key-2', 'key-3', 'key-4', 'key-5'].join('').length);

      // Later reads continue where the last one ended: nothing is counted twice.
      await put(clients.kinesis, stream.name, 'key-9', 'y');
      await sampler.sampleNow();
      await sampler.sampleNow();
      assert.equal(total(store, stream.name, 'IncomingRecords', began), 7);
    } finally {
      await sampler.stop();
      await stream.delete();
    }
  });

  it('follows a split and a merge: records of the parent and of the children each counted once', async () => {
    const stream = await createStream(clients.kinesis, 1);
    const store = new MetricStore(new SimulatedClock(1));
    const sampler = new StreamMetricsSampler({ kinesis: clients.kinesis, store, streamNames: [stream.name] });
    const began = Date.now();
    try {
      for (let i = 0; i < 4; i++) await put(clients.kinesis, stream.name, `key-${i}`, 'p');
      await sampler.sampleNow();
      const [parent] = (await listShards(clients.kinesis, stream.name)).map((s) => s.ShardId as string);
      const [left, right] = await splitShard(clients.kinesis, stream.name, parent as string);
      for (let i = 0; i < 6; i++) await put(clients.kinesis, stream.name, `key-${i}`, 'c');
      // One round reads the parent to its end (and learns the children), the next reads them.
      await sampler.sampleNow();
      await sampler.sampleNow();
      assert.equal(total(store, stream.name, 'IncomingRecords', began), 10);
      await mergeShards(clients.kinesis, stream.name, left, right);
      for (let i = 0; i < 3; i++) await put(clients.kinesis, stream.name, `key-${i}`, 'm');
      // The merged shard is named by both parents: it gets one reader.
      for (let i = 0; i < 4; i++) await sampler.sampleNow();
      assert.equal(total(store, stream.name, 'IncomingRecords', began), 13);
    } finally {
      await sampler.stop();
      await stream.delete();
    }
  });

  it('a deleted stream ends its reader quietly', async () => {
    const stream = await createStream(clients.kinesis);
    const store = new MetricStore(new SimulatedClock(1));
    const lines: string[] = [];
    const sampler = new StreamMetricsSampler({ kinesis: clients.kinesis, store, streamNames: [stream.name], logger: (line) => lines.push(line) });
    await put(clients.kinesis, stream.name, 'k', 'one');
    await sampler.sampleNow();
    await stream.delete();
    await sampler.sampleNow();
    await sampler.sampleNow();
    await sampler.stop();
    assert.equal(total(store, stream.name, 'IncomingRecords', Date.now() - 60_000), 1);
    assert.deepEqual(lines, []);
  });
});
