/**
 * The local deploy, from a real synthesized cloud assembly onto the emulators: what it creates, how it
 * resolves intrinsics for functions, mappings and alarms, and what it lists as not emulated.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListSubscriptionsByTopicCommand, PublishCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { MetricDatum } from '../../local/contracts';
import { deployStack, type DeployedStack } from '../../local/deploy';
import { LambdaRuntime } from '../../local/runtime';
import type { EchoAnswer } from '../fixtures/functions/behaviours';
import { clientsFor, runnerEmulators } from './support/emulator-clients';
import { synthFixtureStack, type FixtureStack } from './support/fixture-stack';

describe('deployStack', () => {
  const clients = clientsFor(runnerEmulators());
  let fixture: FixtureStack;
  let deployed: DeployedStack;

  before(async () => {
    fixture = synthFixtureStack(`Deploy${randomUUID().slice(0, 8)}`);
    deployed = await deployStack({ cdkOut: fixture.cdkOut, stackName: fixture.stackName, clients });
  });
  after(async () => {
    await deployed?.teardown();
    clients.destroy();
  });

  it('creates the streams with their shard count and retention (ON_DEMAND as a small fixed shard count)', async () => {
    const summary = (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: fixture.names.stream }))).StreamDescriptionSummary;
    assert.equal(summary?.StreamStatus, 'ACTIVE');
    assert.equal(summary?.OpenShardCount, 3);
    assert.equal(summary?.RetentionPeriodHours, 48);
    const onDemand = deployed.resources.OnDemand4DA0BF2F ?? Object.entries(deployed.resources).find(([id]) => id.startsWith('OnDemand'))?.[1];
    assert.ok(onDemand, 'the unnamed ON_DEMAND stream is deployed');
    assert.match(onDemand.physicalId, new RegExp(`^${fixture.stackName}-OnDemand`));
    const onDemandSummary = (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: onDemand.physicalId }))).StreamDescriptionSummary;
    assert.equal(onDemandSummary?.OpenShardCount, 2);
    assert.equal(onDemandSummary?.StreamModeDetails?.StreamMode, 'ON_DEMAND', 'created in the on-demand mode, so resharding it is refused as on AWS');
  });

  it('creates the table with its keys, index and TTL', async () => {
    const table = (await clients.dynamodb.send(new DescribeTableCommand({ TableName: fixture.names.table }))).Table;
    assert.deepEqual(table?.KeySchema, [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    assert.deepEqual(table?.GlobalSecondaryIndexes?.map((i) => i.IndexName), ['byStatus']);
    const ttl = (await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: fixture.names.table }))).TimeToLiveDescription;
    assert.equal(ttl?.TimeToLiveStatus, 'ENABLED');
    assert.equal(ttl?.AttributeName, 'expiresAt');
  });

  it('creates the queues with retention and visibility, and the topic with its SQS subscription delivering', async () => {
    const dlq = deployed.resources.Dlq0B5DBB40 ?? Object.entries(deployed.resources).find(([id]) => id.startsWith('Dlq'))?.[1];
    assert.ok(dlq);
    const attributes = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.physicalId, AttributeNames: ['All'] }))).Attributes;
    assert.equal(attributes?.MessageRetentionPeriod, String(4 * 24 * 3600));
    assert.equal(attributes?.VisibilityTimeout, '45');
    assert.equal(dlq.arn, attributes?.QueueArn);

    const [, topic] = Object.entries(deployed.resources).find(([, r]) => r.type === 'AWS::SNS::Topic') ?? [];
    const [, inbox] = Object.entries(deployed.resources).find(([id, r]) => r.type === 'AWS::SQS::Queue' && id.startsWith('AlertsInbox')) ?? [];
    assert.ok(topic && inbox);
    const subs = (await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic.physicalId }))).Subscriptions ?? [];
    assert.deepEqual(subs.map((s) => [s.Protocol, s.Endpoint]), [['sqs', inbox.arn]]);
    await clients.sns.send(new PublishCommand({ TopicArn: topic.physicalId, Message: 'hello subscribers' }));
    const received = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: inbox.physicalId, WaitTimeSeconds: 2 }));
    assert.equal(received.Messages?.[0]?.Body, 'hello subscribers', 'raw message delivery through the subscription');
  });

  it('lists what it does not emulate, grouped by type, and the properties without local effect', () => {
    assert.deepEqual(deployed.notEmulated['AWS::IAM::Role']?.length, 1);
    assert.ok(deployed.notEmulated['AWS::IAM::Policy']?.length);
    assert.ok(deployed.notEmulated['AWS::KMS::Key']?.length);
    assert.ok(deployed.notEmulated['AWS::SQS::QueuePolicy']?.length);
    assert.deepEqual(deployed.notEmulated['AWS::SNS::Subscription (protocol email)']?.length, 1);
    const line = deployed.report.find((l) => l.includes('not emulated:'));
    assert.match(line ?? '', /AWS::IAM::Role \(1\)/);
    assert.match(line ?? '', /AWS::KMS::Key \(1\)/);
    assert.ok(deployed.ignoredProperties.some((p) => /Dlq.*KmsMasterKeyId/.test(p)));
    assert.ok(deployed.ignoredProperties.some((p) => /Items.*PointInTimeRecoverySpecification/.test(p)));
  });

  it('resolves the function: handler, timeout, memory, asset folder and an environment of Ref, GetAtt, Join and Sub', () => {
    assert.equal(deployed.functions.length, 1);
    const fn = deployed.functions[0];
    assert.ok(fn);
    assert.equal(fn.functionName, fixture.names.function);
    assert.equal(fn.handler, 'index.echo');
    assert.equal(fn.runtime, 'nodejs22.x');
    assert.equal(fn.timeoutSeconds, 7);
    assert.equal(fn.memoryMb, 256);
    assert.deepEqual(fn.architectures, ['arm64']);
    assert.ok(fn.assetDir && existsSync(join(fn.assetDir, 'index.js')), `asset ${fn.assetDir} holds the bundle`);
    const dlqUrl = Object.values(deployed.resources).find((r) => r.physicalId.endsWith(`/${fixture.names.dlq}`))?.physicalId;
    assert.deepEqual(fn.environment, {
      TABLE_NAME: fixture.names.table,
      DLQ_URL: dlqUrl,
      TOPIC_ARN: Object.values(deployed.resources).find((r) => r.type === 'AWS::SNS::Topic')?.physicalId,
      STREAM_ARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${fixture.names.stream}`,
      JOINED: `${fixture.names.table}|${fixture.names.stream}`,
      SUBSTITUTED: `us-east-1/000000000000/${fixture.names.dlq}`,
    });
  });

  it('resolves the event source mapping and the alarm, every property', () => {
    assert.equal(deployed.eventSourceMappings.length, 1);
    const mapping = deployed.eventSourceMappings[0]?.properties;
    assert.equal(mapping?.EventSourceArn, `arn:aws:kinesis:us-east-1:000000000000:stream/${fixture.names.stream}`);
    assert.equal(mapping?.FunctionName, fixture.names.function);
    assert.equal(mapping?.FunctionArn, `arn:aws:lambda:us-east-1:000000000000:function:${fixture.names.function}`);
    assert.match(mapping?.UUID ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(mapping?.BatchSize, 10);
    assert.equal(mapping?.StartingPosition, 'TRIM_HORIZON');
    assert.equal(mapping?.MaximumRetryAttempts, 2);
    assert.equal(mapping?.BisectBatchOnFunctionError, true);
    assert.deepEqual(mapping?.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.deepEqual(mapping?.DestinationConfig, { OnFailure: { Destination: `arn:aws:sqs:us-east-1:000000000000:${fixture.names.dlq}` } });

    assert.equal(deployed.alarms.length, 1);
    const alarm = deployed.alarms[0]?.properties;
    assert.equal(alarm?.AlarmName, fixture.names.alarm);
    assert.equal(alarm?.MetricName, 'Errors');
    assert.equal(alarm?.Namespace, 'AWS/Lambda');
    assert.deepEqual(alarm?.Dimensions, [{ Name: 'FunctionName', Value: fixture.names.function }]);
  });

  it('deploys functions whose bundle runs in the local runtime with the resolved environment', async () => {
    const metrics: MetricDatum[] = [];
    const runtime = new LambdaRuntime({ functions: deployed.functions, environment: { AWS_REGION: 'us-east-1' }, sink: { put: (d) => metrics.push(d) } });
    try {
      const result = await runtime.invoke(fixture.names.function, { ping: 1 });
      assert.equal(result.kind, 'success');
      const answer = (result as { payload: EchoAnswer }).payload;
      assert.equal(answer.env.TABLE_NAME, fixture.names.table);
      assert.equal(answer.context.functionName, fixture.names.function);
      assert.ok(answer.context.remainingMs <= 7000);
    } finally {
      await runtime.stop();
    }
  });

  it('renames every physical name with a suffix so one template deploys twice onto the same emulators', async () => {
    const second = await deployStack({ cdkOut: fixture.cdkOut, stackName: fixture.stackName, clients, resourceNameSuffix: '-copy' });
    try {
      assert.equal(second.functions[0]?.functionName, `${fixture.names.function}-copy`);
      assert.equal(second.functions[0]?.environment.TABLE_NAME, `${fixture.names.table}-copy`);
      assert.deepEqual(second.alarms[0]?.properties.Dimensions, [{ Name: 'FunctionName', Value: `${fixture.names.function}-copy` }]);
      assert.equal(second.alarms[0]?.alarmName, `${fixture.names.alarm}-copy`);
      const streams = (await clients.kinesis.send(new ListStreamsCommand({}))).StreamNames ?? [];
      assert.ok(streams.includes(`${fixture.names.stream}-copy`) && streams.includes(fixture.names.stream));
    } finally {
      await second.teardown();
    }
    const after = (await clients.kinesis.send(new ListStreamsCommand({}))).StreamNames ?? [];
    assert.ok(!after.includes(`${fixture.names.stream}-copy`), 'teardown deleted the copy');
  });

  it('fails with the list of stacks when the stack name is wrong', async () => {
    await assert.rejects(deployStack({ cdkOut: fixture.cdkOut, stackName: 'Nope', clients }), new RegExp(`stack "Nope" is not in .*manifest.json; stacks there: ${fixture.stackName}`));
  });
});
