/**
 * Alarms that page for real faults: each bound to its resource by the right dimensions, ALARM and
 * OK actions to the one encrypted topic, missing data chosen, descriptions an on-call engineer can use.
 * Plus the alarm topic and the dashboard.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { iteratorAgeThresholdMs, loadConfig, pipelineResourceNames, stackResourceNames } from '../../lib/config';
import { AlarmKind, LATE_DATA_PERIODS, pipelineAlarmSpecs } from '../../lib/constructs/alarm-specs';
import { METRIC_NAMESPACE, PIPELINE_DIMENSION, ProcessorMetric } from '../../lambdas/shared/metrics-contract';
import { alarmPeriods, ref, resourcesOfType, resourceWhere, synthStack, type CfnResource, type Synthesized } from './synth';

const config = loadConfig();
let s: Synthesized;
let topicId: string;

before(() => {
  s = synthStack(config, { stubHandlers: true });
  [topicId] = resourceWhere(s.json, 'AWS::SNS::Topic', 'TopicName', stackResourceNames(config.stackName).alarmTopicName);
});
after(() => s?.dispose());

/** One query of a metric-math alarm, as the template holds it. */
type Query = { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] }; Stat: string; Period: number } };

const alarmNamed = (name: string): CfnResource => resourceWhere(s.json, 'AWS::CloudWatch::Alarm', 'AlarmName', name)[1];
const dims = (alarm: CfnResource): Record<string, unknown> =>
  Object.fromEntries((alarm.Properties.Dimensions as { Name: string; Value: unknown }[]).map((d) => [d.Name, d.Value]));

/** The alarm kinds a pipeline gets: 14, and 2 more for a windowed one. */
const WINDOWED_KINDS: readonly string[] = [AlarmKind.WatermarkStalled, AlarmKind.TooLateEvents];
const kindsOf = (p: (typeof config.pipelines)[number]): string[] => Object.values(AlarmKind).filter((kind) => p.windows !== undefined || !WINDOWED_KINDS.includes(kind));

test('14 alarms per pipeline (16 for a windowed one), all named <stack>-<pipeline>-<kind>', () => {
  assert.equal(Object.values(AlarmKind).length, 16);
  assert.deepEqual(config.pipelines.map((p) => kindsOf(p).length), [14, 14, 16]);
  s.template.resourceCountIs('AWS::CloudWatch::Alarm', config.pipelines.reduce((sum, p) => sum + kindsOf(p).length, 0));
  for (const p of config.pipelines) {
    for (const kind of kindsOf(p)) alarmNamed(`${config.stackName}-${p.name}-${kind}`);
  }
});

test('every alarm sends ALARM and OK to the stack alarm topic, evaluates from config and treats missing data explicitly', () => {
  for (const [, alarm] of resourcesOfType(s.json, 'AWS::CloudWatch::Alarm')) {
    const props = alarm.Properties;
    assert.deepEqual(props.AlarmActions, [ref(topicId)], String(props.AlarmName));
    assert.deepEqual(props.OKActions, [ref(topicId)], String(props.AlarmName));
    assert.equal(props.ActionsEnabled, true);
    assert.equal(props.ComparisonOperator, 'GreaterThanThreshold');
    assert.ok(['notBreaching', 'breaching', 'ignore', 'missing'].includes(props.TreatMissingData as string), `${String(props.AlarmName)} sets TreatMissingData`);
    const periods = alarmPeriods(alarm);
    assert.ok(periods.length > 0 && periods.every((period) => period === 60), `${String(props.AlarmName)} evaluates 60 s periods`);
    // 3 periods from the config; ConsumerStalled looks 2 further back for late stream metrics.
    const lateDataTolerant = String(props.AlarmName).endsWith(AlarmKind.ConsumerStalled);
    assert.equal(props.EvaluationPeriods, lateDataTolerant ? 3 + LATE_DATA_PERIODS : 3, String(props.AlarmName));
    assert.ok([1, 3].includes(props.DatapointsToAlarm as number));
  }
});

test('every description says what it means and the first three things to check, within 1024 characters', () => {
  for (const [, alarm] of resourcesOfType(s.json, 'AWS::CloudWatch::Alarm')) {
    const description = alarm.Properties.AlarmDescription as string;
    assert.ok(description.length <= 1024, `${description.length} chars`);
    assert.doesNotMatch(description, /\.\.\.$/, 'not truncated');
    assert.match(description, /Threshold: .+\. First checks: \(1\) .+ \(2\) .+ \(3\) .+/);
  }
});

for (const p of config.pipelines) {
  describe(`alarms of ${p.name}`, () => {
    const n = pipelineResourceNames(config.stackName, p.name);
    const alarm = (kind: string): CfnResource => alarmNamed(`${n.alarmNamePrefix}${kind}`);

    test('event-to-action latency: p99 of the processor metric above the objective, counted only with enough late events', () => {
      const a = alarm(AlarmKind.EventToActionLatencyP99).Properties;
      const queries = a.Metrics as Query[];
      const returned = queries.filter((q) => q.ReturnData !== false);
      assert.equal(returned.length, 1, 'exactly one query is the alarm value');
      // late events = samples × (100 − onTime) / 100; N − 0.5 absorbs the rounding of a percentage.
      assert.equal(returned[0]!.Expression, `IF(samples * (100 - onTime) / 100 >= ${p.alarms.latencyMinLateEvents - 0.5}, p99, 0)`);
      const byId = new Map(queries.filter((q) => q.MetricStat).map((q) => [q.Id, q.MetricStat!]));
      assert.deepEqual([...byId.keys()].sort(), ['onTime', 'p99', 'samples']);
      // All three are statistics of the one processor metric of this pipeline, over the alarm period.
      for (const stat of byId.values()) {
        assert.deepEqual(stat.Metric, { Namespace: METRIC_NAMESPACE, MetricName: ProcessorMetric.EventToActionLatency, Dimensions: [{ Name: PIPELINE_DIMENSION, Value: p.name }] });
        assert.equal(stat.Period, p.alarms.periodSeconds);
      }
      assert.equal(byId.get('p99')?.Stat, 'p99');
      assert.equal(byId.get('samples')?.Stat, 'SampleCount');
      assert.equal(byId.get('onTime')?.Stat, `PR(:${p.alarms.latencyObjectiveMs})`, 'percentage of events within the objective');
      assert.equal(a.Threshold, p.alarms.latencyObjectiveMs);
      assert.equal(a.MetricName, undefined);
      assert.equal(a.ExtendedStatistic, undefined);
      // One late period pages (a consumer outage's backlog completes within one or two periods);
      // OK needs a whole clean evaluation window.
      assert.equal(a.DatapointsToAlarm, 1);
      assert.equal(a.EvaluationPeriods, p.alarms.evaluationPeriods);
      assert.equal(a.TreatMissingData, 'notBreaching');
      assert.match(a.AlarmDescription as string, new RegExp(`at least ${p.alarms.latencyMinLateEvents} events later than ${p.alarms.latencyObjectiveMs} ms`));
    });

    test('iterator age: Lambda IteratorAge maximum of this function, above twice the objective by default', () => {
      const a = alarm(AlarmKind.IteratorAge).Properties;
      assert.equal(a.Namespace, 'AWS/Lambda');
      assert.equal(a.MetricName, 'IteratorAge');
      assert.equal(a.Statistic, 'Maximum');
      assert.deepEqual(dims(alarm(AlarmKind.IteratorAge)), { FunctionName: n.functionName });
      assert.equal(a.Threshold, iteratorAgeThresholdMs(p));
      assert.equal(a.Threshold, p.alarms.latencyObjectiveMs * 2);
    });

    test('processor errors and throttles: sums on this function, sustained', () => {
      for (const [kind, metric] of [
        [AlarmKind.ProcessorErrors, 'Errors'],
        [AlarmKind.ProcessorThrottles, 'Throttles'],
      ] as const) {
        const a = alarm(kind).Properties;
        assert.equal(a.Namespace, 'AWS/Lambda');
        assert.equal(a.MetricName, metric);
        assert.equal(a.Statistic, 'Sum');
        assert.deepEqual(dims(alarm(kind)), { FunctionName: n.functionName });
        assert.equal(a.Threshold, 0);
        assert.equal(a.DatapointsToAlarm, p.alarms.evaluationPeriods);
      }
    });

    test('dropped events: the event source mapping DroppedEventCount, by mapping UUID, on the first occurrence', () => {
      const [fn] = resourceWhere(s.json, 'AWS::Lambda::Function', 'FunctionName', n.functionName);
      const [esm] = resourceWhere(s.json, 'AWS::Lambda::EventSourceMapping', 'FunctionName', ref(fn));
      const a = alarm(AlarmKind.DroppedEvents).Properties;
      assert.equal(a.Namespace, 'AWS/Lambda');
      assert.equal(a.MetricName, 'DroppedEventCount');
      assert.deepEqual(dims(alarm(AlarmKind.DroppedEvents)), { EventSourceMappingUUID: ref(esm) });
      assert.equal(a.Statistic, 'Sum');
      assert.equal(a.Threshold, 0);
      assert.equal(a.DatapointsToAlarm, 1);
    });

    test('DLQ: any visible message, and the oldest message age, on this queue, naming the CLI commands', () => {
      const visible = alarm(AlarmKind.DlqMessagesVisible);
      assert.equal(visible.Properties.Namespace, 'AWS/SQS');
      assert.equal(visible.Properties.MetricName, 'ApproximateNumberOfMessagesVisible');
      assert.deepEqual(dims(visible), { QueueName: n.dlqName });
      assert.equal(visible.Properties.Threshold, 0);
      assert.equal(visible.Properties.DatapointsToAlarm, 1);
      const age = alarm(AlarmKind.DlqOldestMessageAge);
      assert.equal(age.Properties.MetricName, 'ApproximateAgeOfOldestMessage');
      assert.deepEqual(dims(age), { QueueName: n.dlqName });
      assert.equal(age.Properties.Threshold, p.alarms.dlqOldestMessageAgeSeconds);
      for (const a of [visible, age]) {
        const description = a.Properties.AlarmDescription as string;
        assert.ok(description.includes(`npx stream-pipeline dlq list --pipeline ${p.name}`));
        assert.ok(description.includes(`npx stream-pipeline dlq replay --pipeline ${p.name}`));
      }
    });

    test('poison records: the processor EventsPoison count above zero, on the first occurrence', () => {
      const a = alarm(AlarmKind.PoisonEvents).Properties;
      assert.equal(a.Namespace, METRIC_NAMESPACE);
      assert.equal(a.MetricName, ProcessorMetric.EventsPoison);
      assert.deepEqual(a.Dimensions, [{ Name: PIPELINE_DIMENSION, Value: p.name }]);
      assert.equal(a.Statistic, 'Sum');
      assert.equal(a.Threshold, 0);
      assert.equal(a.DatapointsToAlarm, 1);
    });

    test('stream throttling: write, PutRecords and read throttles on this stream', () => {
      for (const [kind, metric] of [
        [AlarmKind.StreamWriteThrottled, 'WriteProvisionedThroughputExceeded'],
        [AlarmKind.PutRecordsThrottled, 'PutRecords.ThrottledRecords'],
        [AlarmKind.StreamReadThrottled, 'ReadProvisionedThroughputExceeded'],
      ] as const) {
        const a = alarm(kind);
        assert.equal(a.Properties.Namespace, 'AWS/Kinesis');
        assert.equal(a.Properties.MetricName, metric);
        assert.deepEqual(dims(a), { StreamName: n.streamName });
        assert.equal(a.Properties.Threshold, 0);
      }
    });

    test('idempotency table throttling: read and write throttle events on this table', () => {
      for (const [kind, metric] of [
        [AlarmKind.IdempotencyReadThrottled, 'ReadThrottleEvents'],
        [AlarmKind.IdempotencyWriteThrottled, 'WriteThrottleEvents'],
      ] as const) {
        const a = alarm(kind);
        assert.equal(a.Properties.Namespace, 'AWS/DynamoDB');
        assert.equal(a.Properties.MetricName, metric);
        assert.deepEqual(dims(a), { TableName: n.idempotencyTableName });
      }
    });

    test('consumer stalled: records arriving in this stream while this mapping reads none, for every period', () => {
      const a = alarm(AlarmKind.ConsumerStalled).Properties;
      const queries = a.Metrics as Query[];
      const returned = queries.filter((q) => q.ReturnData !== false);
      assert.equal(returned.length, 1, 'exactly one query is the alarm value');
      assert.equal(returned[0]!.Expression, 'IF(FILL(incoming, 0) > 0 AND FILL(polled, 0) == 0, 1, 0)');
      const byId = new Map(queries.map((q) => [q.Id, q.MetricStat]));
      assert.deepEqual(byId.get('incoming')?.Metric, { Namespace: 'AWS/Kinesis', MetricName: 'IncomingRecords', Dimensions: [{ Name: 'StreamName', Value: n.streamName }] });
      assert.equal(byId.get('incoming')?.Stat, 'Sum');
      const polled = byId.get('polled')!;
      assert.equal(polled.Metric.Namespace, 'AWS/Lambda');
      assert.equal(polled.Metric.MetricName, 'PolledEventCount');
      assert.deepEqual(polled.Metric.Dimensions.map((d) => d.Name), ['EventSourceMappingUUID']);
      // bound to this pipeline's own event source mapping, not a literal
      assert.deepEqual(Object.keys(polled.Metric.Dimensions[0]!.Value as object), ['Ref']);
      assert.equal(a.Threshold, 0);
      // 3 breaching of the last 5 periods: a newest datapoint not yet published (FILL makes it 0) does not reset the count.
      assert.equal(a.DatapointsToAlarm, p.alarms.evaluationPeriods);
      assert.equal(a.EvaluationPeriods, p.alarms.evaluationPeriods + LATE_DATA_PERIODS);
      assert.equal(a.TreatMissingData, 'notBreaching');
      assert.equal(a.MetricName, undefined);
    });

    test('the template alarms are exactly the rows of the alarm table', () => {
      const specs = pipelineAlarmSpecs({ pipeline: p, names: n, eventSourceMappingUuid: 'uuid' });
      for (const spec of specs) {
        const a = alarm(spec.kind).Properties;
        if (spec.math) {
          const expression = (a.Metrics as { Expression?: string; ReturnData?: boolean }[]).find((m) => m.Expression);
          assert.equal(expression?.Expression, spec.math.expression);
        } else {
          assert.equal(a.MetricName, spec.metricName);
          assert.equal(a.Namespace, spec.namespace);
        }
        assert.equal(a.Threshold, spec.threshold);
        assert.equal(a.TreatMissingData, spec.treatMissingData);
        assert.equal(a.DatapointsToAlarm, spec.datapointsToAlarm);
        assert.ok((a.AlarmDescription as string).includes(spec.meaning));
        assert.ok(spec.missingDataReason.length > 20, `${spec.kind} explains its missing-data choice`);
      }
    });
  });
}

describe('alarm topic', () => {
  test('one topic per stack, encrypted with its own rotated key that CloudWatch may use', () => {
    const topic = s.json.Resources[topicId]!;
    const keyId = (topic.Properties.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const key = s.json.Resources[keyId]!;
    assert.equal(key.Properties.EnableKeyRotation, true);
    const statements = (key.Properties.KeyPolicy as { Statement: { Principal?: { Service?: string }; Action: string[] }[] }).Statement;
    const cloudwatch = statements.find((st) => st.Principal?.Service === 'cloudwatch.amazonaws.com');
    assert.deepEqual(cloudwatch?.Action, ['kms:Decrypt', 'kms:GenerateDataKey']);
    assert.equal(
      resourcesOfType(s.json, 'AWS::SNS::Topic').filter(([, t]) => String(t.Properties.TopicName).endsWith('-alarms')).length,
      1,
    );
  });

  test('TLS only, and CloudWatch alarms of this account may publish', () => {
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref(topicId)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } }),
          }),
        ]),
      },
    });
  });

  test('the default configuration subscribes nobody (on-call addresses are added in pipelines.ts)', () => {
    s.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('dashboard', () => {
  interface Widget {
    type: string;
    properties: { title?: string; metrics?: unknown[][]; alarms?: string[] };
  }
  let widgets: Widget[];
  before(() => {
    const [, dashboard] = resourceWhere(s.json, 'AWS::CloudWatch::Dashboard', 'DashboardName', stackResourceNames(config.stackName).dashboardName);
    // The body is a Fn::Join of JSON text and references: render references as readable placeholders.
    const parts = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const text = parts
      .map((part) => {
        if (typeof part === 'string') return part;
        const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
        return getAtt ? `arn-of:${getAtt[0]}` : 'region';
      })
      .join('');
    widgets = (JSON.parse(text) as { widgets: Widget[] }).widgets;
  });

  for (const p of config.pipelines) {
    test(`${p.name}: records in and out, latency percentiles, iterator age, errors, DLQ depth, alarm states`, () => {
      const n = pipelineResourceNames(config.stackName, p.name);
      const metrics = widgets.filter((w) => w.properties.title?.startsWith(`${p.name}:`)).flatMap((w) => w.properties.metrics ?? []);
      const shows = (namespace: string, metric: string, dimension: string, value: string, stat: string): void =>
        assert.ok(
          metrics.some((m) => m[0] === namespace && m[1] === metric && m[2] === dimension && m[3] === value && (m[4] as { stat: string }).stat === stat),
          `dashboard shows ${metric} ${stat} of ${value}`,
        );
      shows('AWS/Kinesis', 'IncomingRecords', 'StreamName', n.streamName, 'Sum');
      shows(METRIC_NAMESPACE, ProcessorMetric.EventsProcessed, PIPELINE_DIMENSION, p.name, 'Sum');
      for (const stat of ['p50', 'p90', 'p99']) shows(METRIC_NAMESPACE, ProcessorMetric.EventToActionLatency, PIPELINE_DIMENSION, p.name, stat);
      shows('AWS/Lambda', 'IteratorAge', 'FunctionName', n.functionName, 'Maximum');
      shows('AWS/Lambda', 'Errors', 'FunctionName', n.functionName, 'Sum');
      shows('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', n.dlqName, 'Maximum');

      const alarmWidget = widgets.find((w) => w.type === 'alarm' && w.properties.title === `${p.name}: alarms`);
      if (p.windows) {
        shows(METRIC_NAMESPACE, ProcessorMetric.WatermarkLag, PIPELINE_DIMENSION, p.name, 'Maximum');
        shows(METRIC_NAMESPACE, ProcessorMetric.WindowsClosed, PIPELINE_DIMENSION, p.name, 'Sum');
        shows(METRIC_NAMESPACE, ProcessorMetric.EventsTooLate, PIPELINE_DIMENSION, p.name, 'Sum');
      }
      const expected = kindsOf(p).map(
        (kind) => `arn-of:${resourceWhere(s.json, 'AWS::CloudWatch::Alarm', 'AlarmName', `${n.alarmNamePrefix}${kind}`)[0]}`,
      );
      assert.deepEqual([...(alarmWidget?.properties.alarms ?? [])].sort(), expected.sort());
    });
  }
});
