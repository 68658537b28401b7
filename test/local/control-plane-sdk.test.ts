/**
 * The control plane through the real AWS SDK v3 clients, pointed at it only by AWS_ENDPOINT_URL_LAMBDA
 * and AWS_ENDPOINT_URL_CLOUDWATCH: Lambda ListFunctions/GetFunction/Invoke and the event source mapping
 * calls (switching a live mapping on kinesis-local off and on), CloudWatch PutMetricData/GetMetricData
 * (metric math included)/DescribeAlarms (metric math alarms included)/DescribeAlarmHistory, and
 * AWS-shaped errors the SDK names correctly.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, GetMetricDataCommand, ListMetricsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { AlarmEvaluator, MetricStore, SimulatedClock } from '../../local/cloudwatch';
import { startControlPlane, type ControlPlane, type ControlPlaneFunction } from '../../local/control-plane';
import { EventSourceMappingRegistry } from '../../local/event-source';
import { clientsFromEnv, createStream, FixtureInvoker, MemorySink, put, sleep, testMapping, waitFor, type TestClients } from '../../local/event-source/test-kit';

const FUNCTION: ControlPlaneFunction = {
  functionName: 'fixture',
  arn: 'arn:aws:lambda:us-east-1:000000000000:function:fixture',
  handler: 'index.handler',
  runtime: 'nodejs22.x',
  timeoutSeconds: 30,
  memoryMb: 256,
  architectures: ['arm64'],
  environment: { PIPELINE: 'orders' },
};

describe('control plane through the AWS SDK', () => {
  let clients: TestClients;
  let stream: Awaited<ReturnType<typeof createStream>>;
  let controlPlane: ControlPlane;
  let lambda: LambdaClient;
  let cloudwatch: CloudWatchClient;
  const registry = new EventSourceMappingRegistry();
  const store = new MetricStore(new SimulatedClock(600));
  const alarms = new AlarmEvaluator({ store, logger: () => undefined });
  // Kinesis batches echo their data; direct invocations echo their event or fail on request.
  const invoker = new FixtureInvoker((call) => call.data);
  const directInvoker = {
    invoke: async (name: string, event: unknown) => {
      if ((event as { Records?: unknown }).Records) return invoker.invoke(name, event);
      if ((event as { fail?: boolean }).fail) return { kind: 'functionError' as const, errorType: 'TypeError', errorMessage: 'asked to fail', durationMs: 1, functionError: 'Unhandled' as const };
      return { kind: 'success' as const, payload: { echo: event }, durationMs: 1 };
    },
  };

  before(async () => {
    clients = clientsFromEnv();
    stream = await createStream(clients.kinesis);
    registry.add(testMapping({ stream, invoker: directInvoker, clients, sink: new MemorySink() }, { StartingPosition: 'LATEST', BatchSize: 10 }));
    await registry.startAll();
    alarms.add({
      AlarmName: 'sdk-latency-p99',
      Namespace: 'SdkTest',
      MetricName: 'Latency',
      Dimensions: [{ Name: 'Pipeline', Value: 'orders' }],
      ExtendedStatistic: 'p99',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    alarms.add({
      AlarmName: 'sdk-error-rate',
      Metrics: [
        { Id: 'rate', Label: 'error rate (%)', ReturnData: true, Expression: '100 * FILL(errors, 0) / requests' },
        { Id: 'errors', ReturnData: false, MetricStat: { Metric: { Namespace: 'SdkMath', MetricName: 'Errors', Dimensions: [{ Name: 'Pipeline', Value: 'orders' }] }, Period: 60, Stat: 'Sum' } },
        { Id: 'requests', ReturnData: false, MetricStat: { Metric: { Namespace: 'SdkMath', MetricName: 'Requests', Dimensions: [{ Name: 'Pipeline', Value: 'orders' }] }, Period: 60, Stat: 'Sum', Unit: 'Count' } },
      ],
      EvaluationPeriods: 2,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    controlPlane = await startControlPlane({ functions: () => [FUNCTION], invoker: directInvoker, mappings: registry, metrics: store, alarms, log: () => undefined });
    // Only the standard endpoint variables: the clients are configured like any application's.
    process.env.AWS_ENDPOINT_URL_LAMBDA = controlPlane.endpoints.lambda;
    process.env.AWS_ENDPOINT_URL_CLOUDWATCH = controlPlane.endpoints.cloudwatch;
    lambda = new LambdaClient({});
    cloudwatch = new CloudWatchClient({});
  });

  after(async () => {
    lambda.destroy();
    cloudwatch.destroy();
    await alarms.stop();
    await registry.stopAll();
    await controlPlane.stop();
    await stream.delete();
    clients.destroy();
  });

  it('ListFunctions and GetFunction describe the deployed function', async () => {
    const list = await lambda.send(new ListFunctionsCommand({}));
    assert.deepEqual(list.Functions?.map((f) => [f.FunctionName, f.FunctionArn, f.Runtime, f.Timeout, f.MemorySize]), [['fixture', FUNCTION.arn, 'nodejs22.x', 30, 256]]);
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: FUNCTION.arn }));
    assert.deepEqual(got.Configuration?.Environment?.Variables, { PIPELINE: 'orders' });
    assert.deepEqual(got.Configuration?.Architectures, ['arm64']);
  });

  it('Invoke returns the payload, and marks a function error with FunctionError Unhandled', async () => {
    const ok = await lambda.send(new InvokeCommand({ FunctionName: 'fixture', Payload: Buffer.from(JSON.stringify({ hello: 'world' })) }));
    assert.equal(ok.StatusCode, 200);
    assert.equal(ok.FunctionError, undefined);
    assert.deepEqual(JSON.parse(Buffer.from(ok.Payload ?? []).toString()), { echo: { hello: 'world' } });

    const failed = await lambda.send(new InvokeCommand({ FunctionName: 'fixture', Payload: Buffer.from(JSON.stringify({ fail: true })) }));
    assert.equal(failed.StatusCode, 200);
    assert.equal(failed.FunctionError, 'Unhandled');
    assert.deepEqual(JSON.parse(Buffer.from(failed.Payload ?? []).toString()), { errorType: 'TypeError', errorMessage: 'asked to fail', trace: [] });
  });

  it('unknown functions and mappings throw ResourceNotFoundException', async () => {
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'nope' })), { name: 'ResourceNotFoundException' });
    await assert.rejects(lambda.send(new GetEventSourceMappingCommand({ UUID: '00000000-0000-0000-0000-000000000000' })), { name: 'ResourceNotFoundException' });
  });

  it('UpdateEventSourceMapping Enabled false stops delivery; Enabled true resumes with nothing lost', async () => {
    const [summary] = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'fixture' }))).EventSourceMappings ?? [];
    assert.ok(summary?.UUID);
    assert.equal(summary.State, 'Enabled');
    assert.equal(summary.EventSourceArn, stream.arn);
    assert.equal(summary.BatchSize, 10);
    const uuid = summary.UUID;

    await put(clients.kinesis, stream.name, 'k', 'before');
    await waitFor('delivery while enabled', () => invoker.delivered().includes('before'));

    const disabling = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
    assert.ok(['Disabling', 'Disabled'].includes(disabling.State ?? ''), `state ${disabling.State}`);
    await waitFor('Disabled', async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === 'Disabled');
    const seen = invoker.delivered().length;
    await put(clients.kinesis, stream.name, 'k', 'during-1');
    await put(clients.kinesis, stream.name, 'k', 'during-2');
    await sleep(400);
    assert.equal(invoker.delivered().length, seen, 'nothing delivered while disabled');

    const enabling = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
    assert.ok(['Enabling', 'Enabled'].includes(enabling.State ?? ''), `state ${enabling.State}`);
    await waitFor('records written while disabled', () => invoker.delivered().includes('during-2'));
    assert.deepEqual(invoker.delivered(), ['before', 'during-1', 'during-2']);
    assert.equal((await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State, 'Enabled');
  });

  // This assertion used to be the refusal of any setting but Enabled; AWS updates every setting (issue 16).
  it('UpdateEventSourceMapping changes any setting: Updating, then Enabled with the new settings, delivery continuing from the checkpoint', async () => {
    const [summary] = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'fixture' }))).EventSourceMappings ?? [];
    const uuid = summary?.UUID as string;
    await waitFor('Enabled', async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === 'Enabled');
    await assert.rejects(lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 0 })), {
      name: 'ValidationException',
      message: "1 validation error detected: Value '0' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1",
    });
    await assert.rejects(lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, FilterCriteria: { Filters: [{ Pattern: '{"data": 1}' }] } })), {
      name: 'InvalidParameterValueException',
      message: 'Invalid filter pattern definition.',
    });
    await assert.rejects(lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, MaximumRecordAgeInSeconds: 30 })), { name: 'InvalidParameterValueException' });
    assert.equal((await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).BatchSize, 10, 'a refused update changes nothing');

    const updating = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 2, MaximumRetryAttempts: 3, BisectBatchOnFunctionError: true, MaximumBatchingWindowInSeconds: 0 }));
    assert.equal(updating.$metadata.httpStatusCode, 202);
    assert.ok(['Updating', 'Enabling', 'Enabled'].includes(updating.State ?? ''), `state ${updating.State}`);
    await waitFor('Enabled again', async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === 'Enabled');
    const got = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    assert.deepEqual([got.BatchSize, got.MaximumRetryAttempts, got.BisectBatchOnFunctionError, got.StateTransitionReason], [2, 3, true, 'User action']);
    assert.equal(got.EventSourceMappingArn, `arn:aws:lambda:us-east-1:000000000000:event-source-mapping:${uuid}`);
    const before = invoker.calls.length;
    for (const data of ['u1', 'u2', 'u3', 'u4', 'u5']) await put(clients.kinesis, stream.name, 'k', data);
    await waitFor('the records after the update', () => invoker.delivered().includes('u5'));
    assert.ok(invoker.calls.slice(before).every((c) => c.data.length <= 2), 'batches of the new BatchSize');
    assert.deepEqual(invoker.delivered().filter((d) => d.startsWith('u')), ['u1', 'u2', 'u3', 'u4', 'u5']);
    await assert.rejects(lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, FunctionName: 'no-such-function' })), { name: 'InvalidParameterValueException', message: 'Function does not exist' });
  });

  it('DeleteEventSourceMapping answers 202 Deleting; the mapping is gone and delivers nothing more', async () => {
    const [summary] = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'fixture' }))).EventSourceMappings ?? [];
    const uuid = summary?.UUID as string;
    const deleted = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
    assert.equal(deleted.$metadata.httpStatusCode, 202);
    assert.equal(deleted.State, 'Deleting');
    await assert.rejects(lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })), { name: 'ResourceNotFoundException', message: 'The resource you requested does not exist.' });
    await assert.rejects(lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid })), { name: 'ResourceNotFoundException' });
    assert.deepEqual((await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings, []);
    await sleep(300);
    const seen = invoker.calls.length;
    await put(clients.kinesis, stream.name, 'k', 'after-delete');
    await sleep(500);
    assert.equal(invoker.calls.length, seen, 'nothing delivered after the delete');
  });

  it('PutMetricData then GetMetricData returns the statistics per aligned period, percentiles included', async () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    await cloudwatch.send(
      new PutMetricDataCommand({ Namespace: 'SdkTest', MetricData: [{ MetricName: 'Size', Dimensions: [{ Name: 'Pipeline', Value: 'orders' }], Values: values, Unit: 'Count' }] }),
    );
    const now = store.clock.now();
    const result = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - 3600_000),
        EndTime: new Date(now + 3600_000),
        MetricDataQueries: ['Sum', 'p90', 'Maximum', 'SampleCount'].map((stat, i) => ({
          Id: `q${i}`,
          MetricStat: { Metric: { Namespace: 'SdkTest', MetricName: 'Size', Dimensions: [{ Name: 'Pipeline', Value: 'orders' }] }, Period: 3600, Stat: stat },
        })),
      }),
    );
    assert.deepEqual(result.MetricDataResults?.map((r) => [r.Id, r.StatusCode, r.Values]), [
      ['q0', 'Complete', [5050]],
      ['q1', 'Complete', [90]],
      ['q2', 'Complete', [100]],
      ['q3', 'Complete', [100]],
    ]);
    const timestamp = result.MetricDataResults?.[0]?.Timestamps?.[0];
    assert.ok(timestamp instanceof Date && timestamp.getTime() % 3600_000 === 0, 'period start aligned to the hour');
    const listed = await cloudwatch.send(new ListMetricsCommand({ Namespace: 'SdkTest' }));
    assert.deepEqual(listed.Metrics?.map((m) => m.MetricName), ['Size']);
  });

  it('DescribeAlarms and DescribeAlarmHistory show an alarm firing on metrics put through the API', async () => {
    const before = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['sdk-latency-p99'] }));
    assert.equal(before.MetricAlarms?.[0]?.StateValue, 'INSUFFICIENT_DATA');
    assert.equal(before.MetricAlarms?.[0]?.ExtendedStatistic, 'p99');
    alarms.start();
    const feeding = setInterval(() => {
      void cloudwatch.send(new PutMetricDataCommand({ Namespace: 'SdkTest', MetricData: [{ MetricName: 'Latency', Dimensions: [{ Name: 'Pipeline', Value: 'orders' }], Value: 4000, Unit: 'Milliseconds' }] }));
    }, 20);
    try {
      await waitFor('ALARM', async () => (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['sdk-latency-p99'] }))).MetricAlarms?.[0]?.StateValue === 'ALARM', 5000);
    } finally {
      clearInterval(feeding);
    }
    const inAlarm = await cloudwatch.send(new DescribeAlarmsCommand({ StateValue: 'ALARM' }));
    assert.deepEqual(inAlarm.MetricAlarms?.map((a) => a.AlarmName), ['sdk-latency-p99']);
    assert.match(inAlarm.MetricAlarms?.[0]?.StateReason ?? '', /greater than the threshold \(1000\.0\)/);
    const history = await cloudwatch.send(new DescribeAlarmHistoryCommand({ AlarmName: 'sdk-latency-p99', HistoryItemType: 'StateUpdate' }));
    // Newest first; with notBreaching the alarm may have passed through OK before the first data arrived.
    assert.match(history.AlarmHistoryItems?.[0]?.HistorySummary ?? '', /^Alarm updated from (INSUFFICIENT_DATA|OK) to ALARM$/);
    assert.ok(history.AlarmHistoryItems?.[0]?.Timestamp instanceof Date);
  });

  it('DescribeAlarms returns a metric math alarm with its Metrics (MetricDataQuery) instead of one metric', async () => {
    const [math] = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['sdk-error-rate'] }))).MetricAlarms ?? [];
    assert.ok(math);
    assert.equal(math.MetricName, undefined);
    assert.equal(math.Namespace, undefined);
    assert.equal(math.Period, undefined);
    assert.equal(math.Statistic, undefined);
    assert.equal(math.EvaluationPeriods, 2);
    assert.equal(math.DatapointsToAlarm, 2);
    assert.deepEqual(math.Metrics, [
      { Id: 'rate', Label: 'error rate (%)', ReturnData: true, Expression: '100 * FILL(errors, 0) / requests' },
      { Id: 'errors', ReturnData: false, MetricStat: { Metric: { Namespace: 'SdkMath', MetricName: 'Errors', Dimensions: [{ Name: 'Pipeline', Value: 'orders' }] }, Period: 60, Stat: 'Sum' } },
      {
        Id: 'requests',
        ReturnData: false,
        MetricStat: { Metric: { Namespace: 'SdkMath', MetricName: 'Requests', Dimensions: [{ Name: 'Pipeline', Value: 'orders' }] }, Period: 60, Stat: 'Sum', Unit: 'Count' },
      },
    ]);
  });

  it('GetMetricData evaluates metric math expressions over the aligned periods', async () => {
    // Timestamps in a complete hour well before now on the simulated axis, given as the real times
    // that map there, so the result does not depend on when an hour of the fast clock ends.
    const hour = 3600_000;
    const start = Math.floor(store.clock.now() / hour) * hour - 3 * hour;
    const real = (simulated: number): Date => new Date(store.clock.origin + (simulated - store.clock.origin) / store.clock.timeScale);
    const dimensions = [{ Name: 'Pipeline', Value: 'math' }];
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'SdkMath',
        MetricData: [
          { MetricName: 'Requests', Dimensions: dimensions, Values: [100, 100], Timestamp: real(start + hour + 60_000) },
          { MetricName: 'Errors', Dimensions: dimensions, Values: [3, 3], Timestamp: real(start + hour + 120_000) },
          { MetricName: 'Requests', Dimensions: dimensions, Values: [50], Timestamp: real(start + 60_000) },
        ],
      }),
    );
    const metric = (name: string): { Namespace: string; MetricName: string; Dimensions: typeof dimensions } => ({ Namespace: 'SdkMath', MetricName: name, Dimensions: dimensions });
    const result = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(start),
        EndTime: new Date(start + 3 * hour),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          { Id: 'rate', Expression: '100 * FILL(errors, 0) / requests', Label: 'error rate' },
          { Id: 'filled', Expression: 'FILL(errors, 0)' },
          { Id: 'errors', MetricStat: { Metric: metric('Errors'), Period: 3600, Stat: 'Sum' }, ReturnData: false },
          { Id: 'requests', MetricStat: { Metric: metric('Requests'), Period: 3600, Stat: 'Sum' }, ReturnData: false },
        ],
      }),
    );
    const seconds = (ms: number): number => ms / 1000;
    assert.deepEqual(
      result.MetricDataResults?.map((r) => [r.Id, r.Label, r.Timestamps?.map((t) => seconds(t.getTime())), r.Values]),
      [
        ['rate', 'error rate', [seconds(start), seconds(start + hour)], [0, 3]],
        ['filled', 'filled', [seconds(start), seconds(start + hour), seconds(start + 2 * hour)], [0, 6, 0]],
      ],
    );
  });

  it('CloudWatch errors arrive as the SDK exceptions AWS would raise', async () => {
    await assert.rejects(
      cloudwatch.send(new GetMetricDataCommand({ StartTime: new Date(0), EndTime: new Date(), MetricDataQueries: [{ Id: 'e1', Expression: 'SUM(METRICS())' }] })),
      (error: Error) => {
        assert.equal(error.name, 'InvalidParameterValueException');
        assert.equal((error as Error & { Code?: string }).Code, 'InvalidParameterValue');
        assert.equal(error.message, 'MetricDataQueries[0] (e1): Expression "SUM(METRICS())": SUM() is not supported by the local metric math (supported functions: FILL, IF) (column 1)');
        return true;
      },
    );
    await assert.rejects(cloudwatch.send(new PutMetricDataCommand({ Namespace: 'AWS/Lambda', MetricData: [{ MetricName: 'x', Value: 1 }] })), { name: 'InvalidParameterValueException' });
    await assert.rejects(cloudwatch.send(new PutMetricDataCommand({ Namespace: 'SdkTest', MetricData: [] })), { name: 'MissingRequiredParameterException' });
  });
});
