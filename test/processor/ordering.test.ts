/**
 * Per-key order and failure handling: a key's records run strictly in sequence order, different keys
 * concurrently (bounded), a retryable failure stops the rest of its key, the time margin stops new work.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActionFactory, ExternalAction, TransactionalAction } from '../../lambdas/actions/action';
import { idempotencyKeyOf } from '../../lambdas/shared/envelope';
import { getItem } from './support/aws';
import { cloudEvent, failedSequenceNumbers, kinesisEvent, lambdaContext, recordsOf } from './support/events';
import { createTestPipeline, type TestPipeline } from './support/pipeline';

/** An external action that records the order it ran events in, and fails events whose data says so. */
function recordingAction(log: string[], running: { now: number; max: number }): ActionFactory {
  const action: ExternalAction = {
    kind: 'external',
    eventTypes: ['test.event'],
    stateKeys: () => [],
    async run({ event }) {
      running.now += 1;
      running.max = Math.max(running.max, running.now);
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if ((event.data as { fail?: boolean } | undefined)?.fail) throw new Error('downstream unavailable');
        log.push(`${event.subject}:${(event.data as { n: number }).n}`);
        return 'processed';
      } finally {
        running.now -= 1;
      }
    },
  };
  return () => action;
}

const log: string[] = [];
const running = { now: 0, max: 0 };
let external: TestPipeline;
before(async () => {
  external = await createTestPipeline('order', recordingAction(log, running), { settings: { keyConcurrency: 3 } });
});
after(async () => external.cleanup());

test('records of one key run in sequence order; keys run concurrently up to the limit', async () => {
  log.length = 0;
  running.max = 0;
  const events = Array.from({ length: 40 }, (_, i) => cloudEvent({ subject: `k${i % 8}`, data: { n: Math.floor(i / 8) } }));
  // Deliver interleaved and reversed inside each key: the processor must sort by sequence number.
  const records = recordsOf(events);
  const response = await external.processor()(kinesisEvent([...records].reverse()), lambdaContext());
  assert.deepEqual(response, { batchItemFailures: [] });
  for (let k = 0; k < 8; k++) {
    const ofKey = log.filter((entry) => entry.startsWith(`k${k}:`));
    assert.deepEqual(ofKey, [0, 1, 2, 3, 4].map((n) => `k${k}:${n}`), `key k${k} ran in order`);
  }
  assert.equal(running.max, 3, 'at most KEY_CONCURRENCY keys at once, and more than one');
});

test('a retryable failure stops its key: later records of that key are not attempted and all are reported', async () => {
  log.length = 0;
  const events = [
    cloudEvent({ subject: 'a', data: { n: 0 } }),
    cloudEvent({ subject: 'b', data: { n: 0 } }),
    cloudEvent({ subject: 'a', data: { n: 1, fail: true } }),
    cloudEvent({ subject: 'b', data: { n: 1 } }),
    cloudEvent({ subject: 'a', data: { n: 2 } }),
    cloudEvent({ subject: 'a', data: { n: 3 } }),
  ];
  const records = recordsOf(events);
  const response = await external.processor()(kinesisEvent(records), lambdaContext());
  assert.deepEqual(failedSequenceNumbers(response), [records[2]!, records[4]!, records[5]!].map((r) => r.kinesis.sequenceNumber));
  assert.deepEqual(log.sort(), ['a:0', 'b:0', 'b:1']);
  // The failed record's claim was released: the retry does not wait for the lease.
  assert.equal(await getItem(external.settings.idempotencyTableName, idempotencyKeyOf(events[2]!)), undefined);
  assert.equal((await getItem(external.settings.idempotencyTableName, idempotencyKeyOf(events[0]!)))?.status, 'COMPLETED');

  // The event source mapping retries from the lowest failed record on; now the downstream is back.
  log.length = 0;
  const healed = [events[2]!, events[3]!, events[4]!, events[5]!].map((e) => ({ ...e, data: { ...(e.data as object), fail: false } }));
  const retryRecords = recordsOf(healed).map((r, i) => ({ ...r, kinesis: { ...r.kinesis, sequenceNumber: records[i + 2]!.kinesis.sequenceNumber } }));
  const retry = await external.processor()(kinesisEvent(retryRecords), lambdaContext());
  assert.deepEqual(retry, { batchItemFailures: [] });
  assert.deepEqual(log, ['a:1', 'a:2', 'a:3'], 'b:1 was a duplicate; key a resumed in order');
});

test('below the time margin no record is started and every one is reported failed', async () => {
  log.length = 0;
  const events = Array.from({ length: 4 }, (_, i) => cloudEvent({ subject: `t${i}`, data: { n: i } }));
  const records = recordsOf(events);
  const response = await external.processor()(kinesisEvent(records), lambdaContext(external.settings.timeMarginMs - 1));
  assert.deepEqual(failedSequenceNumbers(response), records.map((r) => r.kinesis.sequenceNumber));
  assert.deepEqual(log, []);
});

test('the time margin is checked before each record: work stops when time runs short', async () => {
  log.length = 0;
  const events = Array.from({ length: 6 }, (_, i) => cloudEvent({ subject: 'slow', data: { n: i } }));
  const records = recordsOf(events);
  let remaining = 10_000;
  const context = { awsRequestId: 'r', getRemainingTimeInMillis: () => (remaining -= 3000) };
  const response = await external.processor()(kinesisEvent(records), context);
  assert.ok(log.length >= 1 && log.length < 6, `some but not all records ran (${log.length})`);
  assert.deepEqual(failedSequenceNumbers(response), records.slice(log.length).map((r) => r.kinesis.sequenceNumber));
});

/** A transactional action that throws a retryable error for events marked to fail. */
const flakyTransactional: TransactionalAction = {
  kind: 'transactional',
  eventTypes: '*',
  stateKey: () => undefined,
  decide: ({ event }) => {
    if ((event.data as { fail?: boolean } | undefined)?.fail) throw new Error('transient');
    return { kind: 'none' };
  },
};

test('transactional actions stop a key at a retryable failure too, and commit the rest', async () => {
  const pipeline = await createTestPipeline('order-tx', () => flakyTransactional);
  try {
    const events = [
      cloudEvent({ subject: 'x' }),
      cloudEvent({ subject: 'x', data: { fail: true } }),
      cloudEvent({ subject: 'x' }),
      cloudEvent({ subject: 'y' }),
    ];
    const records = recordsOf(events);
    const response = await pipeline.processor()(kinesisEvent(records), lambdaContext());
    assert.deepEqual(failedSequenceNumbers(response), [records[1]!, records[2]!].map((r) => r.kinesis.sequenceNumber));
    const stored = await Promise.all(events.map((e) => getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(e))));
    assert.deepEqual(stored.map((item) => item?.status), ['COMPLETED', undefined, undefined, 'COMPLETED']);
  } finally {
    await pipeline.cleanup();
  }
});
