/**
 * The local CloudWatch alarm evaluator: CloudWatch's rules on a controlled clock (aligned periods,
 * percentiles, M out of N, every TreatMissingData), then on the real schedule with a time scale,
 * publishing CloudWatch's alarm message through fauxqs SNS, and the SQS queue depth sampler.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTopicCommand, DeleteTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AlarmEvaluator, alarmMessage, MetricStore, parseAlarm, QueueDepthSampler, SimulatedClock } from '../../local/cloudwatch';
import { clientsFromEnv, createQueue, receive, waitFor, type TestClients } from '../../local/event-source/test-kit';
import { parseConfig, pipelineResourceNames, type PipelineConfig, type PipelinesConfigInput } from '../../lib/config';
import { AlarmKind, pipelineAlarmSpecs } from '../../lib/constructs/alarm-specs';
import { PipelineAlarms } from '../../lib/constructs/pipeline-alarms';
import { METRIC_NAMESPACE, PIPELINE_DIMENSION, ProcessorMetric } from '../../lambdas/shared/metrics-contract';

const MINUTE = 60_000;
/** 2026-01-01T00:00:00Z: a period boundary, so the minutes below are aligned periods. */
const T0 = Date.UTC(2026, 0, 1);

/** A store on a hand-driven clock (time scale 1), an evaluator logging into `lines`. */
function fixture(): { store: MetricStore; evaluator: AlarmEvaluator; setNow(ms: number): void; lines: string[] } {
  let now = T0;
  const store = new MetricStore(new SimulatedClock(1, () => now));
  const lines: string[] = [];
  const evaluator = new AlarmEvaluator({ store, logger: (line) => lines.push(line) });
  return { store, evaluator, lines, setNow: (ms) => (now = ms) };
}

function alarm(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    AlarmName: 'test-alarm',
    MetricName: 'Latency',
    Namespace: 'Test',
    Dimensions: [{ Name: 'Pipeline', Value: 'orders' }],
    Statistic: 'Maximum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 100,
    ComparisonOperator: 'GreaterThanThreshold',
    ...overrides,
  };
}

function put(store: MetricStore, minute: number, value: number, second = 10): void {
  store.put({ namespace: 'Test', metricName: 'Latency', dimensions: { Pipeline: 'orders' }, value, unit: 'Milliseconds', timestamp: T0 + minute * MINUTE + second * 1000 });
}

describe('alarm evaluation rules (controlled clock)', () => {
  it('a p99 alarm fires on the tail that an average hides, and clears when the tail is gone', async () => {
    const { store, evaluator, setNow } = fixture();
    evaluator.add(alarm({ AlarmName: 'p99', Statistic: undefined, ExtendedStatistic: 'p99', EvaluationPeriods: 2, DatapointsToAlarm: 2, Threshold: 5000, TreatMissingData: 'notBreaching' }));
    evaluator.add(alarm({ AlarmName: 'avg', Statistic: 'Average', EvaluationPeriods: 2, DatapointsToAlarm: 2, Threshold: 5000, TreatMissingData: 'notBreaching' }));
    for (const minute of [0, 1]) {
      for (let i = 0; i < 98; i += 1) put(store, minute, 100, i % 50);
      put(store, minute, 9000, 20);
      put(store, minute, 9500, 30);
    }
    setNow(T0 + 2 * MINUTE + 1000);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get('p99')?.state, 'ALARM');
    assert.equal(evaluator.get('avg')?.state, 'OK');
    assert.match(evaluator.get('p99')?.reason ?? '', /^Threshold Crossed: 2 out of the last 2 datapoints \[9000\.0 .*\] were greater than the threshold \(5000\.0\)/);

    for (const minute of [2, 3]) for (let i = 0; i < 100; i += 1) put(store, minute, 120, i % 50);
    setNow(T0 + 4 * MINUTE + 1000);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get('p99')?.state, 'OK');
    assert.deepEqual(evaluator.history('p99').map((h) => h.HistorySummary), ['Alarm updated from INSUFFICIENT_DATA to ALARM', 'Alarm updated from ALARM to OK']);
  });

  it('only complete, aligned periods count: a breach in the current minute waits for the minute to end', async () => {
    const { store, evaluator, setNow } = fixture();
    evaluator.add(alarm({ TreatMissingData: 'notBreaching' }));
    put(store, 0, 50);
    put(store, 1, 500, 5);
    setNow(T0 + MINUTE + 30_000);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get('test-alarm')?.state, 'OK', 'minute 1 is not over yet');
    setNow(T0 + 2 * MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get('test-alarm')?.state, 'ALARM');
  });

  it('M out of N: 2 breaching of the last 3 fires; 1 of the last 3 does not', async () => {
    const { store, evaluator, setNow } = fixture();
    evaluator.add(alarm({ EvaluationPeriods: 3, DatapointsToAlarm: 2 }));
    [500, 50, 500].forEach((v, minute) => put(store, minute, v));
    setNow(T0 + 3 * MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get('test-alarm')?.state, 'ALARM');
    [50, 50].forEach((v, i) => put(store, 3 + i, v));
    setNow(T0 + 5 * MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get('test-alarm')?.state, 'OK', 'last three: 500, 50, 50');
  });

  it('with no data at all: missing → INSUFFICIENT_DATA, ignore → unchanged, breaching → ALARM, notBreaching → OK', async () => {
    const { store, evaluator, setNow } = fixture();
    for (const treat of ['missing', 'ignore', 'breaching', 'notBreaching']) {
      evaluator.add(alarm({ AlarmName: treat, TreatMissingData: treat, EvaluationPeriods: 2 }));
    }
    // First a breaching history, so "unchanged" and INSUFFICIENT_DATA are distinguishable.
    put(store, 0, 500);
    put(store, 1, 500);
    setNow(T0 + 2 * MINUTE);
    await evaluator.evaluateAll();
    for (const treat of ['missing', 'ignore', 'breaching', 'notBreaching']) assert.equal(evaluator.get(treat)?.state, 'ALARM', treat);
    // Then silence, long enough for the whole evaluation range to be empty.
    setNow(T0 + 20 * MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get('missing')?.state, 'INSUFFICIENT_DATA');
    assert.equal(evaluator.get('ignore')?.state, 'ALARM');
    assert.equal(evaluator.get('breaching')?.state, 'ALARM');
    assert.equal(evaluator.get('notBreaching')?.state, 'OK');
  });

  it('with some data missing, breaching/notBreaching fill the gaps and decide, missing/ignore judge the real datapoints', async () => {
    const { store, evaluator, setNow } = fixture();
    for (const treat of ['missing', 'ignore', 'breaching', 'notBreaching']) {
      evaluator.add(alarm({ AlarmName: treat, TreatMissingData: treat, EvaluationPeriods: 3, DatapointsToAlarm: 3 }));
    }
    put(store, 9, 500); // minutes 7 and 8 are missing; the range before them is empty too
    setNow(T0 + 10 * MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get('breaching')?.state, 'ALARM', '- - X filled as X X X');
    assert.equal(evaluator.get('notBreaching')?.state, 'OK', '- - X filled as 0 0 X');
    assert.equal(evaluator.get('missing')?.state, 'ALARM', 'the one real datapoint breaches');
    assert.equal(evaluator.get('ignore')?.state, 'ALARM');
  });

  it('alarms on AWS/DynamoDB metrics ignore missing data whatever TreatMissingData says, as CloudWatch does', async () => {
    const { store, evaluator, setNow } = fixture();
    evaluator.add(alarm({ AlarmName: 'ddb', Namespace: 'AWS/DynamoDB', MetricName: 'ReadThrottleEvents', Dimensions: [], Statistic: 'Sum', Threshold: 0, TreatMissingData: 'notBreaching' }));
    store.put({ namespace: 'AWS/DynamoDB', metricName: 'ReadThrottleEvents', dimensions: {}, value: 3, timestamp: T0 + 10_000 });
    setNow(T0 + MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get('ddb')?.state, 'ALARM');
    setNow(T0 + 30 * MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get('ddb')?.state, 'ALARM', 'no data: the state is kept');
  });

  it('enough real datapoints in the evaluation range make missing data irrelevant', async () => {
    const { store, evaluator, setNow } = fixture();
    evaluator.add(alarm({ TreatMissingData: 'breaching', EvaluationPeriods: 2 }));
    put(store, 0, 50);
    put(store, 2, 50); // minute 1 missing, but two real datapoints in the range
    setNow(T0 + 3 * MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get('test-alarm')?.state, 'OK');
  });

  it('lists unsupported metric math and invalid alarms as not evaluated, with the reason', () => {
    const { evaluator } = fixture();
    assert.equal(evaluator.add({ AlarmName: 'math', Metrics: [{ Id: 'e1', Expression: 'SUM(METRICS())' }], EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }), false);
    assert.equal(evaluator.add(alarm({ AlarmName: 'bad-stat', Statistic: 'Median' })), false);
    assert.deepEqual(evaluator.unsupported.map((u) => u.alarmName), ['math', 'bad-stat']);
    assert.equal(evaluator.unsupported[0]?.reason, 'Metrics[0] (e1): Expression "SUM(METRICS())": SUM() is not supported by the local metric math (supported functions: FILL, IF) (column 1)');
    assert.match(evaluator.unsupported[1]?.reason ?? '', /Median/);
  });
});

const STREAM = 'orders-stream';
const MAPPING_UUID = '7c0b5b0e-0000-4000-8000-000000000001';

/** The ConsumerStalled alarm as aws-cdk-lib synthesizes a MathExpression alarm (expression first). */
function consumerStalled(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    AlarmName: 'StreamPipeline-orders-ConsumerStalled',
    AlarmDescription: 'records arrive, none are read',
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: 0,
    EvaluationPeriods: 3,
    DatapointsToAlarm: 3,
    TreatMissingData: 'notBreaching',
    ActionsEnabled: true,
    AlarmActions: ['arn:aws:sns:us-east-1:000000000000:alarms'],
    OKActions: ['arn:aws:sns:us-east-1:000000000000:alarms'],
    Metrics: [
      { Id: 'expr_1', Label: 'records in, none read', ReturnData: true, Expression: 'IF(FILL(incoming, 0) > 0 AND FILL(polled, 0) == 0, 1, 0)' },
      {
        Id: 'incoming',
        ReturnData: false,
        MetricStat: { Metric: { Namespace: 'AWS/Kinesis', MetricName: 'IncomingRecords', Dimensions: [{ Name: 'StreamName', Value: STREAM }] }, Period: 60, Stat: 'Sum' },
      },
      {
        Id: 'polled',
        ReturnData: false,
        MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'PolledEventCount', Dimensions: [{ Name: 'EventSourceMappingUUID', Value: MAPPING_UUID }] }, Period: 60, Stat: 'Sum' },
      },
    ],
    ...overrides,
  };
}

function incoming(store: MetricStore, minute: number, value: number): void {
  store.put({ namespace: 'AWS/Kinesis', metricName: 'IncomingRecords', dimensions: { StreamName: STREAM }, value, unit: 'Count', timestamp: T0 + minute * MINUTE + 15_000 });
}

function polled(store: MetricStore, minute: number, value: number): void {
  store.put({ namespace: 'AWS/Lambda', metricName: 'PolledEventCount', dimensions: { EventSourceMappingUUID: MAPPING_UUID }, value, unit: 'Count', timestamp: T0 + minute * MINUTE + 20_000 });
}

describe('metric math alarms (controlled clock)', () => {
  const NAME = 'StreamPipeline-orders-ConsumerStalled';

  it('fires after 3 periods of records in and none polled, and clears when the consumer reads again', async () => {
    const { store, evaluator, setNow } = fixture();
    assert.equal(evaluator.add(consumerStalled()), true);
    for (const minute of [0, 1, 2]) incoming(store, minute, 40);
    setNow(T0 + 2 * MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get(NAME)?.state, 'OK', 'two stalled periods of three');
    setNow(T0 + 3 * MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get(NAME)?.state, 'ALARM');
    assert.equal(
      evaluator.get(NAME)?.reason,
      'Threshold Crossed: 3 out of the last 3 datapoints [1.0 (01/01/26 00:02:00), 1.0 (01/01/26 00:01:00), 1.0 (01/01/26 00:00:00)] were greater than the threshold (0.0) (minimum 3 datapoints for OK -> ALARM transition).',
    );
    const reasonData = JSON.parse(evaluator.get(NAME)?.reasonData ?? '{}') as Record<string, unknown>;
    assert.deepEqual(reasonData.recentDatapoints, [1, 1, 1]);
    assert.equal(reasonData.period, 60);
    assert.equal('statistic' in reasonData, false);

    incoming(store, 3, 40);
    polled(store, 3, 40);
    setNow(T0 + 4 * MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get(NAME)?.state, 'OK');
    const updates = evaluator.history(NAME).filter((h) => h.HistoryItemType === 'StateUpdate');
    assert.deepEqual(updates.map((h) => h.HistorySummary), [
      'Alarm updated from INSUFFICIENT_DATA to OK',
      'Alarm updated from OK to ALARM',
      'Alarm updated from ALARM to OK',
    ]);
  });

  it('stays OK while records come in and are polled', async () => {
    const { store, evaluator, setNow } = fixture();
    evaluator.add(consumerStalled());
    for (let minute = 0; minute < 6; minute += 1) {
      incoming(store, minute, 25);
      polled(store, minute, 25);
      setNow(T0 + (minute + 1) * MINUTE);
      await evaluator.evaluateAll();
      assert.equal(evaluator.get(NAME)?.state, 'OK', `after minute ${minute}`);
    }
  });

  it('an idle stream (neither metric has a datapoint) is OK: FILL makes every period 0, not missing', async () => {
    const { evaluator, setNow } = fixture();
    evaluator.add(consumerStalled({ TreatMissingData: 'missing' }));
    // Without FILL the same idle stream has no datapoint at all, so TreatMissingData missing decides.
    evaluator.add(consumerStalled({ AlarmName: 'unfilled', TreatMissingData: 'missing', Metrics: [{ ...(consumerStalled().Metrics as object[])[0], Expression: 'IF(incoming > 0 AND polled == 0, 1, 0)' }, ...(consumerStalled().Metrics as object[]).slice(1)] }));
    setNow(T0 + 10 * MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get(NAME)?.state, 'OK');
    assert.deepEqual((JSON.parse(evaluator.get(NAME)?.reasonData ?? '{}') as { recentDatapoints: number[] }).recentDatapoints, [0, 0, 0]);
    assert.equal(evaluator.get('unfilled')?.state, 'INSUFFICIENT_DATA');
  });

  it('a math alarm on an AWS/DynamoDB metric follows its TreatMissingData (the DynamoDB rule is for single-metric alarms)', async () => {
    const { store, evaluator, setNow } = fixture();
    const throttles = { Namespace: 'AWS/DynamoDB', MetricName: 'ReadThrottleEvents', Dimensions: [] };
    evaluator.add(alarm({ AlarmName: 'ddb-single', Namespace: 'AWS/DynamoDB', MetricName: 'ReadThrottleEvents', Dimensions: [], Statistic: 'Sum', Threshold: 0, TreatMissingData: 'notBreaching' }));
    evaluator.add({
      AlarmName: 'ddb-math',
      Metrics: [
        { Id: 'e1', Expression: 'throttles * 1' },
        { Id: 'throttles', ReturnData: false, MetricStat: { Metric: throttles, Period: 60, Stat: 'Sum' } },
      ],
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    store.put({ namespace: 'AWS/DynamoDB', metricName: 'ReadThrottleEvents', dimensions: {}, value: 3, timestamp: T0 + 10_000 });
    setNow(T0 + MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get('ddb-single')?.state, 'ALARM');
    assert.equal(evaluator.get('ddb-math')?.state, 'ALARM');
    setNow(T0 + 30 * MINUTE);
    await evaluator.evaluateAll();
    assert.equal(evaluator.get('ddb-single')?.state, 'ALARM', 'single metric: missing data ignored');
    assert.equal(evaluator.get('ddb-math')?.state, 'OK', 'math: notBreaching');
  });

  it('rejects math alarms CloudWatch would reject, or that cannot be evaluated locally, with the reason', () => {
    const reason = (properties: Record<string, unknown>): string => {
      const parsed = parseAlarm(properties);
      assert.equal(parsed.ok, false);
      return parsed.ok ? '' : parsed.reason;
    };
    const [expression, incomingQuery, polledQuery] = consumerStalled().Metrics as Record<string, unknown>[];
    assert.equal(
      reason(consumerStalled({ Metrics: [{ ...expression, Expression: 'IF(FILL(incoming, 0) > 0 AND FILL(polld, 0) == 0, 1, 0)' }, incomingQuery, polledQuery] })),
      'Metrics[0] (expr_1): the expression uses "polld", which is not the Id of any query',
    );
    assert.equal(
      reason(consumerStalled({ Metrics: [expression, { ...incomingQuery, ReturnData: undefined }, polledQuery] })),
      'Metrics: exactly one query must have ReturnData true (omitted counts as true); expr_1, incoming have',
    );
    assert.equal(
      reason(consumerStalled({ Metrics: [{ ...expression, ReturnData: false }, incomingQuery, polledQuery] })),
      'Metrics: exactly one query must have ReturnData true (omitted counts as true); none has',
    );
    assert.equal(reason(consumerStalled({ Period: 60, Statistic: 'Sum' })), 'Metrics cannot be combined with Statistic, Period: a math alarm describes its metrics in its queries');
    assert.equal(
      reason(consumerStalled({ Metrics: [expression, { ...incomingQuery, MetricStat: { ...(incomingQuery?.MetricStat as object), Stat: 'Median' } }, polledQuery] })),
      'Metrics.1.MetricStat.Stat: "Median" is not supported locally',
    );
    assert.equal(reason({ ...consumerStalled(), ThresholdMetricId: 'ad1' }), 'anomaly detection alarms are not evaluated by the local target');
  });

  it("a math alarm's SNS message carries CloudWatch's Trigger for metric math: the queries instead of one metric", () => {
    const parsed = parseAlarm(consumerStalled());
    assert.ok(parsed.ok);
    const message = alarmMessage({
      alarm: parsed.alarm,
      alarmArn: `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${NAME}`,
      accountId: '000000000000',
      region: 'us-east-1',
      oldState: 'OK',
      newState: 'ALARM',
      reason: 'Threshold Crossed',
      time: T0,
    });
    const trigger = message.Trigger as Record<string, unknown>;
    assert.deepEqual(Object.keys(trigger), ['Period', 'EvaluationPeriods', 'DatapointsToAlarm', 'ComparisonOperator', 'Threshold', 'TreatMissingData', 'EvaluateLowSampleCountPercentile', 'Metrics']);
    assert.deepEqual(trigger, {
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
      EvaluateLowSampleCountPercentile: '',
      Metrics: [
        { Expression: 'IF(FILL(incoming, 0) > 0 AND FILL(polled, 0) == 0, 1, 0)', Id: 'expr_1', Label: 'records in, none read', ReturnData: true },
        {
          Id: 'incoming',
          MetricStat: { Metric: { Dimensions: [{ value: STREAM, name: 'StreamName' }], MetricName: 'IncomingRecords', Namespace: 'AWS/Kinesis' }, Period: 60, Stat: 'Sum' },
          ReturnData: false,
        },
        {
          Id: 'polled',
          MetricStat: { Metric: { Dimensions: [{ value: MAPPING_UUID, name: 'EventSourceMappingUUID' }], MetricName: 'PolledEventCount', Namespace: 'AWS/Lambda' }, Period: 60, Stat: 'Sum' },
          ReturnData: false,
        },
      ],
    });
    assert.deepEqual(Object.keys((trigger.Metrics as Record<string, unknown>[])[0] ?? {}), ['Expression', 'Id', 'Label', 'ReturnData']);
    assert.deepEqual(Object.keys((trigger.Metrics as Record<string, unknown>[])[1] ?? {}), ['Id', 'MetricStat', 'ReturnData']);
  });
});

type AlarmsInput = NonNullable<PipelinesConfigInput['pipelines'][number]['alarms']>;

/** An `orders` pipeline from the configuration schema (defaults filled in), with these alarm settings. */
function ordersPipeline(alarms: AlarmsInput = {}): PipelineConfig {
  return parseConfig({ stackName: 'StreamPipeline', pipelines: [{ name: 'orders', description: 'Order status changes', action: 'orders', alarms }] }).pipelines[0]!;
}

/**
 * The latency objective alarm exactly as the stack renders it: its spec through PipelineAlarms into
 * a template, whose properties the evaluator reads like the deployed stack's (the topic Ref made an ARN).
 */
function latencyAlarmProperties(pipeline: PipelineConfig): Record<string, unknown> {
  const stack = new Stack(new App(), 'LatencyAlarmUnderTest');
  const specs = pipelineAlarmSpecs({ pipeline, names: pipelineResourceNames('StreamPipeline', pipeline.name), eventSourceMappingUuid: MAPPING_UUID }).filter(
    (spec) => spec.kind === AlarmKind.EventToActionLatencyP99,
  );
  new PipelineAlarms(stack, 'Alarms', { pipeline, specs, topic: new sns.Topic(stack, 'Topic') });
  const [alarm] = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')) as { Properties: Record<string, unknown> }[];
  assert.ok(alarm);
  const topicArn = 'arn:aws:sns:us-east-1:000000000000:StreamPipeline-alarms';
  return { ...alarm.Properties, AlarmActions: [topicArn], OKActions: [topicArn] };
}

const DAY_MS = 24 * 3600 * 1000;

/** One event-to-action latency sample of `orders`, completed in `minute` at `second`. */
function latency(store: MetricStore, minute: number, ms: number, second = 10): void {
  store.put({ namespace: METRIC_NAMESPACE, metricName: ProcessorMetric.EventToActionLatency, dimensions: { [PIPELINE_DIMENSION]: 'orders' }, value: ms, unit: 'Milliseconds', timestamp: T0 + minute * MINUTE + second * 1000 });
}

/** `count` on-time samples (100–1000 ms) spread over one minute. */
function onTime(store: MetricStore, minute: number, count: number): void {
  for (let i = 0; i < count; i += 1) latency(store, minute, 100 + (i * 37) % 900, i % 60);
}

describe('the latency objective alarm as the stack renders it (controlled clock)', () => {
  const NAME = 'StreamPipeline-orders-EventToActionLatencyP99';

  /** A fixture with the stack's latency alarm, and a plain p99 alarm on the same metric (what it replaced). */
  function latencyFixture(alarms: AlarmsInput = {}) {
    const f = fixture();
    const pipeline = ordersPipeline(alarms);
    assert.equal(f.evaluator.add(latencyAlarmProperties(pipeline)), true, JSON.stringify(f.evaluator.unsupported));
    f.evaluator.add({
      ...alarm({ AlarmName: 'plain-p99', Namespace: METRIC_NAMESPACE, MetricName: ProcessorMetric.EventToActionLatency, Statistic: undefined, ExtendedStatistic: 'p99' }),
      Threshold: pipeline.alarms.latencyObjectiveMs,
      EvaluationPeriods: pipeline.alarms.evaluationPeriods,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
    const at = async (minute: number): Promise<{ latency: string | undefined; plain: string | undefined }> => {
      f.setNow(T0 + minute * MINUTE);
      await f.evaluator.evaluateAll();
      return { latency: f.evaluator.get(NAME)?.state, plain: f.evaluator.get('plain-p99')?.state };
    };
    return { ...f, pipeline, at };
  }

  it('one day-old event in an otherwise quiet period does not page; a plain p99 alarm would', async () => {
    const { store, at } = latencyFixture();
    latency(store, 4, DAY_MS);
    assert.deepEqual(await at(5), { latency: 'OK', plain: 'ALARM' });
  });

  it('one day-old event among up to 99 events of a period does not page, where it is their p99 (a minimum sample count would not stop it)', async () => {
    for (const count of [20, 60, 98]) {
      const { store, at } = latencyFixture();
      onTime(store, 0, count);
      latency(store, 0, DAY_MS, 30);
      assert.deepEqual(await at(1), { latency: 'OK', plain: 'ALARM' }, `${count} on-time events and one day-old event: it is their p99`);
    }
  });

  it('a period with the configured number of late events pages, one fewer does not, and a clean window clears it', async () => {
    const { store, evaluator, pipeline, at } = latencyFixture();
    const n = pipeline.alarms.latencyMinLateEvents;
    assert.equal(n, 2, 'the documented default');
    onTime(store, 0, 10);
    for (let i = 0; i < n - 1; i += 1) latency(store, 0, 6000 + i, 40 + i);
    assert.equal((await at(1)).latency, 'OK', `${n - 1} late event(s)`);
    onTime(store, 1, 10);
    for (let i = 0; i < n; i += 1) latency(store, 1, 6000 + i, 40 + i);
    assert.equal((await at(2)).latency, 'ALARM', `${n} late events`);
    // The period with too few late events is a real 0 (not missing data); the late one shows its p99.
    assert.match(evaluator.get(NAME)?.reason ?? '', /^Threshold Crossed: 1 out of the last 2 datapoints \[6001\.0 \(01\/01\/26 00:01:00\), 0\.0 \(01\/01\/26 00:00:00\)\] was greater than the threshold \(5000\.0\)/);
    for (const minute of [2, 3, 4]) onTime(store, minute, 10);
    assert.equal((await at(4)).latency, 'ALARM', 'the late period is still in the window');
    assert.equal((await at(5)).latency, 'OK', 'three clean periods');
  });

  it('the number of late events comes from the configuration', async () => {
    const { store, at } = latencyFixture({ latencyMinLateEvents: 5, latencyObjectiveMs: 1200 });
    for (let i = 0; i < 4; i += 1) latency(store, 0, 1500, 10 + i);
    assert.deepEqual(await at(1), { latency: 'OK', plain: 'ALARM' });
    for (let i = 0; i < 5; i += 1) latency(store, 1, 1500, 10 + i);
    assert.equal((await at(2)).latency, 'ALARM');
  });

  it('enough late events within the objective (under 1% of the period) do not page: p99 still meets it', async () => {
    const { store, at } = latencyFixture();
    onTime(store, 0, 500);
    for (let i = 0; i < 4; i += 1) latency(store, 0, 7000, 20 + i);
    assert.deepEqual(await at(1), { latency: 'OK', plain: 'OK' });
  });

  it('a consumer-outage backlog at low volume pages: events that waited complete late together', async () => {
    const { store, at } = latencyFixture();
    // 1 event a minute, a 5-minute outage: the 5 waiting events complete in the catch-up minute.
    for (const minute of [0, 1]) onTime(store, minute, 1);
    for (let waited = 1; waited <= 5; waited += 1) latency(store, 7, waited * MINUTE, 5 + waited);
    assert.equal((await at(7)).latency, 'OK');
    assert.equal((await at(8)).latency, 'ALARM');
  });

  it('a quiet pipeline has no datapoint and stays OK (missing data, not breaching)', async () => {
    const { evaluator, at } = latencyFixture();
    assert.equal((await at(10)).latency, 'OK');
    assert.deepEqual((JSON.parse(evaluator.get(NAME)?.reasonData ?? '{}') as { recentDatapoints: number[] }).recentDatapoints, []);
  });
});

describe('percentile rank and statistics over negative values (through the metric store)', () => {
  const query = (store: MetricStore, stat: string) =>
    store.statistic({ namespace: METRIC_NAMESPACE, metricName: ProcessorMetric.EventToActionLatency, dimensions: { [PIPELINE_DIMENSION]: 'orders' }, stat, period: 60, start: T0, end: T0 + 3 * MINUTE });

  it('PR(n:m) is the percentage of values in (n, m]: exclusive below, inclusive above', () => {
    const { store } = fixture();
    [100, 200, 200, 300, 5000, 5001, 9000, 10_000].forEach((v, i) => latency(store, 0, v, i));
    assert.deepEqual(query(store, 'PR(:5000)').values, [62.5], 'five of eight are 5000 or less');
    assert.deepEqual(query(store, 'PR(200:5000)').values, [25], '300 and 5000; 200 is the excluded lower bound');
    assert.deepEqual(query(store, 'PR(5000:)').values, [37.5]);
    assert.deepEqual(query(store, 'PR(20000:)').values, [0], 'a period with data and none in range is 0, not missing');
  });

  it('a period holding a negative value has no percentile or percentile rank, but keeps its simple statistics', () => {
    const { store } = fixture();
    latency(store, 0, 100);
    latency(store, 1, 100);
    latency(store, 1, -50, 20);
    latency(store, 2, 300);
    assert.deepEqual(query(store, 'p99').timestamps, [T0, T0 + 2 * MINUTE]);
    assert.deepEqual(query(store, 'PR(:5000)').timestamps, [T0, T0 + 2 * MINUTE]);
    assert.deepEqual(query(store, 'SampleCount').values, [1, 2, 1]);
    assert.deepEqual(query(store, 'Minimum').values, [100, -50, 300]);
  });
});

describe('alarm notifications and queue metrics (fauxqs, real schedule, time scale 600)', () => {
  let clients: TestClients;
  before(() => {
    clients = clientsFromEnv();
  });
  after(() => clients.destroy());

  it('publishes CloudWatch alarm messages to the ALARM and OK topics and keeps the history', async () => {
    const queue = await createQueue(clients.sqs);
    const topicArn = (await clients.sns.send(new CreateTopicCommand({ Name: `alarm-topic-${Date.now()}` }))).TopicArn as string;
    await clients.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queue.arn, Attributes: { RawMessageDelivery: 'true' } }));
    // 600 simulated seconds per real second: a 60 s period lasts 100 ms.
    const store = new MetricStore(new SimulatedClock(600));
    const lines: string[] = [];
    const evaluator = new AlarmEvaluator({ store, sns: clients.sns, logger: (line) => lines.push(line), region: 'us-east-1', accountId: '000000000000' });
    evaluator.add(
      alarm({
        AlarmName: 'latency-p99',
        AlarmDescription: 'p99 latency above objective',
        Statistic: undefined,
        ExtendedStatistic: 'p99',
        Threshold: 5000,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topicArn],
        OKActions: [topicArn],
      }),
    );
    const putLatency = (value: number): void => store.put({ namespace: 'Test', metricName: 'Latency', dimensions: { Pipeline: 'orders' }, value, unit: 'Milliseconds', timestamp: Date.now() });
    // A breaching datapoint in the last complete (simulated) minute: the first evaluation already sees
    // data, so the first transition is INSUFFICIENT_DATA -> ALARM whatever the machine's load.
    store.putSimulated({ namespace: 'Test', metricName: 'Latency', dimensions: { Pipeline: 'orders' }, value: 8000, unit: 'Milliseconds', timestamp: store.clock.now() - 60_000 });
    evaluator.start();
    try {
      const feeding = setInterval(() => putLatency(8000), 10);
      await waitFor('ALARM', () => evaluator.get('latency-p99')?.state === 'ALARM', 5000);
      clearInterval(feeding);
      const [message] = (await receive(clients.sqs, queue.url, 1)) as Record<string, unknown>[];
      assert.ok(message);
      assert.deepEqual(Object.keys(message), [
        'AlarmName',
        'AlarmDescription',
        'AWSAccountId',
        'NewStateValue',
        'NewStateReason',
        'StateChangeTime',
        'Region',
        'AlarmArn',
        'OldStateValue',
        'OKActions',
        'AlarmActions',
        'InsufficientDataActions',
        'Trigger',
      ]);
      assert.equal(message.AlarmName, 'latency-p99');
      assert.equal(message.AlarmDescription, 'p99 latency above objective');
      assert.equal(message.AWSAccountId, '000000000000');
      assert.equal(message.NewStateValue, 'ALARM');
      assert.equal(message.OldStateValue, 'INSUFFICIENT_DATA');
      assert.match(String(message.StateChangeTime), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
      assert.equal(message.Region, 'US East (N. Virginia)');
      assert.equal(message.AlarmArn, 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:latency-p99');
      assert.deepEqual(message.Trigger, {
        MetricName: 'Latency',
        Namespace: 'Test',
        StatisticType: 'ExtendedStatistic',
        ExtendedStatistic: 'p99',
        Unit: null,
        Dimensions: [{ value: 'orders', name: 'Pipeline' }],
        Period: 60,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 5000,
        TreatMissingData: 'notBreaching',
        EvaluateLowSampleCountPercentile: '',
      });

      // No more breaching data: with notBreaching, the next periods clear the alarm.
      await waitFor('OK', () => evaluator.get('latency-p99')?.state === 'OK', 5000);
      const [okMessage] = (await receive(clients.sqs, queue.url, 1)) as Record<string, unknown>[];
      assert.equal(okMessage?.NewStateValue, 'OK');
      assert.equal(okMessage?.OldStateValue, 'ALARM');
      assert.deepEqual(evaluator.history('latency-p99').map((h) => `${h.HistoryItemType}: ${h.HistorySummary}`), [
        'StateUpdate: Alarm updated from INSUFFICIENT_DATA to ALARM',
        `Action: Successfully executed action ${topicArn}`,
        'StateUpdate: Alarm updated from ALARM to OK',
        `Action: Successfully executed action ${topicArn}`,
      ]);
      assert.ok(lines.some((l) => l.includes('latency-p99: INSUFFICIENT_DATA -> ALARM')));
    } finally {
      await evaluator.stop();
      await Promise.all([queue.delete(), clients.sns.send(new DeleteTopicCommand({ TopicArn: topicArn }))]);
    }
  });

  it('samples SQS queue depth and oldest message age; a DLQ alarm fires when the queue receives a message', async () => {
    const queue = await createQueue(clients.sqs);
    const name = queue.url.split('/').pop() as string;
    const store = new MetricStore(new SimulatedClock(600));
    const sampler = new QueueDepthSampler({ sqs: clients.sqs, store, sqsEndpoint: process.env.AWS_ENDPOINT_URL_SQS as string, queues: [{ name, url: queue.url }] });
    const evaluator = new AlarmEvaluator({ store, logger: () => undefined });
    evaluator.add({
      AlarmName: 'dlq-visible',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: name }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    sampler.start();
    evaluator.start();
    try {
      await waitFor('OK while empty', () => evaluator.get('dlq-visible')?.state === 'OK', 5000);
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'failed batch' }));
      await waitFor('ALARM after a message', () => evaluator.get('dlq-visible')?.state === 'ALARM', 5000);
      const identity = { namespace: 'AWS/SQS', dimensions: { QueueName: name } };
      const visible = store.points({ ...identity, metricName: 'ApproximateNumberOfMessagesVisible' }, 0, Number.MAX_SAFE_INTEGER);
      assert.equal(visible.at(-1)?.value, 1);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await sampler.sampleNow();
      const ages = store.points({ ...identity, metricName: 'ApproximateAgeOfOldestMessage' }, 0, Number.MAX_SAFE_INTEGER);
      assert.ok((ages.at(-1)?.value ?? -1) >= 1, `the oldest message is at least a second old (ages: ${ages.map((a) => a.value).join(',')})`);
      assert.equal(ages.at(-1)?.unit, 'Seconds');
    } finally {
      await Promise.all([sampler.stop(), evaluator.stop()]);
      await queue.delete();
    }
  });
});
