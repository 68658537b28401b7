/**
 * startLocalAws as a whole, on a synthesized fixture stack and the test runner's emulators: the
 * control plane serves the deployed function, a record put on the stream reaches it through the event
 * source mapping, faults break and heal a service without losing its data, and stop() leaves nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand, GetFunctionCommand, InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { isAlive } from './support/processes';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators';
import { startLocalAws, type LocalAwsInstance } from '../../local';
import type { EchoAnswer } from '../fixtures/functions/behaviours';
import { clientsFor, runnerEmulators } from './support/emulator-clients';
import { synthFixtureStack, type FixtureStack } from './support/fixture-stack';

const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };

describe('startLocalAws', () => {
  const emulators = runnerEmulators();
  const direct = clientsFor(emulators);
  let fixture: FixtureStack;
  let localAws: LocalAwsInstance;
  let lambda: LambdaClient;

  before(async () => {
    fixture = synthFixtureStack(`LocalAws${randomUUID().slice(0, 8)}`);
    localAws = await startLocalAws({ cdkOut: fixture.cdkOut, stackName: fixture.stackName, emulators, pollIntervalMs: 200, verbose: false });
    lambda = new LambdaClient({ ...common, endpoint: localAws.endpoints.lambda });
  });
  after(async () => {
    lambda?.destroy();
    await localAws?.stop();
    direct.destroy();
  });

  it('exposes endpoints and an environment that point the SDK at this target', () => {
    assert.equal(localAws.env.AWS_ENDPOINT_URL_LAMBDA, localAws.endpoints.lambda);
    assert.equal(localAws.env.AWS_ENDPOINT_URL_CLOUDWATCH, localAws.endpoints.cloudwatch);
    assert.equal(localAws.env.AWS_ENDPOINT_URL_DYNAMODB, localAws.endpoints.dynamodb);
    // Kinesis, DynamoDB and SQS go through this instance's fault proxies, not straight to the emulators.
    assert.notEqual(localAws.endpoints.dynamodb, emulators.dynamodb);
    assert.notEqual(localAws.endpoints.kinesis, emulators.kinesis);
    assert.equal(Object.values(localAws.resources).find((r) => r.type === 'AWS::CloudWatch::Alarm')?.physicalId, fixture.names.alarm);
  });

  it('serves the deployed function through the Lambda API, with the endpoints in its environment', async () => {
    const listed = await lambda.send(new ListFunctionsCommand({}));
    assert.deepEqual(listed.Functions?.map((f) => f.FunctionName), [fixture.names.function]);
    const out = await lambda.send(new InvokeCommand({ FunctionName: fixture.names.function, Payload: Buffer.from(JSON.stringify({ via: 'sdk' })) }));
    assert.equal(out.FunctionError, undefined);
    const answer = JSON.parse(Buffer.from(out.Payload ?? []).toString()) as EchoAnswer;
    assert.deepEqual(answer.event, { via: 'sdk' });
    assert.equal(answer.env.AWS_ENDPOINT_URL_DYNAMODB, localAws.endpoints.dynamodb);
    assert.equal(answer.env.AWS_ENDPOINT_URL_LAMBDA, localAws.endpoints.lambda);
    assert.equal(answer.env.TABLE_NAME, fixture.names.table);
  });

  it('delivers a record put on the stream to the function through the event source mapping', async () => {
    const mapping = localAws.deployed.eventSourceMappings[0];
    assert.ok(mapping);
    const kinesis = direct.kinesis;
    await kinesis.send(new PutRecordCommand({ StreamName: fixture.names.stream, PartitionKey: 'k', Data: Buffer.from('{"hello":"stream"}') }));
    const deadline = Date.now() + 20_000;
    let result = '';
    while (Date.now() < deadline) {
      result = (await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.uuid }))).LastProcessingResult ?? '';
      if (result === 'OK') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(result, 'OK', 'the mapping invoked the function successfully');
    const invocations = localAws.metrics
      .points({ namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: { FunctionName: fixture.names.function } }, 0, Number.MAX_SAFE_INTEGER)
      .reduce((sum, p) => sum + p.value, 0);
    assert.ok(invocations >= 2, `Invocations recorded: ${invocations}`);
  });

  // LocalStack's test_cfn_lambda_kinesis_source (CloudFormation): a template's function, stream and
  // mapping, read back through the service APIs. Here the template is deployed by startLocalAws.
  it('test_cfn_lambda_kinesis_source: the template\'s mapping is served and ruled like an API-created one', async () => {
    const mapping = localAws.deployed.eventSourceMappings[0];
    assert.ok(mapping);
    const got = await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.uuid }));
    assert.equal(got.State, 'Enabled');
    assert.equal(got.StateTransitionReason, 'User action');
    assert.equal(got.EventSourceMappingArn, `arn:aws:lambda:${LOCAL_REGION}:000000000000:event-source-mapping:${mapping.uuid}`);
    assert.equal(got.FunctionArn, `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:${fixture.names.function}`);
    assert.deepEqual([got.BatchSize, got.StartingPosition, got.BisectBatchOnFunctionError, got.MaximumRetryAttempts], [10, 'TRIM_HORIZON', true, 2]);
    assert.deepEqual(got.FunctionResponseTypes, ['ReportBatchItemFailures']);
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: fixture.names.function }));
    assert.equal(fn.Configuration?.State, 'Active');
    // One rule for both kinds: a second mapping of the same function and stream is refused.
    await assert.rejects(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: fixture.names.function, EventSourceArn: got.EventSourceArn, StartingPosition: 'LATEST' })), {
      name: 'ResourceConflictException',
      message: `The event source arn (" ${got.EventSourceArn} ") and function (" ${fixture.names.function} ") provided mapping already exists. Please update or delete the existing mapping with UUID ${mapping.uuid}`,
    });
  });

  it('breaks and heals DynamoDB with setFault while the emulator keeps its data', async () => {
    const dynamodb = new DynamoDBClient({ ...common, endpoint: localAws.endpoints.dynamodb, maxAttempts: 1, requestHandler: new NodeHttpHandler({ requestTimeout: 800, throwOnRequestTimeout: true }) });
    const key = { pk: { S: `fault-${randomUUID()}` }, sk: { S: 'a' } };
    try {
      await dynamodb.send(new PutItemCommand({ TableName: fixture.names.table, Item: { ...key, v: { N: '1' } } }));

      localAws.setFault('dynamodb', 'refuse');
      await assert.rejects(dynamodb.send(new GetItemCommand({ TableName: fixture.names.table, Key: key })), /ECONNRESET|socket hang up|ECONNREFUSED/);

      localAws.setFault('dynamodb', 'stall');
      const began = Date.now();
      await assert.rejects(dynamodb.send(new GetItemCommand({ TableName: fixture.names.table, Key: key })), (error: Error) => /timeout|timed out/i.test(`${error.name} ${error.message}`));
      assert.ok(Date.now() - began >= 700, 'a stalled call hangs until its own timeout');

      // The emulator itself never went away: the runner's direct endpoint still answers.
      const directRead = await direct.dynamodb.send(new GetItemCommand({ TableName: fixture.names.table, Key: key }));
      assert.equal(directRead.Item?.v?.N, '1');

      localAws.setFault('dynamodb', 'none');
      const healed = await dynamodb.send(new GetItemCommand({ TableName: fixture.names.table, Key: key }));
      assert.equal(healed.Item?.v?.N, '1', 'the data survived the outage');
    } finally {
      localAws.setFault('dynamodb', 'none');
      dynamodb.destroy();
    }
  });

  it('stop() ends the containers and the control plane, and removes what it deployed on shared emulators', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: fixture.names.function, Payload: Buffer.from('{}') }));
    const pid = (JSON.parse(Buffer.from(out.Payload ?? []).toString()) as EchoAnswer).pid;
    assert.equal(isAlive(pid), true);
    await localAws.stop();
    assert.equal(isAlive(pid), false, `container ${pid} still runs`);
    await assert.rejects(lambda.send(new ListFunctionsCommand({})), /ECONNREFUSED|socket hang up|ECONNRESET/);
    const streams = (await direct.kinesis.send(new ListStreamsCommand({}))).StreamNames ?? [];
    assert.ok(!streams.includes(fixture.names.stream), 'the stream was deleted');
    await localAws.stop(); // idempotent
  });
});
