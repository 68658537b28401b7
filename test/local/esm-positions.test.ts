/**
 * Kinesis event source mapping against kinesis-local: where reading starts, the Lambda event shape,
 * batching, one batch in flight per shard, and switching the mapping off and on at run time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateStreamCommand, DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { clientsFromEnv, createStream, FixtureInvoker, put, sleep, testMapping, uniqueName, waitFor, type TestClients } from '../../local/event-source/test-kit';

describe('Kinesis event source mapping: positions, batching, enable/disable', () => {
  let clients: TestClients;
  before(() => {
    clients = clientsFromEnv();
  });
  after(() => clients.destroy());

  it('TRIM_HORIZON delivers records written before the mapping existed, as the AWS Lambda event', async () => {
    const stream = await createStream(clients.kinesis);
    const sequenceNumber = await put(clients.kinesis, stream.name, 'key-1', 'hello');
    const invoker = new FixtureInvoker(() => null);
    const mapping = testMapping({ stream, invoker, clients }, { StartingPosition: 'TRIM_HORIZON' });
    try {
      await mapping.start();
      await waitFor('the earlier record', () => invoker.calls.length > 0);
      const record = invoker.calls[0]?.event.Records[0];
      assert.ok(record);
      assert.deepEqual(Object.keys(record), ['kinesis', 'eventSource', 'eventVersion', 'eventID', 'eventName', 'invokeIdentityArn', 'awsRegion', 'eventSourceARN']);
      assert.deepEqual(Object.keys(record.kinesis), ['kinesisSchemaVersion', 'partitionKey', 'sequenceNumber', 'data', 'approximateArrivalTimestamp']);
      assert.equal(record.kinesis.kinesisSchemaVersion, '1.0');
      assert.equal(record.kinesis.partitionKey, 'key-1');
      assert.equal(record.kinesis.sequenceNumber, sequenceNumber);
      assert.equal(Buffer.from(record.kinesis.data, 'base64').toString(), 'hello');
      // Epoch seconds with a millisecond fraction, within a minute of now.
      assert.ok(Math.abs(record.kinesis.approximateArrivalTimestamp - Date.now() / 1000) < 60);
      assert.equal(record.kinesis.approximateArrivalTimestamp, Math.round(record.kinesis.approximateArrivalTimestamp * 1000) / 1000);
      assert.equal(record.eventSource, 'aws:kinesis');
      assert.equal(record.eventVersion, '1.0');
      assert.equal(record.eventID, `shardId-000000000000:${sequenceNumber}`);
      assert.equal(record.eventName, 'aws:kinesis:record');
      assert.match(record.invokeIdentityArn, /^arn:aws:iam::\d{12}:role\//);
      assert.equal(record.awsRegion, 'us-east-1');
      assert.equal(record.eventSourceARN, stream.arn);
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });

  it('LATEST skips records written before the mapping and delivers those written after', async () => {
    const stream = await createStream(clients.kinesis);
    await put(clients.kinesis, stream.name, 'k', 'before');
    const invoker = new FixtureInvoker(() => null);
    const mapping = testMapping({ stream, invoker, clients }, { StartingPosition: 'LATEST' });
    try {
      await mapping.start();
      await put(clients.kinesis, stream.name, 'k', 'after');
      await waitFor('the later record', () => invoker.delivered().includes('after'));
      await sleep(200);
      assert.deepEqual(invoker.delivered(), ['after']);
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });

  it('AT_TIMESTAMP starts at the first record that arrived at or after the timestamp', async () => {
    const stream = await createStream(clients.kinesis);
    await put(clients.kinesis, stream.name, 'k', 'earlier');
    await sleep(1100);
    const from = Date.now() / 1000;
    await put(clients.kinesis, stream.name, 'k', 'later');
    const invoker = new FixtureInvoker(() => null);
    const mapping = testMapping({ stream, invoker, clients }, { StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: from });
    try {
      await mapping.start();
      await waitFor('the later record', () => invoker.delivered().includes('later'));
      await sleep(200);
      assert.deepEqual(invoker.delivered(), ['later']);
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });

  it('cuts batches at the invocation payload limit even below BatchSize', async () => {
    const stream = await createStream(clients.kinesis);
    // kinesis-local needs seconds per megabyte, so the 6 MB limit is lowered to 20 kB here: the same
    // cut, at a size the emulator moves quickly. Each 6 kB record is about 8.6 kB in the event (base64).
    for (let i = 0; i < 7; i += 1) await put(clients.kinesis, stream.name, `k${i}`, String(i).repeat(6000));
    const invoker = new FixtureInvoker(() => null);
    const mapping = testMapping({ stream, invoker, clients, maxPayloadBytes: 20_000 }, { BatchSize: 100 });
    try {
      await mapping.start();
      await waitFor('all seven records', () => invoker.delivered().length >= 7);
      assert.deepEqual(invoker.calls.map((c) => c.data.length), [2, 2, 2, 1]);
      for (const call of invoker.calls) assert.ok(Buffer.byteLength(JSON.stringify(call.event)) <= 20_000);
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });

  it('stays Enabling while the stream cannot be read, and starts once it can', async () => {
    const name = uniqueName('esm-late');
    const invoker = new FixtureInvoker(() => null);
    const mapping = testMapping({ stream: { arn: `arn:aws:kinesis:us-east-1:000000000000:stream/${name}` }, invoker, clients });
    const starting = mapping.start();
    try {
      await sleep(300);
      assert.equal(mapping.state, 'Enabling');
      await clients.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      await waitFor('the stream to be read', () => mapping.state === 'Enabled', 10_000);
      await starting;
      await put(clients.kinesis, name, 'k', 'first');
      await waitFor('the first record', () => invoker.delivered().includes('first'));
    } finally {
      await mapping.stop();
      await clients.kinesis.send(new DeleteStreamCommand({ StreamName: name })).catch(() => undefined);
    }
  });

  it('keeps one batch in flight per shard and respects BatchSize', async () => {
    const stream = await createStream(clients.kinesis);
    for (let i = 0; i < 12; i += 1) await put(clients.kinesis, stream.name, `k${i}`, `r${i}`);
    const invoker = new FixtureInvoker(() => null, 60);
    const mapping = testMapping({ stream, invoker, clients }, { BatchSize: 5 });
    try {
      await mapping.start();
      await waitFor('all 12 records', () => invoker.delivered().length >= 12);
      assert.equal(invoker.maxConcurrent, 1);
      assert.deepEqual(invoker.calls.map((c) => c.data.length), [5, 5, 2]);
      assert.deepEqual(invoker.delivered(), Array.from({ length: 12 }, (_, i) => `r${i}`));
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });

  it('MaximumBatchingWindowInSeconds gathers records written over time into one batch', async () => {
    const stream = await createStream(clients.kinesis);
    const invoker = new FixtureInvoker(() => null);
    const mapping = testMapping({ stream, invoker, clients }, { StartingPosition: 'LATEST', BatchSize: 100, MaximumBatchingWindowInSeconds: 2 });
    try {
      await mapping.start();
      for (let i = 0; i < 4; i += 1) {
        await put(clients.kinesis, stream.name, 'k', `w${i}`);
        await sleep(150);
      }
      await waitFor('the windowed batch', () => invoker.calls.length > 0, 5000);
      assert.deepEqual(invoker.calls[0]?.data, ['w0', 'w1', 'w2', 'w3']);
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });

  it('disabling stops delivery after the batch in flight; re-enabling resumes from the checkpoint with nothing lost', async () => {
    const stream = await createStream(clients.kinesis);
    const invoker = new FixtureInvoker(() => null);
    const mapping = testMapping({ stream, invoker, clients }, { StartingPosition: 'LATEST' });
    try {
      await mapping.start();
      assert.equal(mapping.state, 'Enabled');
      await put(clients.kinesis, stream.name, 'k', 'one');
      await waitFor('the first record', () => invoker.delivered().includes('one'));

      const disabling = mapping.setEnabled(false);
      assert.equal(mapping.state, 'Disabling');
      await disabling;
      assert.equal(mapping.state, 'Disabled');
      const callsWhenDisabled = invoker.calls.length;
      for (const data of ['two', 'three', 'four']) await put(clients.kinesis, stream.name, 'k', data);
      await sleep(400);
      assert.equal(invoker.calls.length, callsWhenDisabled, 'nothing is delivered while disabled');

      await mapping.setEnabled(true);
      assert.equal(mapping.state, 'Enabled');
      await waitFor('the records written while disabled', () => invoker.delivered().includes('four'));
      assert.deepEqual(invoker.delivered(), ['one', 'two', 'three', 'four']);
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });
});
