/**
 * The producer through a Kinesis outage (the local target's fault proxy in front of the real Kinesis
 * emulator, refusing then stalling connections) and through a crash of the producing process: in
 * memory it rides out an outage shorter than its retry window and gives back, listed, what outlasts it;
 * with a spool nothing is given back, a full spool says so, a corrupt tail is reported and never sent,
 * and a SIGKILLed producer's successor delivers every event, per-key order kept, duplicates only of the
 * events in flight at the crash.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createKinesisClient } from '../../sdk/clients';
import { ClientError, DeliveryError, SpoolFullError } from '../../client/errors';
import { EventProducer, type EventProducerOptions, type SentEvent } from '../../client/event-producer';
import { Spool } from '../../client/spool/spool';
import { buildEventRecord } from '../../client/envelope-builder';
import type { CloudEvent } from '../../lambdas/shared/envelope';
import { startFaultProxy, type FaultProxy } from '../../local/emulators';
import { ProducerProcess } from '../../scenario/producer-process/producer-process';
import { eventsByKey, requireEnv } from './support/events';
import { TestStream } from './support/kinesis-streams';
import { ThrottlingProxy } from './support/throttling-proxy';

const fastRetries = { baseDelayMs: 20, maxDelayMs: 200 };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function tempSpool(): string {
  return mkdtempSync(join(tmpdir(), 'producer-spool-'));
}

async function withFaultProxy(run: (proxy: FaultProxy) => Promise<void>): Promise<void> {
  const proxy = await startFaultProxy(requireEnv('AWS_ENDPOINT_URL_KINESIS'));
  try {
    await run(proxy);
  } finally {
    await proxy.close();
  }
}

function producerVia(stream: TestStream, endpoint: string, options: Partial<EventProducerOptions> = {}): EventProducer {
  return new EventProducer({
    stream: { streamName: stream.streamName },
    source: 'urn:test:durability',
    // One SDK attempt per call: the producer's own retry policy is what is under test.
    client: createKinesisClient({ endpoint, maxAttempts: 1 }),
    backoff: fastRetries,
    lingerMs: 5,
    ...options,
  });
}

async function sendMany(producer: EventProducer, keys: number, perKey: number, tag = ''): Promise<{ sent: SentEvent[]; ids: Map<string, string[]> }> {
  const sent: SentEvent[] = [];
  const ids = new Map<string, string[]>();
  for (let n = 0; n < perKey; n++) {
    for (let k = 0; k < keys; k++) {
      const subject = `order-${k}`;
      const s = await producer.send({ type: 'order.status-changed', subject, data: { n, tag } });
      sent.push(s);
      ids.set(subject, [...(ids.get(subject) ?? []), s.event.id]);
    }
  }
  return { sent, ids };
}

function idsByKey(events: Map<string, CloudEvent[]>): Map<string, string[]> {
  return new Map([...events].map(([key, list]) => [key, list.map((e) => e.id)]));
}

/** Per key, each id once (its first occurrence): what the processor's idempotency leaves of a stream. */
function firstOccurrences(byKey: Map<string, string[]>): Map<string, string[]> {
  return new Map([...byKey].map(([key, ids]) => [key, [...new Set(ids)]]));
}

describe('producer through a Kinesis outage and a crash', () => {
  const client = createKinesisClient();
  const dirs: string[] = [];
  after(() => {
    client.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('in memory: rides out an outage shorter than its retry window, order kept', async () => {
    const stream = await TestStream.create('durable-short', 2, client);
    await withFaultProxy(async (proxy) => {
      const producer = producerVia(stream, proxy.endpoint, { retryWindowMs: 20_000 });
      proxy.setMode('refuse');
      const { ids } = await sendMany(producer, 5, 6);
      await sleep(1500);
      proxy.setMode('stall');
      await sleep(1000);
      assert.equal(producer.metrics().sent, 0, 'nothing reaches Kinesis during the outage');
      assert.ok(producer.metrics().retried > 0);
      assert.ok(producer.metrics().oldestUnacknowledgedAgeMs >= 2000, `oldest unacknowledged ${producer.metrics().oldestUnacknowledgedAgeMs} ms`);
      proxy.setMode('none');
      await producer.close();
      assert.equal(producer.metrics().givenUp, 0);
      assert.equal(producer.metrics().sent, 30);
      assert.deepEqual(idsByKey(eventsByKey(await stream.readAll())), ids);
    });
    await stream.delete();
  });

  it('in memory: an outage longer than the retry window gives every event back, listed with its reason', async () => {
    const stream = await TestStream.create('durable-long-mem', 1, client);
    await withFaultProxy(async (proxy) => {
      const failures: string[] = [];
      const producer = producerVia(stream, proxy.endpoint, { retryWindowMs: 1500, onFailure: (f) => failures.push(...f.items.map((e) => e.id)) });
      proxy.setMode('refuse');
      const { sent } = await sendMany(producer, 3, 4);
      const error = await producer.flush().then(
        () => assert.fail('flush() must reject when the outage outlasts the retry window'),
        (e: unknown) => e,
      );
      proxy.setMode('none');
      assert.ok(error instanceof DeliveryError);
      assert.match(error.message, /retry window 1\.5 s/);
      const given = sent.map((s) => s.event.id);
      assert.deepEqual(new Set((error.items as CloudEvent[]).map((e) => e.id)), new Set(given));
      assert.deepEqual(new Set(failures), new Set(given));
      for (const s of sent) assert.equal((await s.outcome).ok, false);
      assert.equal(producer.metrics().givenUp, 12);
      await producer.close();
      assert.deepEqual(await stream.readAll(), [], 'nothing was written');
    });
    await stream.delete();
  });

  it('with a spool: the same long outage loses nothing; send() resolves once on disk', async () => {
    const stream = await TestStream.create('durable-long-spool', 2, client);
    const directory = tempSpool();
    dirs.push(directory);
    await withFaultProxy(async (proxy) => {
      // The in-memory window of the test above (1.5 s) would give these back; a spool never does.
      const producer = await EventProducer.open({ ...baseOptions(stream, proxy.endpoint), spool: { directory } });
      proxy.setMode('refuse');
      const { ids } = await sendMany(producer, 4, 5);
      assert.equal(producer.metrics().spooled, 20, 'every event is on disk, none acknowledged');
      await sleep(2500);
      proxy.setMode('stall');
      await sleep(1000);
      assert.equal(producer.metrics().sent, 0);
      assert.equal(producer.metrics().givenUp, 0);
      proxy.setMode('none');
      await producer.close();
      assert.equal(producer.metrics().sent, 20);
      assert.equal(producer.metrics().spooled, 0);
      assert.deepEqual(idsByKey(eventsByKey(await stream.readAll())), ids);
    });
    await stream.delete();
  });

  it('with a spool: a full spool holds send() back, then rejects with SpoolFullError; what was spooled is delivered', async () => {
    const stream = await TestStream.create('durable-full', 1, client);
    const directory = tempSpool();
    dirs.push(directory);
    await withFaultProxy(async (proxy) => {
      const producer = await EventProducer.open({ ...baseOptions(stream, proxy.endpoint), spool: { directory, maxBytes: 8 * 1024, segmentBytes: 4 * 1024, fullTimeoutMs: 400 } });
      proxy.setMode('refuse');
      const accepted: string[] = [];
      let refusal: unknown;
      for (let n = 0; n < 200 && refusal === undefined; n++) {
        const began = Date.now();
        try {
          accepted.push((await producer.send({ type: 'reading', subject: 'device-1', data: { n, pad: 'x'.repeat(200) } })).event.id);
        } catch (error) {
          refusal = error;
          assert.ok(Date.now() - began >= 350, 'send() waited for room before giving up');
        }
      }
      assert.ok(refusal instanceof SpoolFullError, `expected SpoolFullError, got ${String(refusal)}`);
      assert.ok(refusal instanceof ClientError);
      assert.match(refusal.message, /is full \(8192 bytes/);
      assert.ok(accepted.length > 5 && accepted.length < 60, `${accepted.length} events fit`);
      assert.ok((producer.spoolStats?.bytes ?? 0) <= 8 * 1024 + 512);
      proxy.setMode('none');
      await producer.close();
      assert.deepEqual(idsByKey(eventsByKey(await stream.readAll())), new Map([['device-1', accepted]]));
    });
    await stream.delete();
  });

  it('with a spool: a torn tail is reported and never sent; the records before it are', async () => {
    const stream = await TestStream.create('durable-torn', 1, client);
    const directory = tempSpool();
    dirs.push(directory);
    // A process that spooled 10 events and died before sending any: the spool as it left it.
    const spool = await Spool.open({ directory });
    const events = Array.from({ length: 10 }, (_, n) => buildEventRecord({ type: 'reading', subject: 'device-7', source: 'urn:test:torn', data: { n } }));
    for (const e of events) await spool.append(e.partitionKey, e.data);
    await spool.close();
    const segment = join(directory, readdirSync(directory).find((f) => f.endsWith('.log'))!);
    // Torn in the middle of the last frame, then garbage after it, as a crash mid-write leaves it.
    truncateSync(segment, statSync(segment).size - 20);
    appendFileSync(segment, Buffer.from('garbage that is not a frame'));

    const reported: string[] = [];
    const producer = await EventProducer.open({
      stream: { streamName: stream.streamName },
      spool: { directory, onCorruption: (c) => reported.push(c.reason) },
    });
    await producer.close();
    assert.equal(reported.length, 1);
    assert.match(reported[0]!, /torn frame|checksum/);
    assert.equal(producer.metrics().spoolCorruptTails, 1);
    assert.equal(producer.metrics().recovered, 9);
    assert.ok(readdirSync(directory).some((f) => f.includes('.corrupt-')), 'the discarded bytes are kept for inspection');
    const stored = idsByKey(eventsByKey(await stream.readAll()));
    assert.deepEqual(stored, new Map([['device-7', events.slice(0, 9).map((e) => e.event.id)]]));
    await stream.delete();
  });

  it('a producer process killed with events spooled and in flight: its successor delivers each event, per-key order kept, duplicates only of the in-flight ones', async () => {
    const stream = await TestStream.create('durable-crash', 2, client);
    const directory = tempSpool();
    dirs.push(directory);
    const proxy = await ThrottlingProxy.start(requireEnv('AWS_ENDPOINT_URL_KINESIS'));
    const env = { ...process.env, AWS_ENDPOINT_URL_KINESIS: proxy.endpoint };
    const options = { streamName: stream.streamName, spoolDirectory: directory, lingerMs: 5, backoff: fastRetries, env };
    try {
      const first = await ProducerProcess.start(options);
      const sent = new Map<string, string[]>();
      const outcomes: Promise<{ ok: boolean }>[] = [];
      const put = async (n: number, subject: string): Promise<void> => {
        const event = buildEventRecord({ type: 'order.status-changed', subject, source: 'urn:test:crash', data: { n } }).event;
        sent.set(subject, [...(sent.get(subject) ?? []), event.id]);
        outcomes.push((await first.send(event)).outcome);
      };
      // Delivered and acknowledged before the crash.
      for (let n = 0; n < 4; n++) for (let k = 0; k < 6; k++) await put(n, `order-${k}`);
      await first.flush();
      assert.equal(first.metrics().sent, 24);
      const deliveredBefore = new Set([...sent.values()].flat());
      // Then Kinesis holds every call: the next events are spooled, one per key in flight, the rest queued.
      proxy.hold();
      for (let n = 4; n < 10; n++) for (let k = 0; k < 6; k++) await put(n, `order-${k}`);
      for (let i = 0; i < 100 && (first.metrics().spooled < 36 || proxy.stats.putRecordsCalls < 2); i++) await sleep(100);
      assert.equal(first.metrics().spooled, 36, 'every later event is on the spool, unacknowledged');
      await first.crash();
      // The held calls now reach Kinesis: written, but their acknowledgement has nobody to go to.
      proxy.release();
      await sleep(500);
      const landedUnacknowledged = new Set(eventsInStream(await stream.readAll()).filter((id) => !deliveredBefore.has(id)));
      assert.ok(landedUnacknowledged.size > 0 && landedUnacknowledged.size < 36, `${landedUnacknowledged.size} events were in flight at the crash`);

      await first.restart();
      await first.close();
      const counters = first.processCounters;
      assert.equal(counters.crashes, 1);
      assert.equal(counters.recoveredOnRestart, 36, 'the successor found every unacknowledged event');
      for (const outcome of outcomes) assert.equal((await outcome).ok, true);

      const stored = idsByKey(eventsByKey(await stream.readAll()));
      assert.deepEqual(firstOccurrences(stored), sent, 'each event delivered, per key in send order');
      const all = [...stored.values()].flat();
      const duplicated = new Set(all.filter((id, i) => all.indexOf(id) !== i));
      assert.deepEqual(duplicated, landedUnacknowledged, 'duplicates are exactly the events written to Kinesis and unacknowledged at the crash');
      for (const id of deliveredBefore) assert.equal(all.filter((x) => x === id).length, 1, 'an acknowledged event is never sent again');
    } finally {
      await proxy.stop();
      await stream.delete();
    }
  });
});

function baseOptions(stream: TestStream, endpoint: string): EventProducerOptions {
  return {
    stream: { streamName: stream.streamName },
    source: 'urn:test:durability',
    client: createKinesisClient({ endpoint, maxAttempts: 1 }),
    backoff: fastRetries,
    lingerMs: 5,
  };
}

function eventsInStream(records: Awaited<ReturnType<TestStream['readAll']>>): string[] {
  return [...eventsByKey(records).values()].flat().map((e) => e.id);
}
