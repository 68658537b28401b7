/**
 * Enhanced fan-out end to end on the embedded local AWS: the stack synthesized from a configuration with
 * `eventSource.consumer: efo` (test/fixtures/efo-config.ts, real processor bundles), deployed by
 * startLocalAws, which registers the template's AWS::Kinesis::StreamConsumer on kinesis-local and starts
 * a mapping whose EventSourceArn is the consumer's ARN. Orders events sent in bursts are processed
 * exactly once and in order per order, judged on what the action left in the state table (each order's
 * last status, and its count of applied events) and on the processor's metrics, through the AWS APIs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamConsumerCommand, type KinesisClient, ListStreamConsumersCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createKinesisClient } from '../../sdk/clients';
import { buildEventRecord } from '../../client';
import { exampleEvents } from '../../client/examples/pipeline-events';
import { findPipeline, pipelineResourceNames } from '../../lib/config';
import { emulatorEndpointsFromEnv, startLocalAws, type LocalAws } from '../../local';
import { waitFor } from '../../local/event-source/test-kit';
import { EFO_PIPELINE, efoConfig } from '../fixtures/efo-config';
import { synthStack, type Synthesized } from '../stack/synth';

const pipeline = findPipeline(efoConfig, EFO_PIPELINE);
const suffix = `-efo${randomBytes(2).toString('hex')}`;
const templateNames = pipelineResourceNames(efoConfig.stackName, EFO_PIPELINE);
const names = {
  streamName: `${templateNames.streamName}${suffix}`,
  functionName: `${templateNames.functionName}${suffix}`,
  stateTableName: `${templateNames.stateTableName}${suffix}`,
};

describe('enhanced fan-out end to end (synthesized stack with eventSource.consumer efo, real processor)', () => {
  let synthesized: Synthesized;
  let localAws: LocalAws;
  let lambda: LambdaClient;
  let kinesis: KinesisClient;
  let cloudwatch: CloudWatchClient;
  let dynamo: DynamoDBDocumentClient;

  before(async () => {
    synthesized = synthStack(efoConfig);
    localAws = await startLocalAws({ cdkOut: synthesized.outdir, stackName: efoConfig.stackName, emulators: emulatorEndpointsFromEnv(), verbose: false, resourceNameSuffix: suffix });
    Object.assign(process.env, localAws.env);
    lambda = new LambdaClient({});
    kinesis = createKinesisClient();
    cloudwatch = new CloudWatchClient({});
    dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  });

  after(async () => {
    for (const client of [lambda, kinesis, cloudwatch, dynamo]) client?.destroy();
    await localAws?.stop();
    synthesized?.dispose();
  });

  async function metricTotal(metricName: string): Promise<number> {
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(0),
        EndTime: new Date(Date.now() + 86_400_000),
        MetricDataQueries: [{ Id: 'm', MetricStat: { Metric: { Namespace: 'StreamPipeline', MetricName: metricName, Dimensions: [{ Name: 'Pipeline', Value: EFO_PIPELINE }] }, Period: 86_400, Stat: 'Sum' } }],
      }),
    );
    return (out.MetricDataResults?.[0]?.Values ?? []).reduce((sum, v) => sum + v, 0);
  }

  it('deploys the stream consumer and maps the processor on its ARN', async () => {
    const [mapping, ...others] = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: names.functionName }))).EventSourceMappings ?? [];
    assert.equal(others.length, 0);
    assert.ok(mapping);
    assert.equal(mapping.State, 'Enabled');
    assert.match(mapping.EventSourceArn ?? '', new RegExp(`:stream/${names.streamName}/consumer/${templateNames.consumerName}[^/]*:\\d+$`));
    assert.equal(mapping.MaximumBatchingWindowInSeconds, pipeline.eventSource.maxBatchingWindowSeconds);
    const consumer = (await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: mapping.EventSourceArn }))).ConsumerDescription;
    assert.equal(consumer?.ConsumerStatus, 'ACTIVE');
    const streamArn = consumer?.StreamARN as string;
    assert.deepEqual(((await kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn }))).Consumers ?? []).map((c) => c.ConsumerARN), [mapping.EventSourceArn]);
  });

  it('processes every event exactly once and in order per order', async () => {
    const events = exampleEvents({ action: 'orders' }, randomUUID().slice(0, 6));
    const orders = Array.from({ length: 12 }, (_, i) => events.subject(i));
    const written = new Map<string, number>();
    let sent = 0;
    // Five bursts, each event of an order later than its previous one (a fresh time per event).
    for (let round = 0; round < 5; round += 1) {
      const records = orders.map((subject) => {
        written.set(subject, (written.get(subject) ?? 0) + 1);
        const built = buildEventRecord(events.next(subject, new Date(Date.now() + round)), { source: 'esm-efo-e2e' });
        return { PartitionKey: built.partitionKey, Data: built.data };
      });
      sent += records.length;
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: names.streamName, Records: records }));
      assert.equal(out.FailedRecordCount ?? 0, 0);
    }
    await waitFor(`${sent} events processed`, async () => (await metricTotal('EventsProcessed')) >= sent, 90_000);

    const items = (await dynamo.send(new BatchGetCommand({ RequestItems: { [names.stateTableName]: { Keys: orders.map((pk) => ({ pk })) } } }))).Responses?.[names.stateTableName] ?? [];
    assert.equal(items.length, orders.length, 'every order has its state');
    for (const item of items) {
      const count = written.get(item.pk as string) as number;
      assert.equal(item.appliedEvents, count, `${String(item.pk)}: each of its events applied once`);
      assert.equal((item.details as { step: number }).step, count - 1, `${String(item.pk)}: its last event is the one applied last`);
    }
    assert.equal(await metricTotal('EventsProcessed'), sent, 'nothing processed twice');
    assert.equal(await metricTotal('EventsStale'), 0, 'no event arrived after a later one of its order');
    assert.equal(await metricTotal('EventsDuplicate'), 0, 'no redelivery');
  });
});
