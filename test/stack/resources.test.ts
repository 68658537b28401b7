/**
 * The default configuration's stack, resource by resource: what a careful engineer would build by
 * hand for a production stream (encryption, retention, retries, grants), checked on the template.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { leaseSeconds, loadConfig, pipelineResourceNames, type PipelineConfig } from '../../lib/config';
import { outputIdPrefix } from '../../lib/stream-pipeline-stack';
import { ProcessorEnv, PowertoolsEnv } from '../../lambdas/shared/environment';
import { IdempotencyTable, StateTable } from '../../lambdas/shared/tables';
import { arnOf, ref, resourcesOfType, resourceWhere, synthStack, type CfnResource, type Synthesized } from './synth';

const config = loadConfig();
let s: Synthesized;

before(() => {
  s = synthStack(config);
});
after(() => s?.dispose());

/** Logical ids of one pipeline's main resources, found by their physical names. */
function idsOf(p: PipelineConfig) {
  const n = pipelineResourceNames(config.stackName, p.name);
  const [stream, streamRes] = resourceWhere(s.json, 'AWS::Kinesis::Stream', 'Name', n.streamName);
  const [fn, fnRes] = resourceWhere(s.json, 'AWS::Lambda::Function', 'FunctionName', n.functionName);
  const [dlq, dlqRes] = resourceWhere(s.json, 'AWS::SQS::Queue', 'QueueName', n.dlqName);
  const [idem, idemRes] = resourceWhere(s.json, 'AWS::DynamoDB::Table', 'TableName', n.idempotencyTableName);
  const key = (streamRes.Properties.StreamEncryption as { KeyId: { 'Fn::GetAtt': [string, string] } }).KeyId['Fn::GetAtt'][0];
  const role = (fnRes.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return { n, stream, streamRes, fn, fnRes, dlq, dlqRes, idem, idemRes, key, role };
}

function policyStatementsOf(roleId: string): { Action: string | string[]; Resource: unknown; Effect: string }[] {
  return resourcesOfType(s.json, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([ref(roleId)]))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown; Effect: string }[] }).Statement);
}
const actionsOf = (st: { Action: string | string[] }): string[] => (Array.isArray(st.Action) ? st.Action : [st.Action]);
const resourcesOf = (st: { Resource: unknown }): unknown[] => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]);

test('the default configuration deploys the three example pipelines, orders, telemetry and returns', () => {
  assert.deepEqual(
    config.pipelines.map((p) => [p.name, p.action]),
    [
      ['orders', 'orders'],
      ['telemetry', 'telemetry'],
      ['returns', 'returns'],
    ],
  );
  s.template.resourceCountIs('AWS::Kinesis::Stream', 3);
  s.template.resourceCountIs('AWS::Lambda::Function', 3);
  s.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
  s.template.resourceCountIs('AWS::Events::Rule', 1);
});

test('a windowed pipeline: its state table has the sparse due index, a schedule runs the closer every minute, it may query that index only', () => {
  const p = config.pipelines.find((c) => c.windows !== undefined)!;
  const names = pipelineResourceNames(config.stackName, p.name);
  const [, table] = resourceWhere(s.json, 'AWS::DynamoDB::Table', 'TableName', names.stateTableName);
  assert.deepEqual(table.Properties.GlobalSecondaryIndexes, [
    {
      IndexName: StateTable.dueIndex.name,
      KeySchema: [
        { AttributeName: StateTable.dueIndex.partitionKey, KeyType: 'HASH' },
        { AttributeName: StateTable.dueIndex.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...StateTable.dueIndex.projected] },
    },
  ]);
  const [fn] = resourceWhere(s.json, 'AWS::Lambda::Function', 'FunctionName', names.functionName);
  const [, rule] = resourcesOfType(s.json, 'AWS::Events::Rule')[0]!;
  assert.equal(rule.Properties.ScheduleExpression, 'rate(1 minute)');
  assert.equal(rule.Properties.State, 'ENABLED');
  const targets = rule.Properties.Targets as { Arn: unknown; Input?: unknown }[];
  assert.deepEqual(targets.map((t) => t.Arn), [arnOf(fn)]);
  assert.equal(targets[0]!.Input, undefined, "EventBridge's standard scheduled event, no input of its own");
  const statements = resourcesOfType(s.json, 'AWS::IAM::Policy').flatMap(([, policy]) => (policy.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement);
  const query = statements.filter((st) => JSON.stringify(st.Action).includes('dynamodb:Query'));
  assert.equal(query.length, 1);
  assert.match(JSON.stringify(query[0]!.Resource), /\/index\/due"/);
  assert.ok(!JSON.stringify(statements).includes('/index/*'), 'no wildcard over indexes');
});

for (const p of config.pipelines) {
  describe(`pipeline ${p.name}`, () => {
    test('its key is customer-managed, rotated, and retained with the data it protects', () => {
      const { key } = idsOf(p);
      const keyRes = s.json.Resources[key]!;
      assert.equal(keyRes.Type, 'AWS::KMS::Key');
      assert.equal(keyRes.Properties.EnableKeyRotation, true);
      assert.equal(keyRes.DeletionPolicy, 'Retain');
    });

    test('the stream is on-demand, KMS-encrypted with the pipeline key, with the configured retention', () => {
      const { streamRes, key } = idsOf(p);
      assert.deepEqual(streamRes.Properties.StreamModeDetails, { StreamMode: 'ON_DEMAND' });
      assert.equal(streamRes.Properties.ShardCount, undefined);
      assert.equal(streamRes.Properties.RetentionPeriodHours, p.stream.retentionHours);
      assert.deepEqual(streamRes.Properties.StreamEncryption, { EncryptionType: 'KMS', KeyId: arnOf(key) });
      // Deliberate: a retained stream would keep billing with no reader (the README says to drain first).
      assert.equal(streamRes.DeletionPolicy, 'Delete');
    });

    test('the DLQ is KMS-encrypted, keeps messages 14 days, refuses non-TLS access and is retained', () => {
      const { dlq, dlqRes, key } = idsOf(p);
      assert.deepEqual(dlqRes.Properties.KmsMasterKeyId, arnOf(key));
      assert.equal(dlqRes.Properties.MessageRetentionPeriod, 14 * 24 * 3600);
      assert.equal(dlqRes.DeletionPolicy, 'Retain');
      s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(dlq)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    const tables: [string, string, { partitionKey: string; ttlAttribute: string }][] = [
      ['idempotency', pipelineResourceNames(config.stackName, p.name).idempotencyTableName, IdempotencyTable],
      ['state', pipelineResourceNames(config.stackName, p.name).stateTableName, StateTable],
    ];
    for (const [kind, tableName, schema] of tables) {
      test(`the ${kind} table is on-demand, keyed by ${schema.partitionKey}, with TTL, PITR, the pipeline key, retained`, () => {
        const { key } = idsOf(p);
        const [, table] = resourceWhere(s.json, 'AWS::DynamoDB::Table', 'TableName', tableName);
        assert.deepEqual(table.Properties.KeySchema, [{ AttributeName: schema.partitionKey, KeyType: 'HASH' }]);
        const dueIndex =
          kind === 'state' && p.windows
            ? [
                { AttributeName: StateTable.dueIndex.partitionKey, AttributeType: 'S' },
                { AttributeName: StateTable.dueIndex.sortKey, AttributeType: 'N' },
              ]
            : [];
        assert.deepEqual(table.Properties.AttributeDefinitions, [{ AttributeName: schema.partitionKey, AttributeType: 'S' }, ...dueIndex]);
        assert.equal(table.Properties.BillingMode, 'PAY_PER_REQUEST');
        assert.deepEqual(table.Properties.TimeToLiveSpecification, { AttributeName: schema.ttlAttribute, Enabled: true });
        assert.deepEqual(table.Properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
        assert.deepEqual(table.Properties.SSESpecification, { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: arnOf(key) });
        assert.equal(table.DeletionPolicy, 'Retain');
        assert.equal(table.UpdateReplacePolicy, 'Retain');
      });
    }

    test('the processor is an arm64 nodejs22.x function with its own log group, memory and timeout', () => {
      const { fnRes, n } = idsOf(p);
      assert.equal(fnRes.Properties.Runtime, 'nodejs22.x');
      assert.deepEqual(fnRes.Properties.Architectures, ['arm64']);
      assert.equal(fnRes.Properties.Handler, 'index.handler');
      assert.equal(fnRes.Properties.MemorySize, p.processor.memoryMb);
      assert.equal(fnRes.Properties.Timeout, p.processor.timeoutSeconds);
      const [logGroup, logGroupRes] = resourceWhere(s.json, 'AWS::Logs::LogGroup', 'LogGroupName', `/aws/lambda/${n.functionName}`);
      assert.equal(logGroupRes.Properties.RetentionInDays, p.processor.logRetentionDays);
      assert.equal(logGroupRes.DeletionPolicy, 'Retain');
      assert.deepEqual(fnRes.Properties.LoggingConfig, { LogGroup: ref(logGroup) });
    });

    test('the processor environment carries every setting the processor reads', () => {
      const { fnRes, idem, dlq } = idsOf(p);
      const vars = (fnRes.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const [stateTable] = resourceWhere(s.json, 'AWS::DynamoDB::Table', 'TableName', pipelineResourceNames(config.stackName, p.name).stateTableName);
      const expected: Record<string, unknown> = {
        [PowertoolsEnv.ServiceName]: p.name,
        [PowertoolsEnv.LogLevel]: p.processor.logLevel,
        [PowertoolsEnv.MetricsNamespace]: 'StreamPipeline',
        NODE_OPTIONS: '--enable-source-maps',
        [ProcessorEnv.PipelineName]: p.name,
        [ProcessorEnv.IdempotencyTable]: ref(idem),
        [ProcessorEnv.DeadLetterQueueUrl]: ref(dlq),
        [ProcessorEnv.StateTable]: ref(stateTable),
        [ProcessorEnv.IdempotencyTtlSeconds]: String(p.idempotency.ttlHours * 3600),
        [ProcessorEnv.LeaseSeconds]: String(leaseSeconds(p)),
        [ProcessorEnv.KeyConcurrency]: String(p.processor.keyConcurrency),
        [ProcessorEnv.TimeMarginMs]: String(p.processor.timeMarginMs),
        [ProcessorEnv.ClockSkewAllowanceSeconds]: String(p.processor.clockSkewAllowanceSeconds),
      };
      if (p.action === 'telemetry' || p.action === 'returns') {
        const [topic] = resourceWhere(s.json, 'AWS::SNS::Topic', 'TopicName', pipelineResourceNames(config.stackName, p.name).alertsTopicName);
        expected[ProcessorEnv.AlertsTopicArn] = ref(topic);
      }
      if (p.action === 'telemetry') {
        expected[ProcessorEnv.TelemetryConfig] = JSON.stringify(p.telemetry);
        assert.deepEqual(JSON.parse(vars[ProcessorEnv.TelemetryConfig] as string), JSON.parse(JSON.stringify(p.telemetry)));
      }
      if (p.windows) {
        const [stream] = resourceWhere(s.json, 'AWS::Kinesis::Stream', 'Name', pipelineResourceNames(config.stackName, p.name).streamName);
        expected[ProcessorEnv.WindowsConfig] = JSON.stringify(p.windows);
        expected[ProcessorEnv.SpikeConfig] = JSON.stringify(p.spike);
        expected[ProcessorEnv.StreamName] = ref(stream);
      }
      assert.deepEqual(vars, expected);
    });

    test('the processor bundle is in the cloud assembly, minified with a source map, SDK bundled in', () => {
      const { fnRes } = idsOf(p);
      const assetPath = fnRes.Metadata?.['aws:asset:path'];
      assert.equal(typeof assetPath, 'string', 'aws:asset:path metadata is what the local target runs');
      const dir = path.join(s.outdir, assetPath as string);
      const code = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
      assert.ok(fs.existsSync(path.join(dir, 'index.js.map')), 'source map next to the bundle');
      assert.match(code, /\/\/# sourceMappingURL=index\.js\.map\s*$/);
      // Only optional SDK add-ons named in error messages may stay as require() strings; the clients
      // the processor uses must be inside the bundle.
      assert.ok(!/require\(["']@(aws-sdk|smithy)\/(client-|lib-|core|smithy-client)/.test(code), 'no SDK client left external');
      const lines = code.split('\n').length;
      assert.ok(lines < Math.max(50, code.length / 2000), `minified: ${lines} lines for ${code.length} bytes`);
      // Load it as Lambda would: a fresh Node process with the function's environment (references
      // replaced by placeholders), then look for the exported handler.
      const vars = (fnRes.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const env = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : `placeholder-${k}`]));
      const exported = execFileSync(process.execPath, ['-e', `process.stdout.write(typeof require(${JSON.stringify(path.join(dir, 'index.js'))}).handler)`], {
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...env },
        encoding: 'utf8',
      });
      assert.equal(exported, 'function', 'the bundle exports handler');
    });

    test('the event source mapping sets every setting from the configuration, with the DLQ on failure', () => {
      const { fn, stream, dlq, role } = idsOf(p);
      const [, esm] = resourceWhere(s.json, 'AWS::Lambda::EventSourceMapping', 'FunctionName', ref(fn));
      const e = p.eventSource;
      assert.deepEqual(esm.Properties, {
        FunctionName: ref(fn),
        EventSourceArn: arnOf(stream),
        Enabled: true,
        BatchSize: e.batchSize,
        MaximumBatchingWindowInSeconds: e.maxBatchingWindowSeconds,
        StartingPosition: e.startingPosition,
        ParallelizationFactor: e.parallelizationFactor,
        BisectBatchOnFunctionError: e.bisectBatchOnFunctionError,
        MaximumRetryAttempts: e.maxRetryAttempts,
        MaximumRecordAgeInSeconds: e.maxRecordAgeSeconds,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MetricsConfig: { Metrics: ['EventCount'] },
        DestinationConfig: { OnFailure: { Destination: arnOf(dlq) } },
      });
      assert.ok(e.maxRetryAttempts >= 0, 'retries are bounded (AWS default -1 is infinite)');
      assert.ok(e.maxRecordAgeSeconds < p.stream.retentionHours * 3600, 'records give up before the stream drops them');
      // Lambda checks the role when the mapping is created: the grants must exist first.
      assert.ok((esm as CfnResource).DependsOn?.includes(role));
    });

    test('the processor role is assumed by Lambda only, with no managed policy', () => {
      const { role } = idsOf(p);
      const roleRes = s.json.Resources[role]!;
      assert.equal(roleRes.Properties.ManagedPolicyArns, undefined);
      assert.deepEqual(roleRes.Properties.AssumeRolePolicyDocument, {
        Version: '2012-10-17',
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
      });
    });

    test('the processor policy: exact actions on its own resources, nothing wildcarded', () => {
      const { role, stream, dlq, idem, key, fnRes } = idsOf(p);
      const statements = policyStatementsOf(role);
      for (const st of statements) {
        assert.equal(st.Effect, 'Allow');
        for (const action of actionsOf(st)) assert.doesNotMatch(action, /\*/, `wildcard action ${action}`);
        for (const resource of resourcesOf(st)) assert.notEqual(resource, '*', `wildcard resource for ${actionsOf(st).join(',')}`);
      }
      const allowed = (resource: unknown): string[] =>
        [...new Set(statements.filter((st) => resourcesOf(st).some((r) => JSON.stringify(r) === JSON.stringify(resource))).flatMap(actionsOf))].sort();

      const [stateTable] = resourceWhere(s.json, 'AWS::DynamoDB::Table', 'TableName', pipelineResourceNames(config.stackName, p.name).stateTableName);
      const tableActions = [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ];
      assert.deepEqual(allowed(arnOf(idem)), tableActions);
      assert.deepEqual(allowed(arnOf(stateTable)), tableActions);
      assert.deepEqual(allowed(arnOf(dlq)), ['sqs:SendMessage']);
      assert.deepEqual(allowed(arnOf(key)), ['kms:Decrypt', 'kms:GenerateDataKey']);
      assert.ok(allowed(arnOf(stream)).includes('kinesis:GetRecords'));
      assert.ok(allowed(arnOf(stream)).includes('kinesis:GetShardIterator'));
      assert.ok(allowed(arnOf(stream)).every((a) => a.startsWith('kinesis:')));
      const logGroup = (fnRes.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      assert.deepEqual(allowed(arnOf(logGroup)), ['logs:CreateLogStream', 'logs:PutLogEvents']);
      if (p.action === 'telemetry') {
        const [topic] = resourceWhere(s.json, 'AWS::SNS::Topic', 'TopicName', pipelineResourceNames(config.stackName, p.name).alertsTopicName);
        assert.deepEqual(allowed(ref(topic)), ['sns:Publish']);
      }
    });

    test('stack outputs name its stream, DLQ, function and tables', () => {
      const { stream, dlq, fn, idem } = idsOf(p);
      const id = outputIdPrefix(p.name);
      const [stateTable] = resourceWhere(s.json, 'AWS::DynamoDB::Table', 'TableName', pipelineResourceNames(config.stackName, p.name).stateTableName);
      const outputs = s.json.Outputs;
      assert.deepEqual(outputs[`${id}StreamName`]?.Value, ref(stream));
      assert.deepEqual(outputs[`${id}StreamArn`]?.Value, arnOf(stream));
      assert.deepEqual(outputs[`${id}DlqUrl`]?.Value, ref(dlq));
      assert.deepEqual(outputs[`${id}DlqArn`]?.Value, arnOf(dlq));
      assert.deepEqual(outputs[`${id}FunctionName`]?.Value, ref(fn));
      assert.deepEqual(outputs[`${id}KeyArn`]?.Value, arnOf(idsOf(p).key));
      assert.deepEqual(outputs[`${id}IdempotencyTableName`]?.Value, ref(idem));
      assert.deepEqual(outputs[`${id}StateTableName`]?.Value, ref(stateTable));
    });
  });
}

test('telemetry has an alerts topic encrypted with its pipeline key, TLS only; orders has none', () => {
  const telemetry = config.pipelines.find((p) => p.name === 'telemetry')!;
  const { key } = idsOf(telemetry);
  const names = pipelineResourceNames(config.stackName, 'telemetry');
  const [topic, topicRes] = resourceWhere(s.json, 'AWS::SNS::Topic', 'TopicName', names.alertsTopicName);
  assert.deepEqual(topicRes.Properties.KmsMasterKeyId, arnOf(key));
  s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
    Topics: [ref(topic)],
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
  });
  assert.deepEqual(s.json.Outputs.telemetryAlertsTopicArn?.Value, ref(topic));
  assert.equal(
    resourcesOfType(s.json, 'AWS::SNS::Topic').filter(([, t]) => t.Properties.TopicName === pipelineResourceNames(config.stackName, 'orders').alertsTopicName).length,
    0,
  );
});

test('the stack outputs the alarm topic ARN and the dashboard URL', () => {
  const [topic] = resourceWhere(s.json, 'AWS::SNS::Topic', 'TopicName', `${config.stackName}-alarms`);
  assert.deepEqual(s.json.Outputs.AlarmTopicArn?.Value, ref(topic));
  const url = JSON.stringify(s.json.Outputs.DashboardUrl?.Value);
  assert.match(url, /console\.aws\.amazon\.com\/cloudwatch\/home\?region=/);
  assert.match(url, new RegExp(`#dashboards:name=${config.stackName}-pipelines`));
});
