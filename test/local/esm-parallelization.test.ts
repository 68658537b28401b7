/**
 * ParallelizationFactor against kinesis-local: up to N batches of one shard in flight at once, records
 * grouped by partition key so each key's records arrive in the order they were written, and the shard's
 * checkpoint only passes records whose every predecessor is finished.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { clientsFromEnv, createStream, FixtureInvoker, testMapping, waitFor, type TestClients } from '../../local/event-source/test-kit';

describe('Kinesis event source mapping: ParallelizationFactor', () => {
  let clients: TestClients;
  before(() => {
    clients = clientsFromEnv();
  });
  after(() => clients.destroy());

  it('with factor 2 runs two batches of one shard at once and keeps order per partition key', async () => {
    const stream = await createStream(clients.kinesis);
    const keys = Array.from({ length: 8 }, (_, i) => `device-${i}`);
    const perKey = 10;
    // Interleaved keys, written in order: device-0#0, device-1#0, ..., device-7#9.
    const entries = Array.from({ length: perKey }, (_, n) => keys.map((key) => ({ PartitionKey: key, Data: Buffer.from(`${key}#${n}`) }))).flat();
    await clients.kinesis.send(new PutRecordsCommand({ StreamName: stream.name, Records: entries }));
    const invoker = new FixtureInvoker(() => null, 80);
    const mapping = testMapping({ stream, invoker, clients }, { ParallelizationFactor: 2, BatchSize: 10 });
    try {
      await mapping.start();
      await waitFor('every record', () => new Set(invoker.delivered()).size === entries.length, 15_000);
      assert.equal(invoker.maxConcurrent, 2, 'two batches of the one shard were in flight together');
      for (const key of keys) {
        const seen = invoker.delivered().filter((d) => d.startsWith(`${key}#`));
        assert.deepEqual(seen, Array.from({ length: perKey }, (_, n) => `${key}#${n}`), `order of ${key}`);
      }
      // No batch mixes the two key groups' orders: a batch never holds a key twice out of order.
      for (const call of invoker.calls) {
        for (const key of keys) {
          const mine = call.data.filter((d) => d.startsWith(`${key}#`)).map((d) => Number(d.split('#')[1]));
          assert.deepEqual(mine, [...mine].sort((a, b) => a - b));
        }
      }
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });

  it('with factor 1 never runs two batches of a shard at once', async () => {
    const stream = await createStream(clients.kinesis);
    const entries = Array.from({ length: 40 }, (_, i) => ({ PartitionKey: `k${i % 8}`, Data: Buffer.from(`r${i}`) }));
    await clients.kinesis.send(new PutRecordsCommand({ StreamName: stream.name, Records: entries }));
    const invoker = new FixtureInvoker(() => null, 40);
    const mapping = testMapping({ stream, invoker, clients }, { ParallelizationFactor: 1, BatchSize: 10 });
    try {
      await mapping.start();
      await waitFor('every record', () => invoker.delivered().length >= 40, 15_000);
      assert.equal(invoker.maxConcurrent, 1);
      assert.deepEqual(invoker.delivered(), entries.map((e) => e.Data.toString()));
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });
});
