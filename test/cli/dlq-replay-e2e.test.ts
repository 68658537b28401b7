/**
 * From the DLQ back to processed, end to end on the embedded local target: the real stack (cdk.out),
 * the real processor bundle, the event source mapping with AWS's retry and on-failure semantics, and
 * the CLI run as a user runs it. An exhausted-retries batch (DynamoDB down) and a poison record are
 * each replayed and processed exactly once; replaying records already processed changes nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createKinesisClient } from '../../sdk/clients';
import { EventProducer } from '../../client/event-producer';
import { receiveAll, release, type DlqMessage } from '../../client/operations/dlq-queue';
import { loadConfig, pipelineResourceNames } from '../../lib/config';
import { emulatorEndpointsFromEnv, startLocalAws, type LocalAwsInstance } from '../../local';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators';
import { METRIC_NAMESPACE, PIPELINE_DIMENSION, ProcessorMetric } from '../../lambdas/shared/metrics-contract';
import { jsonOf, runCli } from './support/run-cli';

const suffix = `-cli${randomBytes(2).toString('hex')}`;
const names = pipelineResourceNames(loadConfig().stackName, 'orders');
const streamName = names.streamName + suffix;
const tableName = names.stateTableName + suffix;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('dlq replay, end to end on the local target', () => {
  let localAws: LocalAwsInstance;
  let sqs: SQSClient;
  let dynamodb: DynamoDBClient;
  let producer: EventProducer;
  let queueUrl: string;
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[]) => runCli(['dlq', 'replay', '--stream', streamName, '--queue-url', queueUrl, '--json', ...args], { env });

  before(async () => {
    const emulators = emulatorEndpointsFromEnv();
    if (!emulators) throw new Error('run through npm test: the emulator endpoints are not set');
    localAws = await startLocalAws({ stackName: loadConfig().stackName, emulators, verbose: false, resourceNameSuffix: suffix, pollIntervalMs: 250 });
    env = { ...localAws.env };
    const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    sqs = new SQSClient({ ...common, endpoint: localAws.endpoints.sqs });
    dynamodb = new DynamoDBClient({ ...common, endpoint: emulators.dynamodb });
    queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: names.dlqName + suffix }))).QueueUrl!;
    producer = new EventProducer({ stream: { streamName }, source: '/test/cli-e2e', client: createKinesisClient({ ...common, endpoint: localAws.endpoints.kinesis }) });
  });

  after(async () => {
    await producer?.close().catch(() => undefined);
    sqs?.destroy();
    dynamodb?.destroy();
    await localAws?.stop();
  });

  const order = async (id: string): Promise<Record<string, unknown> | undefined> => {
    const { Item } = await dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: id } }, ConsistentRead: true }));
    return Item ? Object.fromEntries(Object.entries(Item).map(([k, v]) => [k, v.S ?? v.N ?? v])) : undefined;
  };
  const count = (metricName: string): number =>
    localAws.metrics.points({ namespace: METRIC_NAMESPACE, metricName, dimensions: { [PIPELINE_DIMENSION]: 'orders' } }, 0, Number.MAX_SAFE_INTEGER).reduce((n, p) => n + p.value, 0);
  /** Waits for DLQ messages matching `accept`, leaving them in the queue. */
  const dlqMessages = (what: string, accept: (m: DlqMessage) => boolean): Promise<DlqMessage[]> =>
    waitFor(what, async () => {
      const messages = await receiveAll(sqs, queueUrl, { visibilityTimeoutSeconds: 5 });
      await release(sqs, queueUrl, messages);
      const matching = messages.filter(accept);
      return matching.length > 0 ? matching : undefined;
    });

  it('alarms: lists the pipeline\'s deployed alarms and their state through the CloudWatch API', async () => {
    const deployed = Object.values(localAws.resources)
      .filter((r) => r.type === 'AWS::CloudWatch::Alarm' && r.physicalId.startsWith(names.alarmNamePrefix))
      .map((r) => r.physicalId)
      .sort();
    assert.ok(deployed.length >= 5, `${deployed.length} orders alarms deployed`);
    const run = await runCli(['alarms', '--pipeline', 'orders', '--json'], { env });
    assert.equal(run.code, 0, run.stderr);
    const { alarms } = jsonOf<{ alarms: Array<{ name: string; state: string; description: string | null; metric: string | null }> }>(run);
    assert.deepEqual(alarms.map((a) => a.name).sort(), deployed);
    assert.ok(alarms.every((a) => ['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(a.state) && a.description?.startsWith('[orders]')));
    // What each alarm watches, down to the statistics behind a metric-math expression.
    const watches = (kind: string): string | null | undefined => alarms.find((a) => a.name.startsWith(`${names.alarmNamePrefix}${kind}`))?.metric;
    const latencyMetric = `${METRIC_NAMESPACE}/${ProcessorMetric.EventToActionLatency}`;
    const objective = loadConfig().pipelines.find((p) => p.name === 'orders')!.alarms.latencyObjectiveMs;
    assert.equal(
      watches('EventToActionLatencyP99'),
      `math: IF(samples * (100 - onTime) / 100 >= 1.5, p99, 0) where p99 = ${latencyMetric} p99, samples = ${latencyMetric} SampleCount, onTime = ${latencyMetric} PR(:${objective})`,
    );
    assert.equal(watches('ProcessorErrors'), 'AWS/Lambda/Errors Sum');
  });

  it('replays a batch whose retries were exhausted while DynamoDB was down: processed once, and a second replay changes nothing', async () => {
    localAws.setFault('dynamodb', 'refuse');
    const t = Date.now();
    const created = await producer.send({ type: 'order.status-changed', subject: `order-a${suffix}`, time: new Date(t), data: { status: 'created' } });
    const paid = await producer.send({ type: 'order.status-changed', subject: `order-a${suffix}`, time: new Date(t + 1), data: { status: 'paid' } });
    await producer.send({ type: 'order.status-changed', subject: `order-b${suffix}`, time: new Date(t), data: { status: 'created' } });
    await producer.flush();
    // The two orders may hash to different shards, and a shard's records may give up in more than
    // one batch: wait until the on-failure records cover all three events.
    const onFailures = await waitFor('on-failure records covering the 3 events', async () => {
      const messages = await dlqMessages('on-failure records', (m) => m.body.kind === 'on-failure');
      const covered = messages.reduce((n, m) => n + (m.body.kind === 'on-failure' ? m.body.onFailure.KinesisBatchInfo.batchSize : 0), 0);
      return covered >= 3 ? messages : undefined;
    });
    localAws.setFault('dynamodb', 'none');
    assert.equal(await order(`order-a${suffix}`), undefined, 'nothing was applied during the outage');
    for (const onFailure of onFailures) {
      assert.equal(onFailure.body.kind === 'on-failure' && onFailure.body.onFailure.requestContext.condition, 'RetryAttemptsExhausted');
    }

    const processedBefore = count(ProcessorMetric.EventsProcessed);
    const run = await cli(['--kind', 'on-failure']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(
      jsonOf<{ results: Array<{ outcome: string }> }>(run).results.map((r) => r.outcome),
      onFailures.map(() => 'replayed'),
    );
    const a = await waitFor('order a applied', async () => ((await order(`order-a${suffix}`))?.status === 'paid' ? order(`order-a${suffix}`) : undefined));
    assert.equal(a.eventId, paid.event.id);
    // Order b may be on the other shard, read a moment later: wait for it as for a.
    const b = await waitFor('order b applied', async () => ((await order(`order-b${suffix}`))?.status ? order(`order-b${suffix}`) : undefined));
    assert.equal(b.status, 'created');
    await waitFor('3 events processed', async () => (count(ProcessorMetric.EventsProcessed) - processedBefore >= 3 ? true : undefined));
    assert.equal(count(ProcessorMetric.EventsProcessed) - processedBefore, 3, 'each replayed event processed once');
    assert.ok(created.event.id);

    // The same on-failure records again: the records are put back once more and skipped as duplicates.
    const duplicatesBefore = count(ProcessorMetric.EventsDuplicate);
    for (const onFailure of onFailures) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: onFailure.raw }));
    const again = await cli(['--kind', 'on-failure']);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    await waitFor('3 duplicates skipped', async () => (count(ProcessorMetric.EventsDuplicate) - duplicatesBefore >= 3 ? true : undefined));
    assert.deepEqual(await order(`order-a${suffix}`), a, 'the state did not change');
    assert.equal(count(ProcessorMetric.EventsProcessed) - processedBefore, 3);
  });

  it('replays a poison record: dead-lettered by the processor, replayed once, and processed once when it has become valid', async () => {
    // A real poison record: an order change without a status.
    const bad = await producer.send({ type: 'order.status-changed', subject: `order-c${suffix}`, data: { note: 'no status' } });
    await producer.flush();
    const [poison] = await dlqMessages('the poison record', (m) => m.body.kind === 'poison-record' && m.body.poison.event?.id === bad.event.id);
    assert.equal(poison!.body.kind === 'poison-record' && poison!.body.poison.reason, 'action-rejected');

    // Replaying it as it is: back on the stream, dead-lettered again (never lost), the old message gone.
    const run = await cli(['--message-id', poison!.messageId]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    await dlqMessages('the poison record dead-lettered again', (m) => m.messageId !== poison!.messageId && m.body.kind === 'poison-record' && m.body.poison.event?.id === bad.event.id);

    // The message as it would be had the processor rejected a now-valid event (say, before a fix was
    // deployed): the same message with a valid payload. Replayed twice, it is applied once.
    const fixedEvent = { ...bad.event, id: `${bad.event.id}-fixed`, data: { status: 'shipped' } };
    const body = JSON.parse(poison!.raw) as { record: { data: string }; event: { id: string } };
    body.record.data = Buffer.from(JSON.stringify(fixedEvent)).toString('base64');
    body.event.id = fixedEvent.id;
    const processedBefore = count(ProcessorMetric.EventsProcessed);
    const duplicatesBefore = count(ProcessorMetric.EventsDuplicate);
    for (let i = 0; i < 2; i++) {
      const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body) }));
      const replay = await cli(['--message-id', MessageId!]);
      assert.equal(replay.code, 0, replay.stderr + replay.stdout);
      await waitFor('the replayed record handled', async () =>
        count(ProcessorMetric.EventsProcessed) - processedBefore + count(ProcessorMetric.EventsDuplicate) - duplicatesBefore > i ? true : undefined,
      );
    }
    assert.equal((await order(`order-c${suffix}`))?.status, 'shipped');
    assert.equal((await order(`order-c${suffix}`))?.eventId, fixedEvent.id);
    assert.equal(count(ProcessorMetric.EventsProcessed) - processedBefore, 1, 'processed once');
    assert.equal(count(ProcessorMetric.EventsDuplicate) - duplicatesBefore, 1, 'the second replay was skipped');
  });
});
