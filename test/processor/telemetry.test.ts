/**
 * The telemetry action (external, at-least-once): one SNS alert per device+metric incident, not per
 * reading; recovery closes the incident; a crash between the alert and the completion write neither
 * loses the event nor repeats the alert; concurrent invocations do not double-alert.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { findPipeline, loadConfig } from '../../lib/config';
import { telemetry } from '../../lambdas/actions/telemetry';
import { TELEMETRY_ALERT_KIND, TelemetryEventType, type TelemetryAlert } from '../../lambdas/shared/telemetry-events';
import { idempotencyKeyOf, type CloudEvent } from '../../lambdas/shared/envelope';
import { drainQueue, getItem, sns } from './support/aws';
import { cloudEvent, failedSequenceNumbers, kinesisEvent, lambdaContext, recordsOf } from './support/events';
import { clientsFailing, clientsWithDynamoHook, createTestPipeline, type TestPipeline } from './support/pipeline';

const config = findPipeline(loadConfig(), 'telemetry').telemetry!;
const maxTemperature = config.thresholds.temperatureC!.max!;

let pipeline: TestPipeline;
before(async () => {
  pipeline = await createTestPipeline('telemetry', telemetry(sns), { withTopic: true, settings: { telemetryConfigJson: JSON.stringify(config) } });
});
after(async () => pipeline.cleanup());

let clock = Date.now();
const reading = (deviceId: string, readings: Record<string, number>): CloudEvent => {
  clock += 1000;
  return cloudEvent({ subject: deviceId, type: TelemetryEventType.Reading, time: new Date(clock).toISOString(), data: { deviceId, readings } });
};

async function alerts(): Promise<TelemetryAlert[]> {
  // SNS → SQS delivery is asynchronous in the emulator; give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return (await drainQueue(pipeline.alertsQueueUrl!)).map((m) => JSON.parse(m.Body!) as TelemetryAlert);
}

test('several breaching readings of one incident publish one alert', async () => {
  const hot = maxTemperature + 5;
  const first = [reading('dev-1', { temperatureC: hot, pressureBar: 5 }), reading('dev-1', { temperatureC: hot + 1 })];
  assert.deepEqual(await pipeline.processor()(kinesisEvent(recordsOf(first)), lambdaContext()), { batchItemFailures: [] });
  assert.deepEqual(await pipeline.processor()(kinesisEvent(recordsOf([reading('dev-1', { temperatureC: hot + 2 })])), lambdaContext()), { batchItemFailures: [] });
  const published = await alerts();
  assert.equal(published.length, 1);
  assert.deepEqual(
    { kind: published[0]!.kind, device: published[0]!.device, metric: published[0]!.metric, value: published[0]!.value, threshold: published[0]!.threshold, eventId: published[0]!.eventId },
    { kind: TELEMETRY_ALERT_KIND, device: 'dev-1', metric: 'temperatureC', value: hot, threshold: { max: maxTemperature }, eventId: first[0]!.id },
  );
  const incident = await getItem(pipeline.settings.stateTableName!, 'dev-1#temperatureC');
  assert.equal(incident?.breaches, 3);
  assert.ok((incident?.expiresAt as number) > Date.now() / 1000, 'incidents expire by TTL');
});

test('a reading back within limits closes the incident; the next breach is a new incident with a new alert', async () => {
  const events = [reading('dev-2', { pressureBar: 0.5 }), reading('dev-2', { pressureBar: 5 }), reading('dev-2', { pressureBar: 13 })];
  await pipeline.processor()(kinesisEvent(recordsOf(events.slice(0, 2))), lambdaContext());
  assert.equal(await getItem(pipeline.settings.stateTableName!, 'dev-2#pressureBar'), undefined, 'closed');
  await pipeline.processor()(kinesisEvent(recordsOf(events.slice(2))), lambdaContext());
  const published = await alerts();
  assert.deepEqual(published.map((a) => [a.device, a.metric, a.value]), [['dev-2', 'pressureBar', 0.5], ['dev-2', 'pressureBar', 13]]);
});

test('each breaching metric of a device is its own incident', async () => {
  await pipeline.processor()(kinesisEvent(recordsOf([reading('dev-3', { temperatureC: maxTemperature + 1, vibrationMmS: 100, unknownMetric: 1e9 })])), lambdaContext());
  assert.deepEqual((await alerts()).map((a) => a.metric).sort(), ['temperatureC', 'vibrationMmS']);
});

test('a crash after the alert but before the completion write: the redelivery takes its own claim over at once, alert not repeated', async () => {
  const hot = reading('dev-4', { temperatureC: maxTemperature + 10 });
  const records = recordsOf([hot]);
  // The completion write fails: the invocation did the effect but could not record it.
  const crashed = await pipeline.processor({ clients: clientsFailing(['BatchWriteItem']) })(kinesisEvent(records), lambdaContext());
  assert.deepEqual(crashed, { batchItemFailures: [] });
  assert.equal((await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(hot)))?.status, 'IN_PROGRESS');
  assert.equal((await alerts()).length, 1);

  // The same record again (the event source mapping never has it in two invocations at once): the
  // claim it left is its own, so it runs again at once (at-least-once) and the open incident suppresses a second alert.
  const mark = pipeline.metricLines.length;
  assert.deepEqual(await pipeline.processor()(kinesisEvent(records), lambdaContext()), { batchItemFailures: [] });
  assert.equal((JSON.parse(pipeline.metricLines[mark]!) as Record<string, number>).EventsProcessed, 1);
  assert.equal((await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(hot)))?.status, 'COMPLETED');
  assert.equal((await alerts()).length, 0);
});

test('a claim left by another record with the same key (a replay, a producer duplicate) holds for its lease, then is taken over', async () => {
  const hot = reading('dev-4c', { temperatureC: maxTemperature + 10 });
  const original = recordsOf([hot]);
  await pipeline.processor({ clients: clientsFailing(['BatchWriteItem']) })(kinesisEvent(original), lambdaContext());
  assert.equal((await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(hot)))?.status, 'IN_PROGRESS');
  assert.equal((await alerts()).length, 1);

  const duplicate = recordsOf([hot]); // the same event put again: a new sequence number
  const early = await pipeline.processor()(kinesisEvent(duplicate), lambdaContext());
  assert.deepEqual(failedSequenceNumbers(early), [duplicate[0]!.kinesis.sequenceNumber], 'deferred while the other record’s lease runs');

  const later = pipeline.processor({ clock: () => Date.now() + (pipeline.settings.leaseSeconds + 1) * 1000 });
  assert.deepEqual(await later(kinesisEvent(duplicate), lambdaContext()), { batchItemFailures: [] });
  assert.equal((await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(hot)))?.status, 'COMPLETED');
  assert.equal((await alerts()).length, 0, 'the open incident suppresses a second alert');
});

test('a completion write that fails briefly is retried in the same invocation: the key ends completed, one alert', async () => {
  const hot = reading('dev-4b', { temperatureC: maxTemperature + 10 });
  const records = recordsOf([hot]);
  let completionFailures = 0;
  const blip = clientsWithDynamoHook(async (operation) => {
    // Two failed attempts at the completion write, as during a short DynamoDB outage.
    if (operation === 'BatchWriteItem' && completionFailures < 2) {
      completionFailures++;
      throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'TimeoutError' });
    }
  });
  assert.deepEqual(await pipeline.processor({ clients: blip })(kinesisEvent(records), lambdaContext()), { batchItemFailures: [] });
  assert.equal(completionFailures, 2);
  assert.equal((await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(hot)))?.status, 'COMPLETED');
  assert.equal((await alerts()).length, 1);
});

test('concurrent invocations with the same readings (a producer duplicate on another shard) publish one alert', async () => {
  const events = [reading('dev-5', { vibrationMmS: 50 }), reading('dev-5', { vibrationMmS: 60 })];
  const batches = [kinesisEvent(recordsOf(events)), kinesisEvent(recordsOf(events))];
  const responses = await Promise.all(batches.map((batch) => pipeline.processor()(batch, lambdaContext())));
  const later = pipeline.processor({ clock: () => Date.now() + (pipeline.settings.leaseSeconds + 1) * 1000 });
  for (const [i, response] of responses.entries()) {
    if (response.batchItemFailures.length > 0) assert.deepEqual(await later(batches[i]!, lambdaContext()), { batchItemFailures: [] });
  }
  assert.equal((await alerts()).length, 1);
});

test('a reading with bad data is dead-lettered; a redelivery does not run it again, a replay (a new record) does', async () => {
  const bad = reading('dev-6', { temperatureC: 'hot' as unknown as number });
  const records = recordsOf([bad]);
  assert.deepEqual(await pipeline.processor()(kinesisEvent(records), lambdaContext()), { batchItemFailures: [] });
  const [message] = await drainQueue(pipeline.settings.deadLetterQueueUrl);
  assert.match(message!.Body!, /"reason":"action-rejected"/);
  assert.match(message!.Body!, /readings\.temperatureC must be a number/);
  assert.equal((await getItem(pipeline.settings.idempotencyTableName, idempotencyKeyOf(bad)))?.status, 'DEAD_LETTERED');

  assert.deepEqual(await pipeline.processor()(kinesisEvent(records), lambdaContext()), { batchItemFailures: [] }, 'a redelivery');
  assert.equal((await drainQueue(pipeline.settings.deadLetterQueueUrl)).length, 0, 'not dead-lettered twice');

  const replay = recordsOf([bad]); // `dlq replay` puts the bytes back: a new record of the same event
  assert.deepEqual(await pipeline.processor()(kinesisEvent(replay), lambdaContext()), { batchItemFailures: [] });
  assert.equal((await drainQueue(pipeline.settings.deadLetterQueueUrl)).length, 1, 'the replay ran the action again (and the data is still bad)');
});

test('a refused reading repeated by its producer: the repeat alone is a new record, and neither record runs again when redelivered', async () => {
  // Its incident cannot be stored (1e200 is beyond DynamoDB's numbers), after its alert went out.
  const refused = reading('dev-7', { temperatureC: 1e200 });
  const [first, repeat] = recordsOf([refused, refused]);
  const deliver = async (records: typeof first[]) => {
    assert.deepEqual(await pipeline.processor()(kinesisEvent(records), lambdaContext()), { batchItemFailures: [] });
    return { alerts: (await alerts()).length, deadLettered: (await drainQueue(pipeline.settings.deadLetterQueueUrl)).map((m) => JSON.parse(m.Body!).record.sequenceNumber as string) };
  };
  assert.deepEqual(await deliver([first!, repeat!]), { alerts: 1, deadLettered: [first!.kinesis.sequenceNumber] }, 'the repeat is a duplicate of the first in their batch');
  assert.deepEqual(await deliver([repeat!]), { alerts: 1, deadLettered: [repeat!.kinesis.sequenceNumber] }, 'delivered without the first (a checkpoint between them), the repeat is a new record of the event');
  assert.deepEqual(await deliver([first!, repeat!]), { alerts: 0, deadLettered: [] }, 'each is on the DLQ already: neither runs again');
});
