/**
 * ParallelizationFactor against kinesis-local: up to N batches of one shard in flight at once, records
 * grouped by partition key so each key's records arrive in the order they were written, and the shard's
 * checkpoint only passes records whose every predecessor is finished.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { slotOf } from '../../local/event-source/shard-poller';
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

  it('with factor 2 a key group stuck on a failing batch does not block the other keys', async () => {
    const stream = await createStream(clients.kinesis);
    const bad = 'device-bad';
    // Keys of the other slot than the failing one.
    const good = Array.from({ length: 40 }, (_, i) => `device-${i}`).filter((k) => slotOf(k, 2) !== slotOf(bad, 2)).slice(0, 6);
    const goodEntries = Array.from({ length: 24 }, (_, i) => ({ PartitionKey: good[i % good.length] as string, Data: Buffer.from(`ok-${i}`) }));
    // A later record of the failing key: it must wait behind the poison record (order per key).
    const entries = [{ PartitionKey: bad, Data: Buffer.from('poison') }, ...goodEntries.slice(0, 8), { PartitionKey: bad, Data: Buffer.from('after-poison') }, ...goodEntries.slice(8)];
    await clients.kinesis.send(new PutRecordsCommand({ StreamName: stream.name, Records: entries }));
    let poisonAttempts = 0;
    const invoker = new FixtureInvoker((call) => {
      if (!call.data.includes('poison')) return null;
      poisonAttempts += 1;
      return { throw: 'cannot process' };
    });
    // Retries forever: the failing slot never gets past its record.
    const mapping = testMapping({ stream, invoker, clients }, { ParallelizationFactor: 2, BatchSize: 5, MaximumRetryAttempts: -1 });
    try {
      await mapping.start();
      // The read-ahead may deliver every good record before the failing batch's second attempt: wait for both.
      // Were the good keys blocked behind the failing one, they would never all arrive (it retries forever).
      await waitFor('every good record, while the failing batch keeps being retried', () => invoker.delivered().filter((d) => d.startsWith('ok-')).length >= 24 && poisonAttempts >= 2, 15_000);
      assert.deepEqual(
        invoker.delivered().filter((d) => d.startsWith('ok-')),
        Array.from({ length: 24 }, (_, i) => `ok-${i}`),
      );
      assert.ok(!invoker.delivered().includes('after-poison'), "the failing key's later record never overtakes it");
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
