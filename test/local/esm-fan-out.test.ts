/**
 * Enhanced fan-out on the local target (local/event-source/fan-out-reader.ts): a mapping whose
 * EventSourceArn is a stream consumer's gets every record once and in order per key, reads on the
 * consumer's own budget while polling mappings saturate the shard's shared 5 GetRecords/s, and renews
 * its subscription (AWS: every 5 minutes) from the continuation sequence number without losing or
 * repeating a record. Resharding with enhanced fan-out is in esm-resharding.test.ts. Reads are observed
 * on the SDK client's middleware stack, on their way to kinesis-local.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShardReadLimits, readThrottled } from '../../local/event-source';
import { clientsFromEnv, createStream, FixtureInvoker, MemorySink, put, registerConsumer, sleep, testMapping, waitFor, type TestClients } from '../../local/event-source/test-kit';

describe('a mapping on an enhanced fan-out consumer', () => {
  let shared: TestClients;
  /** The fan-out mapping's own clients, so its Kinesis calls can be told from the polling mappings'. */
  let fanOutClients: TestClients;
  const fanOutCalls: { command: string; input: Record<string, unknown>; at: number }[] = [];
  before(() => {
    shared = clientsFromEnv();
    fanOutClients = clientsFromEnv();
    fanOutClients.kinesis.middlewareStack.add(
      (next, context) => async (args) => {
        fanOutCalls.push({ command: context.commandName ?? '', input: args.input as Record<string, unknown>, at: Date.now() });
        return next(args);
      },
      { step: 'initialize', name: 'recordFanOutCalls' },
    );
  });
  after(() => {
    shared.destroy();
    fanOutClients.destroy();
  });

  it('every record once, in order per key, on its own read budget beside polling mappings that saturate the shard; subscriptions renewed from the continuation', async () => {
    const stream = await createStream(shared.kinesis);
    const consumerArn = await registerConsumer(shared.kinesis, stream.arn);
    const sink = new MemorySink();
    // A shared limit of 1 read a second (AWS: 5) that two polling mappings at 50 ms polls keep saturated.
    const readLimits = new ShardReadLimits({ onThrottled: (name) => readThrottled(sink, name, Date.now()), readsPerSecond: 1 });
    const pollers = [0, 1].map(() => new FixtureInvoker(() => null));
    const polling = pollers.map((invoker) => testMapping({ stream, invoker, clients: shared, sink, readLimits }, { BatchSize: 100 }));
    const fanOut = new FixtureInvoker(() => null, 10);
    // Subscriptions of 400 ms instead of AWS's 5 minutes: several renewals while records arrive.
    const efo = testMapping({ stream: { arn: consumerArn }, invoker: fanOut, clients: fanOutClients, sink, readLimits, fanOut: { subscriptionMs: 400 } }, { BatchSize: 4 });
    const written: string[] = [];
    try {
      await Promise.all([...polling, efo].map((m) => m.start()));
      for (let i = 0; i < 40; i += 1) {
        written.push(`k${i % 4}#${i}`);
        await put(shared.kinesis, stream.name, `k${i % 4}`, `k${i % 4}#${i}`);
        if (i % 8 === 7) await sleep(150);
      }
      await waitFor('the fan-out mapping got every record', () => fanOut.delivered().length >= written.length, 20_000);
      await waitFor('the polling mappings got every record', () => pollers.every((p) => p.delivered().length >= written.length), 30_000);
      assert.deepEqual(fanOut.delivered(), written, 'every record once, in shard order (so in order per key)');
      for (const invoker of pollers) assert.deepEqual(invoker.delivered(), written);
      for (const call of fanOut.calls) assert.equal(call.event.Records[0]?.eventSourceARN, stream.arn, 'records name the stream, not the consumer');

      // Reads: in 3 s the shared limit grants 3 reads in all, and the polling mappings are throttled at it;
      // the fan-out mapping reads more than that alone: its reads are on another budget.
      const throttledBefore = sink.sum('ReadProvisionedThroughputExceeded');
      const from = Date.now();
      await sleep(3000);
      const fanOutReads = fanOutCalls.filter((c) => c.command === 'GetRecordsCommand' && c.at >= from).length;
      assert.ok(fanOutReads > 3, `the consumer read ${fanOutReads} times in 3 s`);
      assert.ok(sink.sum('ReadProvisionedThroughputExceeded') > throttledBefore, 'the polling mappings are still throttled meanwhile');

      // Renewals continue after the last record pushed, never from the start.
      const renewals = fanOutCalls.filter((c) => c.command === 'GetShardIteratorCommand');
      assert.ok(renewals.length >= 3, `subscriptions renewed (${renewals.length} iterators)`);
      assert.equal(renewals[0]?.input.ShardIteratorType, 'TRIM_HORIZON');
      assert.ok(renewals.slice(1).every((r) => r.input.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER'), 'each renewal starts after the continuation sequence number');
    } finally {
      await Promise.all([...polling, efo].map((m) => m.stop()));
      await stream.delete();
    }
  });

  it('a consumer that does not exist is reported as missing (CreateEventSourceMapping refuses the mapping)', async () => {
    const stream = await createStream(shared.kinesis);
    try {
      const mapping = testMapping({ stream: { arn: `${stream.arn}/consumer/missing:1700000000` }, invoker: new FixtureInvoker(() => null), clients: shared });
      assert.equal(await mapping.streamExists(), false);
      const consumerArn = await registerConsumer(shared.kinesis, stream.arn);
      assert.equal(await testMapping({ stream: { arn: consumerArn }, invoker: new FixtureInvoker(() => null), clients: shared }).streamExists(), true);
    } finally {
      await stream.delete();
    }
  });
});
