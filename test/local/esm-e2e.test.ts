/**
 * The event source mapping end to end on the embedded local AWS: the synthesized stack (cdk.out)
 * deployed by startLocalAws onto the runner's emulators, the real processor bundle in the local Lambda
 * runtime, the mappings as the template declares them, and everything observed only through the AWS
 * APIs (Lambda, CloudWatch, SQS, SNS, Kinesis): settings, a consumer outage switched through
 * UpdateEventSourceMapping, the DLQ alarm, and a DynamoDB outage that exhausts the mapping's retries.
 * (The latency alarm firing during a consumer outage and clearing after is covered by
 * test/scenario/scenario.test.ts on the same stack.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetEventSourceMappingCommand, LambdaClient, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createKinesisClient } from '../../sdk/clients';
import { buildEventRecord } from '../../client';
import { exampleEvents } from '../../client/examples/pipeline-events';
import { findPipeline, loadConfig, pipelineResourceNames, stackResourceNames } from '../../lib/config';
import { emulatorEndpointsFromEnv, startLocalAws, type LocalAws } from '../../local';
import type { OnFailureInvocationRecord } from '../../local/event-source';
import { receive, sleep, waitFor } from '../../local/event-source/test-kit';

const config = loadConfig();
const orders = findPipeline(config, 'orders');
// Other test files deploy the same stack onto the same emulators: our own names keep us apart.
const suffix = `-e2e${randomBytes(2).toString('hex')}`;
const templateNames = pipelineResourceNames(config.stackName, 'orders');
const names = {
  streamName: `${templateNames.streamName}${suffix}`,
  dlqName: `${templateNames.dlqName}${suffix}`,
  functionName: `${templateNames.functionName}${suffix}`,
  dlqAlarm: `${templateNames.alarmNamePrefix}DlqMessagesVisible${suffix}`,
};
const telemetryFunction = `${pipelineResourceNames(config.stackName, 'telemetry').functionName}${suffix}`;
const FAR_PAST = new Date(0);

describe('event source mapping end to end (synthesized stack, real processor)', () => {
  let localAws: LocalAws;
  let lambda: LambdaClient;
  let cloudwatch: CloudWatchClient;
  let kinesis: KinesisClient;
  let sqs: SQSClient;
  let sns: SNSClient;
  const events = exampleEvents({ action: 'orders' }, randomUUID().slice(0, 6));
  let sent = 0;

  before(async () => {
    // Time scale 60: a 60 s alarm period passes in one second.
    localAws = await startLocalAws({ timeScale: 60, pollIntervalMs: 100, emulators: emulatorEndpointsFromEnv(), verbose: false, resourceNameSuffix: suffix });
    Object.assign(process.env, localAws.env);
    lambda = new LambdaClient({});
    cloudwatch = new CloudWatchClient({});
    kinesis = createKinesisClient();
    // fauxqs answers queue URLs on a host that does not resolve here: keep the configured endpoint.
    sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    sns = new SNSClient({});
  });

  after(async () => {
    for (const client of [lambda, cloudwatch, kinesis, sqs, sns]) client?.destroy();
    await localAws?.stop();
  });

  async function putOrders(count: number, time?: Date): Promise<void> {
    const records = Array.from({ length: count }, (_, i) => {
      const built = buildEventRecord(events.next(events.subject(sent + i), time ?? new Date()), { source: 'esm-e2e' });
      return { PartitionKey: built.partitionKey, Data: built.data };
    });
    sent += count;
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: names.streamName, Records: records }));
    assert.equal(out.FailedRecordCount ?? 0, 0);
  }

  /** The sum of a processor metric of the orders pipeline over all time, through GetMetricData. */
  async function metricTotal(namespace: string, metricName: string, dimensions: Record<string, string>, stat = 'Sum'): Promise<number> {
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: FAR_PAST,
        EndTime: new Date(Date.now() + 365 * 86_400_000),
        MetricDataQueries: [
          { Id: 'm', MetricStat: { Metric: { Namespace: namespace, MetricName: metricName, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })) }, Period: 86_400, Stat: stat } },
        ],
      }),
    );
    const values = out.MetricDataResults?.[0]?.Values ?? [];
    return stat === 'Maximum' ? Math.max(0, ...values) : values.reduce((s, v) => s + v, 0);
  }

  const processed = (): Promise<number> => metricTotal('StreamPipeline', 'EventsProcessed', { Pipeline: 'orders' });

  async function ordersMappingUuid(): Promise<string> {
    const out = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: names.functionName }));
    assert.equal(out.EventSourceMappings?.length, 1);
    return out.EventSourceMappings?.[0]?.UUID as string;
  }

  it('serves the template mappings through the Lambda API with the configured settings', async () => {
    const [mapping] = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: names.functionName }))).EventSourceMappings ?? [];
    assert.ok(mapping);
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: (await sqs.send(new GetQueueUrlCommand({ QueueName: names.dlqName }))).QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    assert.equal(mapping.State, 'Enabled');
    assert.equal(mapping.BatchSize, orders.eventSource.batchSize);
    assert.equal(mapping.MaximumBatchingWindowInSeconds, orders.eventSource.maxBatchingWindowSeconds);
    assert.equal(mapping.StartingPosition, orders.eventSource.startingPosition);
    assert.equal(mapping.ParallelizationFactor, orders.eventSource.parallelizationFactor);
    assert.equal(mapping.BisectBatchOnFunctionError, orders.eventSource.bisectBatchOnFunctionError);
    assert.equal(mapping.MaximumRetryAttempts, orders.eventSource.maxRetryAttempts);
    assert.equal(mapping.MaximumRecordAgeInSeconds, orders.eventSource.maxRecordAgeSeconds);
    assert.deepEqual(mapping.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.equal(mapping.DestinationConfig?.OnFailure?.Destination, dlqArn);
    assert.match(mapping.EventSourceArn ?? '', new RegExp(`:stream/${names.streamName}$`));
    const [telemetry] = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: telemetryFunction }))).EventSourceMappings ?? [];
    assert.equal(telemetry?.ParallelizationFactor, findPipeline(config, 'telemetry').eventSource.parallelizationFactor);
  });

  it('processes every event once; a consumer outage switched through the Lambda API loses nothing', async () => {
    await putOrders(20);
    await waitFor('20 events processed', async () => (await processed()) >= 20, 60_000);
    const uuid = await ordersMappingUuid();

    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
    await waitFor('Disabled', async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === 'Disabled', 30_000);
    const outageStart = Date.now();
    await putOrders(20);
    await sleep(3000);
    assert.equal(await processed(), 20, 'nothing is processed while the mapping is disabled');

    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
    await waitFor('40 events processed', async () => (await processed()) >= 40, 60_000);
    const outageMs = Date.now() - outageStart;
    await sleep(500);
    assert.equal(await processed(), 40, 'each event is processed exactly once');
    const maxIteratorAge = await metricTotal('AWS/Lambda', 'IteratorAge', { FunctionName: names.functionName }, 'Maximum');
    assert.ok(maxIteratorAge >= 3000 && maxIteratorAge <= outageMs + 5000, `IteratorAge shows the backlog (max ${maxIteratorAge} ms, outage ${outageMs} ms)`);
    assert.ok((await metricTotal('AWS/Lambda', 'PolledEventCount', { EventSourceMappingUUID: uuid })) >= 40);
  });

  it('a poison record reaches the DLQ and the DLQ alarm notifies the alarm topic', async () => {
    const inbox = (await sqs.send(new CreateQueueCommand({ QueueName: `alarm-inbox${suffix}` }))).QueueUrl as string;
    try {
      const inboxArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: inbox, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
      const topicArn = `arn:aws:sns:${process.env.AWS_REGION ?? 'us-east-1'}:000000000000:${stackResourceNames(config.stackName).alarmTopicName}${suffix}`;
      await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: inboxArn, Attributes: { RawMessageDelivery: 'true' } }));
      const alarmName = names.dlqAlarm;
      const describe = async (): Promise<string | undefined> => (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }))).MetricAlarms?.[0]?.StateValue;
      assert.notEqual(await describe(), 'ALARM');

      await kinesis.send(new PutRecordsCommand({ StreamName: names.streamName, Records: [{ PartitionKey: 'poison', Data: Buffer.from('this is not a CloudEvent') }] }));
      await waitFor('the DLQ alarm', async () => (await describe()) === 'ALARM', 60_000);
      const messages = (await receive(sqs, inbox, 10, 10_000)) as Record<string, unknown>[];
      const notification = messages.find((m) => m.AlarmName === alarmName);
      assert.ok(notification, `an SNS alarm message for ${alarmName} (got ${messages.map((m) => `${String(m.AlarmName)}:${String(m.NewStateValue)}`).join(', ')})`);
      assert.equal(notification.NewStateValue, 'ALARM');
      assert.deepEqual((notification.Trigger as { Dimensions: unknown }).Dimensions, [{ value: names.dlqName, name: 'QueueName' }]);
    } finally {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: inbox }));
    }
  });

  it('a DynamoDB outage exhausts the retries: the mapping sends its invocation record to the DLQ and moves on', async () => {
    const dlq = (await sqs.send(new GetQueueUrlCommand({ QueueName: names.dlqName }))).QueueUrl as string;
    const before = await processed();
    localAws.setFault('dynamodb', 'refuse');
    try {
      await putOrders(1);
      const deadline = Date.now() + 90_000;
      let record: OnFailureInvocationRecord | undefined;
      while (!record && Date.now() < deadline) {
        const bodies = (await receive(sqs, dlq, 1, 2000)) as Record<string, unknown>[];
        record = bodies.find((b): b is OnFailureInvocationRecord & Record<string, unknown> => typeof b.requestContext === 'object');
      }
      assert.ok(record, 'an on-failure invocation record arrives in the DLQ');
      assert.equal(record.requestContext.condition, 'RetryAttemptsExhausted');
      assert.equal(record.requestContext.approximateInvokeCount, orders.eventSource.maxRetryAttempts + 1);
      assert.equal(record.KinesisBatchInfo.batchSize, 1);
      assert.match(record.requestContext.functionArn, new RegExp(`:function:${names.functionName}$`));
    } finally {
      localAws.setFault('dynamodb', 'none');
    }
    // The shard is free again: a new event is processed.
    await putOrders(1);
    await waitFor('the next event processed', async () => (await processed()) >= before + 1, 60_000);
  });
});
