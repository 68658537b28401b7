/**
 * A configuration far from the defaults: every setting must reach the template (provisioned stream,
 * LATEST, no partial batch responses, zero retries, custom alarm periods, subscriptions), and a
 * stateless action gets no state table or alerts topic.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as iam from 'aws-cdk-lib/aws-iam';
import { parseConfig, pipelineResourceNames, stackResourceNames } from '../../lib/config';
import { AlarmKind, LATE_DATA_PERIODS } from '../../lib/constructs/alarm-specs';
import { ProcessorEnv, PowertoolsEnv } from '../../lambdas/shared/environment';
import { alarmPeriods, ref, resourcesOfType, resourceWhere, synthStack, type Synthesized } from './synth';

const config = parseConfig({
  stackName: 'AcmeEvents',
  alarmNotifications: { emails: ['oncall@example.com'], httpsEndpoints: ['https://pager.example.com/hook'] },
  pipelines: [
    {
      name: 'click-stream',
      description: 'Clicks acknowledged without processing',
      action: 'noop',
      stream: { mode: 'PROVISIONED', shardCount: 3, retentionHours: 48 },
      processor: { memoryMb: 1024, timeoutSeconds: 120, logLevel: 'DEBUG', logRetentionDays: 7, keyConcurrency: 4, timeMarginMs: 2000 },
      eventSource: {
        batchSize: 500,
        maxBatchingWindowSeconds: 0,
        startingPosition: 'LATEST',
        parallelizationFactor: 4,
        bisectBatchOnFunctionError: false,
        maxRetryAttempts: 0,
        maxRecordAgeSeconds: 600,
        reportBatchItemFailures: false,
      },
      idempotency: { ttlHours: 72, leaseSeconds: 300 },
      alarms: { latencyObjectiveMs: 1500, latencyMinLateEvents: 5, iteratorAgeThresholdMs: 4000, dlqOldestMessageAgeSeconds: 600, periodSeconds: 120, evaluationPeriods: 5 },
    },
  ],
});
const names = pipelineResourceNames('AcmeEvents', 'click-stream');
let s: Synthesized;
let producerRole: string;

before(() => {
  s = synthStack(config, {
    stubHandlers: true,
    extend: (stack) => {
      const role = new iam.Role(stack, 'UpstreamProducer', { assumedBy: new iam.AccountRootPrincipal() });
      stack.pipelines.get('click-stream')!.grantProduce(role);
      producerRole = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
    },
  });
});
after(() => s?.dispose());

test('a provisioned stream gets its shard count and retention', () => {
  const [, stream] = resourceWhere(s.json, 'AWS::Kinesis::Stream', 'Name', names.streamName);
  assert.deepEqual(stream.Properties.StreamModeDetails, { StreamMode: 'PROVISIONED' });
  assert.equal(stream.Properties.ShardCount, 3);
  assert.equal(stream.Properties.RetentionPeriodHours, 48);
});

test('every event source setting comes from the configuration, including the non-defaults', () => {
  const [fn] = resourceWhere(s.json, 'AWS::Lambda::Function', 'FunctionName', names.functionName);
  const [, esm] = resourceWhere(s.json, 'AWS::Lambda::EventSourceMapping', 'FunctionName', ref(fn));
  const e = esm.Properties;
  assert.equal(e.BatchSize, 500);
  assert.equal(e.MaximumBatchingWindowInSeconds, 0);
  assert.equal(e.StartingPosition, 'LATEST');
  assert.equal(e.ParallelizationFactor, 4);
  assert.equal(e.BisectBatchOnFunctionError, false);
  assert.equal(e.MaximumRetryAttempts, 0);
  assert.equal(e.MaximumRecordAgeInSeconds, 600);
  assert.equal(e.FunctionResponseTypes, undefined, 'partial batch responses off as configured');
  assert.deepEqual(e.MetricsConfig, { Metrics: ['EventCount'] });
});

test('processor settings reach the function and its log group', () => {
  const [, fn] = resourceWhere(s.json, 'AWS::Lambda::Function', 'FunctionName', names.functionName);
  assert.equal(fn.Properties.MemorySize, 1024);
  assert.equal(fn.Properties.Timeout, 120);
  const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  assert.equal(vars[PowertoolsEnv.LogLevel], 'DEBUG');
  assert.equal(vars[PowertoolsEnv.ServiceName], 'click-stream');
  assert.equal(vars[ProcessorEnv.KeyConcurrency], '4');
  assert.equal(vars[ProcessorEnv.TimeMarginMs], '2000');
  assert.equal(vars[ProcessorEnv.IdempotencyTtlSeconds], String(72 * 3600));
  assert.equal(vars[ProcessorEnv.LeaseSeconds], '300');
  assert.equal(vars[ProcessorEnv.StateTable], undefined);
  assert.equal(vars[ProcessorEnv.AlertsTopicArn], undefined);
  assert.equal(vars[ProcessorEnv.TelemetryConfig], undefined);
  const [, logGroup] = resourceWhere(s.json, 'AWS::Logs::LogGroup', 'LogGroupName', `/aws/lambda/${names.functionName}`);
  assert.equal(logGroup.Properties.RetentionInDays, 7);
});

test('a stateless action gets the idempotency table only, and no alerts topic', () => {
  const tables = resourcesOfType(s.json, 'AWS::DynamoDB::Table').map(([, t]) => t.Properties.TableName);
  assert.deepEqual(tables, [names.idempotencyTableName]);
  const topics = resourcesOfType(s.json, 'AWS::SNS::Topic').map(([, t]) => t.Properties.TopicName);
  assert.deepEqual(topics, [stackResourceNames('AcmeEvents').alarmTopicName]);
  assert.equal(s.json.Outputs.clickStreamStateTableName, undefined);
});

test('alarm thresholds, periods and evaluation come from the configuration', () => {
  const alarm = (kind: string) => resourceWhere(s.json, 'AWS::CloudWatch::Alarm', 'AlarmName', `${names.alarmNamePrefix}${kind}`)[1].Properties;
  assert.equal(alarm(AlarmKind.EventToActionLatencyP99).Threshold, 1500);
  const latencyQueries = alarm(AlarmKind.EventToActionLatencyP99).Metrics as { Expression?: string; MetricStat?: { Stat: string } }[];
  assert.equal(latencyQueries.find((q) => q.Expression)?.Expression, 'IF(samples * (100 - onTime) / 100 >= 4.5, p99, 0)', 'five late events before a period counts');
  assert.ok(latencyQueries.some((q) => q.MetricStat?.Stat === 'PR(:1500)'), 'late means later than this pipeline’s objective');
  assert.equal(alarm(AlarmKind.IteratorAge).Threshold, 4000);
  assert.equal(alarm(AlarmKind.DlqOldestMessageAge).Threshold, 600);
  for (const [, a] of resourcesOfType(s.json, 'AWS::CloudWatch::Alarm')) {
    const periods = alarmPeriods(a);
    assert.ok(periods.length > 0 && periods.every((period) => period === 120), `${String(a.Properties.AlarmName)}: ${periods.join(', ')}`);
    const lateDataTolerant = String(a.Properties.AlarmName).endsWith(AlarmKind.ConsumerStalled);
    assert.equal(a.Properties.EvaluationPeriods, lateDataTolerant ? 5 + LATE_DATA_PERIODS : 5);
  }
  assert.equal(alarm(AlarmKind.ConsumerStalled).DatapointsToAlarm, 5, 'a stall is sustained');
  assert.equal(alarm(AlarmKind.IteratorAge).DatapointsToAlarm, 5, 'level signals must be sustained');
  assert.equal(alarm(AlarmKind.DlqMessagesVisible).DatapointsToAlarm, 1, 'one failed record is enough');
});

test('on-call e-mail and HTTPS endpoints are subscribed to the alarm topic', () => {
  const [topic] = resourceWhere(s.json, 'AWS::SNS::Topic', 'TopicName', 'AcmeEvents-alarms');
  const subscriptions = resourcesOfType(s.json, 'AWS::SNS::Subscription').map(([, r]) => r.Properties);
  assert.deepEqual(
    subscriptions.map((sub) => [sub.Protocol, sub.Endpoint, sub.TopicArn]),
    [
      ['email', 'oncall@example.com', ref(topic)],
      ['https', 'https://pager.example.com/hook', ref(topic)],
    ],
  );
});

test('a dashed pipeline name gives camel-case output ids', () => {
  for (const suffix of ['StreamName', 'StreamArn', 'DlqUrl', 'DlqArn', 'KeyArn', 'FunctionName', 'IdempotencyTableName']) {
    assert.ok(s.json.Outputs[`clickStream${suffix}`], `output clickStream${suffix}`);
  }
});

test('grantProduce lets an upstream role put records and encrypt them, nothing more', () => {
  const [stream, streamRes] = resourceWhere(s.json, 'AWS::Kinesis::Stream', 'Name', names.streamName);
  const keyId = (streamRes.Properties.StreamEncryption as { KeyId: { 'Fn::GetAtt': [string, string] } }).KeyId['Fn::GetAtt'][0];
  const statements = resourcesOfType(s.json, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([ref(producerRole)]))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement)
    .map((st) => [[st.Action].flat().sort(), st.Resource]);
  assert.deepEqual(statements, [
    [['kinesis:DescribeStreamSummary', 'kinesis:ListShards', 'kinesis:PutRecord', 'kinesis:PutRecords'], { 'Fn::GetAtt': [stream, 'Arn'] }],
    [['kms:GenerateDataKey'], { 'Fn::GetAtt': [keyId, 'Arn'] }],
  ]);
});
