/**
 * The fidelity rows of the README that LocalStack's suite does not check, each against kinesis-local and
 * fauxqs: errors before the invoke are retried without using up MaximumRetryAttempts; an expired shard
 * iterator is replaced after the last record read (nothing lost, nothing twice); an on-failure
 * destination that cannot be reached counts DestinationDeliveryFailures and the records as dropped,
 * and the shard moves on; records that expire while being retried give up as RecordAgeExceeded with
 * every invocation counted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FunctionInvoker, InvokeResult } from '../../local/contracts';
import type { OnFailureInvocationRecord } from '../../local/event-source';
import { clientsFromEnv, createQueue, createStream, FixtureInvoker, MemorySink, put, receive, sleep, testMapping, waitFor, type TestClients } from '../../local/event-source/test-kit';

describe('Kinesis event source mapping: the behaviours the README claims beyond LocalStack\'s suite', { concurrency: true }, () => {
  let clients: TestClients;
  before(() => {
    clients = clientsFromEnv();
  });
  after(() => clients.destroy());

  it('errors before the invoke (the function cannot be reached) are retried without using up MaximumRetryAttempts', async () => {
    const stream = await createStream(clients.kinesis);
    const delivered = new FixtureInvoker(() => null);
    let refusals = 0;
    // The first four invokes never reach the function (as when Lambda throttles or the service fails).
    const invoker: FunctionInvoker = {
      invoke: async (name, event): Promise<InvokeResult> => {
        if (refusals < 4) {
          refusals += 1;
          throw new Error('TooManyRequestsException: Rate Exceeded.');
        }
        return delivered.invoke(name, event);
      },
    };
    const sink = new MemorySink();
    const mapping = testMapping({ stream, invoker, clients, sink }, { MaximumRetryAttempts: 0, MetricsConfig: { Metrics: ['EventCount'] } });
    try {
      await put(clients.kinesis, stream.name, 'k', 'survives');
      await mapping.start();
      await waitFor('the record delivered after the errors', () => delivered.delivered().includes('survives'));
      assert.equal(refusals, 4);
      assert.deepEqual(delivered.delivered(), ['survives'], 'delivered once, although MaximumRetryAttempts is 0');
      assert.equal(sink.sum('DroppedEventCount'), 0);
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });

  it('an expired shard iterator is replaced after the last record read: nothing lost, nothing twice', async () => {
    const stream = await createStream(clients.kinesis);
    const invoker = new FixtureInvoker(() => null);
    // kinesis-mock has no setting for the 5-minute iterator expiry: the 4th GetRecords is answered as AWS
    // answers an expired iterator (ExpiredIteratorException), on the SDK's stack, before it is sent.
    let getRecords = 0;
    const iteratorRequests: unknown[] = [];
    const kinesis = clientsFromEnv().kinesis;
    kinesis.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetRecordsCommand' && ++getRecords === 4) {
          throw Object.assign(new Error('Iterator expired. The iterator was created at time ... while right now it is ...'), { name: 'ExpiredIteratorException' });
        }
        if (context.commandName === 'GetShardIteratorCommand') iteratorRequests.push({ ...(args.input as object) });
        return next(args);
      },
      { step: 'initialize', name: 'expireOneIterator' },
    );
    const mapping = testMapping({ stream, invoker, clients: { ...clients, kinesis } }, { BatchSize: 2 });
    try {
      const seqs: string[] = [];
      for (let i = 0; i < 6; i += 1) seqs.push(await put(clients.kinesis, stream.name, 'k', `r${i}`));
      await mapping.start();
      await waitFor('all six records', () => invoker.delivered().length >= 6);
      await waitFor('the expired iterator', () => getRecords >= 4);
      await sleep(300);
      assert.deepEqual(invoker.delivered(), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
      assert.equal(iteratorRequests.length, 2, 'one new iterator after the expired one');
      const renewed = iteratorRequests[1] as { ShardIteratorType: string; StartingSequenceNumber: string };
      assert.equal(renewed.ShardIteratorType, 'AFTER_SEQUENCE_NUMBER');
      assert.ok(seqs.includes(renewed.StartingSequenceNumber), 'continues after a record it read');
    } finally {
      await mapping.stop();
      kinesis.destroy();
      await stream.delete();
    }
  });

  it('a destination that cannot be reached: DestinationDeliveryFailures 1, the records counted dropped, the shard moves on', async () => {
    const [stream, queue] = await Promise.all([createStream(clients.kinesis), createQueue(clients.sqs)]);
    const goneArn = queue.arn;
    await queue.delete();
    const sink = new MemorySink();
    const invoker = new FixtureInvoker((call) => (call.data.some((d) => d.startsWith('bad')) ? { throw: 'poison' } : null));
    const mapping = testMapping({ stream, invoker, clients, sink }, { MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: goneArn } }, MetricsConfig: { Metrics: ['EventCount'] } });
    try {
      await put(clients.kinesis, stream.name, 'a', 'bad-1');
      await put(clients.kinesis, stream.name, 'a', 'bad-2');
      await mapping.start();
      await waitFor('the delivery failure', () => sink.sum('DestinationDeliveryFailures') >= 1);
      await put(clients.kinesis, stream.name, 'a', 'good');
      await waitFor('the record after the failed batch', () => invoker.delivered().includes('good'));
      assert.equal(sink.sum('DestinationDeliveryFailures'), 1);
      assert.ok(sink.data.filter((d) => d.metricName === 'DestinationDeliveryFailures').every((d) => d.dimensions.FunctionName === 'fixture'));
      assert.equal(sink.sum('DroppedEventCount'), 2);
      assert.equal(sink.sum('OnFailureDestinationDeliveredEventCount'), 0);
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });

  it('a record that expires while being retried gives up as RecordAgeExceeded, approximateInvokeCount = the invocations made', async () => {
    const [stream, queue] = await Promise.all([createStream(clients.kinesis), createQueue(clients.sqs)]);
    const invoker = new FixtureInvoker(() => ({ throw: 'always' }));
    // Time scale 30: MaximumRecordAgeInSeconds 60 is 2 real seconds of retries every 20 ms.
    const mapping = testMapping({ stream, invoker, clients, timeScale: 30 }, { MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: 60, DestinationConfig: { OnFailure: { Destination: queue.arn } } });
    try {
      const seq = await put(clients.kinesis, stream.name, 'k', 'doomed');
      await mapping.start();
      const [record] = (await receive(clients.sqs, queue.url, 1, 20_000)) as OnFailureInvocationRecord[];
      assert.ok(record);
      assert.deepEqual(Object.keys(record), ['requestContext', 'version', 'timestamp', 'KinesisBatchInfo']);
      assert.equal(record.requestContext.condition, 'RecordAgeExceeded');
      assert.equal(record.KinesisBatchInfo.startSequenceNumber, seq);
      assert.ok(invoker.calls.length >= 2, `retried (${invoker.calls.length} invocations)`);
      assert.equal(record.requestContext.approximateInvokeCount, invoker.calls.length);
      await put(clients.kinesis, stream.name, 'k', 'next');
      await waitFor('the next record is tried', () => invoker.delivered().includes('next'));
    } finally {
      await mapping.stop();
      await Promise.all([stream.delete(), queue.delete()]);
    }
  });
});
