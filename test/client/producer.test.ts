/**
 * The producer client against the real Kinesis emulator, with throttling injected by a proxy that
 * really withholds the records it reports failed.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createKinesisClient } from '../../sdk/clients';
import { DeliveryError, EventTooLargeError, EventValidationError, ProducerClosedError, type DeliveryFailure } from '../../client/errors';
import { EventProducer, type EventProducerOptions, type SentEvent } from '../../client/event-producer';
import type { CloudEvent } from '../../lambdas/shared/envelope';
import { seededRandom } from '../../client/operations/seeded-random';
import { eventsByKey, requireEnv } from './support/events';
import { bySequence, TestStream } from './support/kinesis-streams';
import { decodeBatch } from '../../lambdas/processor/records';
import { ThrottlingProxy, type ProxyPolicy } from './support/throttling-proxy';

const fastRetries = { baseDelayMs: 5, maxDelayMs: 40 };

async function withProxy(policy: ProxyPolicy, run: (proxy: ThrottlingProxy) => Promise<void>): Promise<void> {
  const proxy = await ThrottlingProxy.start(requireEnv('AWS_ENDPOINT_URL_KINESIS'), policy);
  try {
    await run(proxy);
  } finally {
    await proxy.stop();
  }
}

/** Sends `perKey` events for each of `keys` subjects, interleaved, without awaiting deliveries. */
async function sendInterleaved(producer: EventProducer, keys: number, perKey: number): Promise<Map<string, string[]>> {
  const sentIds = new Map<string, string[]>();
  for (let n = 0; n < perKey; n++) {
    for (let k = 0; k < keys; k++) {
      const subject = `order-${k}`;
      const { event } = await producer.send({ type: 'order.status-changed', subject, data: { n } });
      sentIds.set(subject, [...(sentIds.get(subject) ?? []), event.id]);
    }
  }
  return sentIds;
}

/** A producer whose Kinesis calls go through the proxy, with fast retries so tests stay short. */
function proxiedProducer(stream: TestStream, proxy: ThrottlingProxy, options: Partial<EventProducerOptions> = {}): EventProducer {
  return new EventProducer({
    stream: { streamName: stream.streamName },
    source: 'urn:test:producer',
    client: createKinesisClient({ endpoint: proxy.endpoint }),
    backoff: fastRetries,
    maxAttempts: 30,
    ...options,
  });
}

function idsByKey(events: Map<string, CloudEvent[]>): Map<string, string[]> {
  return new Map([...events].map(([key, list]) => [key, list.map((e) => e.id)]));
}

describe('producer client', () => {
  const client = createKinesisClient();
  after(() => client.destroy());

  it('delivers every event exactly once and in send order per subject while the stream throttles records', async () => {
    const stream = await TestStream.create('producer-throttled', 2, client);
    const random = seededRandom(7);
    const policy: ProxyPolicy = {
      record: () => {
        const roll = random.next();
        return roll < 0.3 ? 'ProvisionedThroughputExceededException' : roll < 0.4 ? 'InternalFailure' : 'pass';
      },
    };
    await withProxy(policy, async (proxy) => {
      const producer = proxiedProducer(stream, proxy);
      const sent = await sendInterleaved(producer, 10, 12);
      await producer.close();

      assert.ok(proxy.stats.throttledRecords > 25, `the proxy throttled ${proxy.stats.throttledRecords} records`);
      assert.ok(proxy.stats.internalFailureRecords > 5);
      assert.equal(producer.stats.acknowledged, 120);
      assert.ok(producer.stats.retries >= proxy.stats.throttledRecords + proxy.stats.internalFailureRecords);
      const stored = idsByKey(eventsByKey(await stream.readAll()));
      assert.deepEqual(stored, sent, 'each subject holds exactly its events, in the order they were sent');
    });
    await stream.delete();
  });

  it('batches events of many subjects into few PutRecords calls', async () => {
    const stream = await TestStream.create('producer-batching', 2, client);
    const producer = new EventProducer({ stream: { streamName: stream.streamName }, source: 'urn:test:producer', lingerMs: 50 });
    const sent = await sendInterleaved(producer, 200, 2);
    await producer.close();
    // One record per subject per call (the ordering rule), so 400 events of 200 subjects need 2 calls at least.
    assert.ok(producer.stats.putRecordsCalls >= 2 && producer.stats.putRecordsCalls <= 6, `${producer.stats.putRecordsCalls} calls`);
    assert.deepEqual(idsByKey(eventsByKey(await stream.readAll())), sent);
    await stream.delete();
  });

  it('retries whole PutRecords calls that fail with a retryable error, keeping order', async () => {
    const stream = await TestStream.create('producer-callfail', 1, client);
    const policy: ProxyPolicy = {
      call: (n) =>
        n % 3 === 1 ? { status: 400, type: 'ProvisionedThroughputExceededException' } : n % 3 === 2 ? { status: 500, type: 'InternalFailure' } : undefined,
    };
    await withProxy(policy, async (proxy) => {
      const producer = proxiedProducer(stream, proxy, { client: createKinesisClient({ endpoint: proxy.endpoint, maxAttempts: 1 }) });
      const sent = await sendInterleaved(producer, 5, 10);
      await producer.close();
      assert.ok(proxy.stats.failedCalls >= 4, `the proxy failed ${proxy.stats.failedCalls} calls`);
      assert.deepEqual(idsByKey(eventsByKey(await stream.readAll())), sent);
    });
    await stream.delete();
  });

  it('reports the events it gives up on: flush() rejects listing them, onFailure gets them, other subjects are delivered', async () => {
    const stream = await TestStream.create('producer-giveup', 1, client);
    const policy: ProxyPolicy = { record: (r) => (r.partitionKey === 'order-doomed' ? 'ProvisionedThroughputExceededException' : 'pass') };
    await withProxy(policy, async (proxy) => {
      const reported: DeliveryFailure<CloudEvent>[] = [];
      const producer = proxiedProducer(stream, proxy, { maxAttempts: 3, onFailure: (failure) => reported.push(failure) });
      const doomed: SentEvent[] = [];
      const fine: string[] = [];
      for (let n = 0; n < 3; n++) {
        doomed.push(await producer.send({ type: 'order.status-changed', subject: 'order-doomed', data: { n } }));
        fine.push((await producer.send({ type: 'order.status-changed', subject: 'order-fine', data: { n } })).event.id);
      }
      const error = await producer.flush().then(
        () => assert.fail('flush() must reject when events were given up on'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DeliveryError);
      assert.match(error.message, /3 record\(s\) could not be delivered.*ProvisionedThroughputExceededException/);
      const doomedIds = doomed.map((s) => s.event.id);
      assert.deepEqual(
        (error.items as CloudEvent[]).map((e) => e.id),
        doomedIds,
      );
      assert.deepEqual(
        reported.flatMap((f) => f.items.map((e) => e.id)),
        doomedIds,
      );
      assert.ok(reported.every((f) => f.attempts === 3 && f.partitionKey === 'order-doomed'));
      for (const sent of doomed) assert.equal((await sent.outcome).ok, false);
      await producer.close(); // nothing new failed since the flush that reported them
      const stored = idsByKey(eventsByKey(await stream.readAll()));
      assert.deepEqual(stored, new Map([['order-fine', fine]]));
      assert.equal(proxy.stats.throttledRecords, 9, 'three attempts for each of the three doomed events');
    });
    await stream.delete();
  });

  it('fails at once, without retrying, when the stream does not exist', async () => {
    const producer = new EventProducer({ stream: { streamName: 'no-such-stream-here' }, source: 'urn:test:producer', backoff: fastRetries });
    const { outcome } = await producer.send({ type: 'order.status-changed', subject: 'order-1' });
    await assert.rejects(producer.close(), (error: unknown) => {
      assert.ok(error instanceof DeliveryError);
      assert.equal(error.failures.length, 1);
      assert.match(error.failures[0]!.reason, /ResourceNotFound/);
      assert.equal(error.failures[0]!.attempts, 1);
      return true;
    });
    assert.equal((await outcome).ok, false);
  });

  it('applies backpressure: send() waits while the buffer is full and resumes as records are acknowledged', async () => {
    const stream = await TestStream.create('producer-backpressure', 1, client);
    await withProxy({}, async (proxy) => {
      proxy.hold();
      const producer = proxiedProducer(stream, proxy, { maxBufferedRecords: 5, lingerMs: 0 });
      const ids: string[] = [];
      for (let n = 0; n < 5; n++) ids.push((await producer.send({ type: 'reading', subject: 'device-1', data: { n } })).event.id);
      let sixthAccepted = false;
      const sixth = producer.send({ type: 'reading', subject: 'device-1', data: { n: 5 } }).then((s) => {
        sixthAccepted = true;
        return s;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(sixthAccepted, false, 'the sixth send waits while five records are undelivered');
      assert.equal(producer.stats.buffered, 5);
      proxy.release();
      ids.push((await sixth).event.id);
      await producer.close();
      assert.equal(producer.stats.acknowledged, 6);
      assert.deepEqual(idsByKey(eventsByKey(await stream.readAll())), new Map([['device-1', ids]]));
    });
    await stream.delete();
  });

  it('rejects invalid events at the call site, naming each bad field, and sends nothing', async () => {
    const producer = new EventProducer({ stream: { streamName: 'never-used' } });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ subject: 'order-1', source: 'urn:a' }, /type: is required/],
      [{ type: 'order.status-changed', subject: 'order-1' }, /source: is required/],
      [{ type: 'x', source: 'urn:a', time: 'yesterday' }, /time: must be an RFC 3339 timestamp/],
      [{ type: 'x', source: 'urn:a', subject: 'k'.repeat(257) }, /subject: must be at most 256 characters/],
      [{ type: 'x', source: 'urn:a', specversion: '0.3' }, /specversion: must be "1.0"/],
      [{ type: '', source: '', id: '' }, /id: must be a non-empty string; source: .*; type: must be a non-empty string/],
    ];
    for (const [input, reason] of cases) {
      await assert.rejects(
        producer.send(input as never),
        (error: unknown) => error instanceof EventValidationError && reason.test(error.message),
        `expected ${reason} for ${JSON.stringify(input).slice(0, 80)}`,
      );
    }
    await producer.close();
    assert.equal(producer.stats.enqueued, 0);
    assert.equal(producer.stats.putRecordsCalls, 0);
  });

  it('rejects an event over the 1 MiB record limit and delivers one just under it', async () => {
    const stream = await TestStream.create('producer-size', 1, client);
    const producer = new EventProducer({ stream: { streamName: stream.streamName }, source: 'urn:test:producer' });
    await assert.rejects(producer.send({ type: 'blob', subject: 'big', data: 'x'.repeat(1024 * 1024) }), (error: unknown) => {
      assert.ok(error instanceof EventTooLargeError);
      assert.ok(error.sizeBytes > 1024 * 1024);
      assert.match(error.message, /the limit is 1048576 bytes/);
      return true;
    });
    const fits = await producer.send({ type: 'blob', subject: 'big', data: 'x'.repeat(1024 * 1024 - 400) });
    await producer.close();
    assert.equal((await fits.outcome).ok, true);
    const stored = await stream.readAll();
    assert.equal(stored.length, 1);
    assert.ok(stored[0]!.data.byteLength + stored[0]!.partitionKey.length <= 1024 * 1024);
    await stream.delete();
  });

  it('builds the envelope: generated id and time, subject as partition key, given attributes kept', async () => {
    const stream = await TestStream.create('producer-envelope', 1, client);
    const producer = new EventProducer({ stream: { streamName: stream.streamName }, source: 'urn:test:default' });
    const generated = await producer.send({ type: 'order.created', subject: 'order-9', data: { total: 12 } });
    const explicit = await producer.send({ type: 'order.created', subject: 'order-9', id: 'evt-1', source: 'urn:other', time: new Date('2026-01-02T03:04:05Z'), region: 'eu' });
    await producer.close();
    const stored = await stream.readAll();
    assert.deepEqual(
      stored.map((r) => r.partitionKey),
      ['order-9', 'order-9'],
    );
    const [first, second] = eventsByKey(stored).get('order-9')!;
    assert.match(first!.id, /^[0-9a-f-]{36}$/);
    assert.equal(first!.id, generated.event.id);
    assert.equal(first!.source, 'urn:test:default');
    assert.equal(first!.datacontenttype, 'application/json');
    assert.ok(Math.abs(Date.parse(first!.time!) - Date.now()) < 60_000);
    assert.deepEqual(second, { ...explicit.event, specversion: '1.0', id: 'evt-1', source: 'urn:other', time: '2026-01-02T03:04:05.000Z', region: 'eu' });
    await stream.delete();
  });

  it('aggregates small events of a subject into KPL records that deaggregate to the same events, in order, under throttling', async () => {
    const stream = await TestStream.create('producer-kpl', 2, client);
    await withProxy({ record: (_, call) => (call % 2 === 1 ? 'ProvisionedThroughputExceededException' : 'pass') }, async (proxy) => {
      // Small aggregates, so that each subject's events span several of them.
      const producer = proxiedProducer(stream, proxy, { aggregate: { maxBytes: 4096 } });
      const sent = await sendInterleaved(producer, 4, 100);
      await producer.close();
      const stored = await stream.readAll();
      assert.ok(proxy.stats.throttledRecords > 0);
      assert.ok(stored.length >= 8 && stored.length < 100, `400 events in ${stored.length} Kinesis records`);
      assert.equal(producer.stats.kinesisRecords, stored.length);
      assert.deepEqual(idsByKey(eventsByKey(stored)), sent);

      // The processor's own decoder, fed the records as Lambda would deliver them, sees the same events.
      const arn = await stream.streamArn;
      const decoded = decodeBatch(
        [...stored].sort(bySequence).map((r) => ({
          kinesis: { kinesisSchemaVersion: '1.0', partitionKey: r.partitionKey, sequenceNumber: r.sequenceNumber, data: Buffer.from(r.data).toString('base64'), approximateArrivalTimestamp: Date.now() / 1000 },
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `${r.shardId}:${r.sequenceNumber}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: 'arn:aws:iam::000000000000:role/test',
          awsRegion: 'us-east-1',
          eventSourceARN: arn,
        })),
      );
      const fromProcessor = new Map<string, string[]>();
      for (const d of decoded) {
        assert.ok(d.ok, d.ok ? '' : d.error);
        fromProcessor.set(d.partitionKey, [...(fromProcessor.get(d.partitionKey) ?? []), d.event.id]);
      }
      assert.deepEqual(fromProcessor, sent);
    });
    await stream.delete();
  });

  it('refuses events after close()', async () => {
    const producer = new EventProducer({ stream: { streamName: 'never-used' }, source: 'urn:test' });
    await producer.close();
    await assert.rejects(producer.send({ type: 'x' }), ProducerClosedError);
  });
});
