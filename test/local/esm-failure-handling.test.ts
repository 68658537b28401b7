/**
 * What happens to records that keep failing or are too old, against kinesis-local and fauxqs: the exact
 * on-failure invocation record for RetryAttemptsExhausted and RecordAgeExceeded, bisection isolating a
 * poison record, SNS as destination, and the AWS/Lambda metrics the mapping records on the way.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTopicCommand, DeleteTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import type { OnFailureInvocationRecord } from '../../local/event-source';
import { clientsFromEnv, createQueue, createStream, FixtureInvoker, MemorySink, put, receive, sleep, testMapping, waitFor, type TestClients } from '../../local/event-source/test-kit';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Kinesis event source mapping: failure handling', { concurrency: true }, () => {
  let clients: TestClients;
  before(() => {
    clients = clientsFromEnv();
  });
  after(() => clients.destroy());

  it('retries exhausted: attempts + 1 invocations, then AWS invocation record on SQS, then the shard moves on', async () => {
    const [stream, queue] = await Promise.all([createStream(clients.kinesis), createQueue(clients.sqs)]);
    const sink = new MemorySink();
    const seqs = [await put(clients.kinesis, stream.name, 'a', 'bad-1'), await put(clients.kinesis, stream.name, 'b', 'bad-2')];
    const invoker = new FixtureInvoker((call) => (call.data.some((d) => d.startsWith('bad')) ? { throw: 'poison' } : null));
    const mapping = testMapping(
      { stream, invoker, clients, sink },
      { MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: queue.arn } }, MetricsConfig: { Metrics: ['EventCount'] } },
    );
    try {
      const before = Date.now();
      await mapping.start();
      const [record] = (await receive(clients.sqs, queue.url, 1)) as OnFailureInvocationRecord[];
      assert.ok(record, 'an invocation record arrives');
      assert.equal(invoker.calls.length, 3, 'MaximumRetryAttempts 2 = 3 invocations');
      assert.deepEqual(Object.keys(record), ['requestContext', 'responseContext', 'version', 'timestamp', 'KinesisBatchInfo']);
      assert.deepEqual(Object.keys(record.requestContext), ['requestId', 'functionArn', 'condition', 'approximateInvokeCount']);
      assert.match(record.requestContext.requestId, UUID);
      assert.equal(record.requestContext.functionArn, mapping.config.FunctionArn);
      assert.equal(record.requestContext.condition, 'RetryAttemptsExhausted');
      assert.equal(record.requestContext.approximateInvokeCount, 3);
      assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
      assert.equal(record.version, '1.0');
      assert.match(record.timestamp, ISO_MS);
      assert.ok(Date.parse(record.timestamp) >= before);
      assert.deepEqual(Object.keys(record.KinesisBatchInfo), [
        'shardId',
        'startSequenceNumber',
        'endSequenceNumber',
        'approximateArrivalOfFirstRecord',
        'approximateArrivalOfLastRecord',
        'batchSize',
        'streamArn',
      ]);
      assert.equal(record.KinesisBatchInfo.shardId, 'shardId-000000000000');
      assert.equal(record.KinesisBatchInfo.startSequenceNumber, seqs[0]);
      assert.equal(record.KinesisBatchInfo.endSequenceNumber, seqs[1]);
      assert.match(record.KinesisBatchInfo.approximateArrivalOfFirstRecord, ISO_MS);
      assert.match(record.KinesisBatchInfo.approximateArrivalOfLastRecord, ISO_MS);
      assert.equal(record.KinesisBatchInfo.batchSize, 2);
      assert.equal(record.KinesisBatchInfo.streamArn, stream.arn);

      // The shard is not blocked any more: a good record behind the failed batch is delivered.
      await put(clients.kinesis, stream.name, 'c', 'good');
      await waitFor('the record after the failed batch', () => invoker.delivered().includes('good'));
      assert.equal(sink.sum('OnFailureDestinationDeliveredEventCount'), 2);
      assert.equal(sink.sum('FailedInvokeEventCount'), 6);
      assert.equal(sink.sum('DroppedEventCount'), 0);
      assert.ok(sink.sum('PolledEventCount') >= 3);
      assert.ok(sink.data.filter((d) => d.metricName === 'PolledEventCount').every((d) => d.dimensions.EventSourceMappingUUID === mapping.uuid && d.namespace === 'AWS/Lambda'));
      const ages = sink.data.filter((d) => d.metricName === 'IteratorAge');
      assert.equal(ages.length, 4, 'one IteratorAge datapoint per invocation');
      assert.ok(ages.every((d) => d.dimensions.FunctionName === 'fixture' && d.unit === 'Milliseconds' && d.value >= 0));
    } finally {
      await mapping.stop();
      await Promise.all([stream.delete(), queue.delete()]);
    }
  });

  it('record age exceeded: too-old records are reported without responseContext, newer ones still delivered', async () => {
    const [stream, queue] = await Promise.all([createStream(clients.kinesis), createQueue(clients.sqs)]);
    const oldSeqs = [await put(clients.kinesis, stream.name, 'a', 'old-1'), await put(clients.kinesis, stream.name, 'a', 'old-2')];
    // Time scale 20: 3.5 real seconds are 70 simulated seconds, past MaximumRecordAgeInSeconds 60; the
    // newer record is polled well within 3 real seconds (60 simulated).
    await sleep(3500);
    const newSeq = await put(clients.kinesis, stream.name, 'a', 'new');
    const invoker = new FixtureInvoker(() => null);
    const mapping = testMapping(
      { stream, invoker, clients, timeScale: 20 },
      { MaximumRecordAgeInSeconds: 60, DestinationConfig: { OnFailure: { Destination: queue.arn } } },
    );
    try {
      await mapping.start();
      const [record] = (await receive(clients.sqs, queue.url, 1)) as OnFailureInvocationRecord[];
      assert.ok(record);
      assert.deepEqual(Object.keys(record), ['requestContext', 'version', 'timestamp', 'KinesisBatchInfo']);
      assert.equal(record.requestContext.condition, 'RecordAgeExceeded');
      // AWS reports 1 for records too old before any invocation (LocalStack's snapshot, recorded on AWS).
      assert.equal(record.requestContext.approximateInvokeCount, 1);
      assert.equal(record.KinesisBatchInfo.startSequenceNumber, oldSeqs[0]);
      assert.equal(record.KinesisBatchInfo.endSequenceNumber, oldSeqs[1]);
      assert.equal(record.KinesisBatchInfo.batchSize, 2);
      await waitFor('the newer record', () => invoker.delivered().includes('new'));
      assert.deepEqual(invoker.delivered(), ['new']);
      assert.equal(invoker.calls[0]?.sequenceNumbers[0], newSeq);
    } finally {
      await mapping.stop();
      await Promise.all([stream.delete(), queue.delete()]);
    }
  });

  it('bisect isolates the failing record: only it reaches the destination, every other record is processed', async () => {
    const [stream, queue] = await Promise.all([createStream(clients.kinesis), createQueue(clients.sqs)]);
    const seqs: string[] = [];
    for (let i = 0; i < 8; i += 1) seqs.push(await put(clients.kinesis, stream.name, `k${i}`, i === 5 ? 'poison' : `ok-${i}`));
    const processed = new Set<string>();
    const invoker = new FixtureInvoker((call) => {
      if (call.data.includes('poison')) return { throw: 'cannot process poison' };
      for (const d of call.data) processed.add(d);
      return null;
    });
    const mapping = testMapping(
      { stream, invoker, clients },
      { BisectBatchOnFunctionError: true, MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: queue.arn } } },
    );
    try {
      await mapping.start();
      const [record] = (await receive(clients.sqs, queue.url, 1)) as OnFailureInvocationRecord[];
      assert.ok(record);
      assert.equal(record.KinesisBatchInfo.batchSize, 1);
      assert.equal(record.KinesisBatchInfo.startSequenceNumber, seqs[5]);
      assert.equal(record.KinesisBatchInfo.endSequenceNumber, seqs[5]);
      // Splits do not count as retries: the lone record itself was invoked attempts + 1 = 2 times.
      assert.equal(record.requestContext.approximateInvokeCount, 2);
      await waitFor('all good records', () => processed.size === 7);
      assert.deepEqual([...processed].sort(), ['ok-0', 'ok-1', 'ok-2', 'ok-3', 'ok-4', 'ok-6', 'ok-7']);
      // 8 fails → 0-3 ok, 4-7 fails → 4-5 fails → 4 ok, 5 fails twice (attempts + 1) → 6-7 ok.
      assert.deepEqual(invoker.calls.map((c) => c.data.length), [8, 4, 4, 2, 1, 1, 1, 2]);
    } finally {
      await mapping.stop();
      await Promise.all([stream.delete(), queue.delete()]);
    }
  });

  it('delivers the invocation record to an SNS topic destination', async () => {
    const [stream, queue] = await Promise.all([createStream(clients.kinesis), createQueue(clients.sqs)]);
    const topicArn = (await clients.sns.send(new CreateTopicCommand({ Name: `esm-topic-${Date.now()}` }))).TopicArn as string;
    await clients.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queue.arn, Attributes: { RawMessageDelivery: 'true' } }));
    const seq = await put(clients.kinesis, stream.name, 'a', 'bad');
    const invoker = new FixtureInvoker(() => ({ throw: 'always' }));
    const mapping = testMapping({ stream, invoker, clients }, { MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: topicArn } } });
    try {
      await mapping.start();
      const [record] = (await receive(clients.sqs, queue.url, 1)) as OnFailureInvocationRecord[];
      assert.ok(record);
      assert.equal(record.requestContext.condition, 'RetryAttemptsExhausted');
      assert.equal(record.requestContext.approximateInvokeCount, 1);
      assert.equal(record.KinesisBatchInfo.startSequenceNumber, seq);
      assert.equal(invoker.calls.length, 1);
    } finally {
      await mapping.stop();
      await Promise.all([stream.delete(), queue.delete(), clients.sns.send(new DeleteTopicCommand({ TopicArn: topicArn }))]);
    }
  });

  it('without a destination, records that give up are counted as DroppedEventCount', async () => {
    const stream = await createStream(clients.kinesis);
    const sink = new MemorySink();
    await put(clients.kinesis, stream.name, 'a', 'bad');
    const invoker = new FixtureInvoker((call) => (call.data.includes('bad') ? { throw: 'always' } : null));
    const mapping = testMapping({ stream, invoker, clients, sink }, { MaximumRetryAttempts: 1, MetricsConfig: { Metrics: ['EventCount'] } });
    try {
      await mapping.start();
      await put(clients.kinesis, stream.name, 'a', 'next');
      await waitFor('the next record', () => invoker.delivered().includes('next'));
      assert.equal(sink.sum('DroppedEventCount'), 1);
      assert.equal(sink.sum('OnFailureDestinationDeliveredEventCount'), 0);
      assert.deepEqual(invoker.delivered(), ['bad', 'bad', 'next']);
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });
});
