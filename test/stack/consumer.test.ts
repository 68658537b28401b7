/**
 * Enhanced fan-out in the stack (`eventSource.consumer: efo`, lib/constructs/stream-read-source.ts): a
 * stream consumer per such pipeline, its mapping on the consumer's ARN, `kinesis:SubscribeToShard` and
 * `kinesis:DescribeStreamConsumer` granted on that consumer only, the stream's reads without them, and
 * cdk-nag clean; a polling pipeline of the same stack keeps its mapping on the stream and no consumer.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { pipelineResourceNames } from '../../lib/config';
import { CONSUMER_READ_ACTIONS, STREAM_READ_ACTIONS } from '../../lib/constructs/stream-read-source';
import { EFO_PIPELINE, efoConfig, POLLING_PIPELINE } from '../fixtures/efo-config';
import { arnOf, ref, resourcesOfType, resourceWhere, synthStack, type Synthesized } from './synth';

let s: Synthesized;
before(() => {
  s = synthStack(efoConfig, { validation: true, stubHandlers: true });
});
after(() => s?.dispose());

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
const actionsOf = (st: Statement): string[] => (Array.isArray(st.Action) ? st.Action : [st.Action]);
const resourcesOf = (st: Statement): unknown[] => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]);

function pipelineIds(name: string) {
  const names = pipelineResourceNames(efoConfig.stackName, name);
  const [stream] = resourceWhere(s.json, 'AWS::Kinesis::Stream', 'Name', names.streamName);
  const [fn, fnRes] = resourceWhere(s.json, 'AWS::Lambda::Function', 'FunctionName', names.functionName);
  const [, esm] = resourceWhere(s.json, 'AWS::Lambda::EventSourceMapping', 'FunctionName', ref(fn));
  const role = (fnRes.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = resourcesOfType(s.json, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([ref(role)]))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  /** The actions allowed on exactly this resource. */
  const allowedOn = (resource: unknown): string[] =>
    [...new Set(statements.filter((st) => resourcesOf(st).some((r) => JSON.stringify(r) === JSON.stringify(resource))).flatMap(actionsOf))].sort();
  /** Every resource an action is allowed on. */
  const resourcesFor = (action: string): unknown[] => statements.filter((st) => actionsOf(st).includes(action)).flatMap(resourcesOf);
  return { names, stream, esm, statements, allowedOn, resourcesFor };
}

test('an efo pipeline gets a stream consumer on its stream, and its mapping reads the consumer', () => {
  const p = pipelineIds(EFO_PIPELINE);
  const consumers = resourcesOfType(s.json, 'AWS::Kinesis::StreamConsumer');
  assert.equal(consumers.length, 1, 'one consumer: the polling pipeline has none');
  const [consumerId, consumer] = consumers[0]!;
  assert.deepEqual(consumer.Properties, { ConsumerName: p.names.consumerName, StreamARN: arnOf(p.stream) });
  assert.deepEqual(p.esm.Properties.EventSourceArn, { 'Fn::GetAtt': [consumerId, 'ConsumerARN'] });
  assert.equal(p.esm.Properties.MaximumBatchingWindowInSeconds, 0);
  assert.equal(p.esm.Properties.StartingPosition, 'TRIM_HORIZON');
});

test('least privilege: SubscribeToShard and DescribeStreamConsumer on the consumer only, the stream read without them', () => {
  const p = pipelineIds(EFO_PIPELINE);
  const [consumerId] = resourcesOfType(s.json, 'AWS::Kinesis::StreamConsumer')[0]!;
  const consumerArn = { 'Fn::GetAtt': [consumerId, 'ConsumerARN'] };
  assert.deepEqual(p.allowedOn(consumerArn), [...CONSUMER_READ_ACTIONS].sort());
  for (const action of CONSUMER_READ_ACTIONS) assert.deepEqual(p.resourcesFor(action), [consumerArn], `${action} is allowed on the consumer alone`);
  assert.deepEqual(p.allowedOn(arnOf(p.stream)), [...STREAM_READ_ACTIONS].sort());
  assert.deepEqual(p.resourcesFor('kinesis:ListStreams'), []);
  for (const st of p.statements) for (const r of resourcesOf(st)) assert.notEqual(r, '*', `wildcard resource for ${actionsOf(st).join(', ')}`);
});

test('a polling pipeline in the same stack reads its stream, with no consumer action anywhere', () => {
  const p = pipelineIds(POLLING_PIPELINE);
  assert.deepEqual(p.esm.Properties.EventSourceArn, arnOf(p.stream));
  assert.deepEqual(p.allowedOn(arnOf(p.stream)), [...STREAM_READ_ACTIONS].sort());
  for (const action of CONSUMER_READ_ACTIONS) assert.deepEqual(p.resourcesFor(action), [], `${action} is not granted`);
});

test('cdk-nag (AwsSolutions) and the CloudFormation checks find nothing unsuppressed', () => {
  const report = JSON.parse(fs.readFileSync(path.join(s.outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { pluginName: string; violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
  };
  assert.ok(report.pluginReports.some((r) => r.pluginName === 'AwsSolutions'));
  const open = report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName} ${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`));
  assert.deepEqual(open, []);
});
