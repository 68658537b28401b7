/**
 * A subset of the CloudWatch API in AWS JSON 1.0 (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`,
 * what the installed @aws-sdk/client-cloudwatch sends, with query-compatible errors): PutMetricData,
 * GetMetricData (MetricStat queries, and metric math expressions through the alarms' evaluator),
 * ListMetrics, DescribeAlarms and DescribeAlarmHistory, over the local metric store and alarm evaluator.
 * Times are on the store's simulated axis (identical to real time with time scale 1).
 */
import type { AlarmEvaluator, AlarmStatus, MetricStore } from '../cloudwatch';
import { isSupportedStatistic } from '../cloudwatch';
import { compileMetricMath, evaluateQuery, periodOf, statisticQuery, storeFetcher, type MetricDataQuery, type MetricMathProgram } from '../cloudwatch/metric-math';
import { AwsApiError, epochSeconds, timestampMs } from './http';

export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801.';

export interface CloudWatchApiOptions {
  readonly store: MetricStore;
  readonly alarms: AlarmEvaluator;
}

type Body = Record<string, unknown>;

export async function handleCloudWatch(options: CloudWatchApiOptions, operation: string, body: Body): Promise<unknown> {
  switch (operation) {
    case 'PutMetricData':
      return putMetricData(options.store, body);
    case 'GetMetricData':
      return getMetricData(options.store, body);
    case 'ListMetrics':
      return listMetrics(options.store, body);
    case 'DescribeAlarms':
      return describeAlarms(options.alarms, body);
    case 'DescribeAlarmHistory':
      return describeAlarmHistory(options.alarms, body);
    default:
      throw new AwsApiError('InvalidAction', `CloudWatch operation ${operation} is not served by the local target`);
  }
}

function putMetricData(store: MetricStore, body: Body): Body {
  const namespace = requireString(body.Namespace, 'Namespace');
  if (namespace.startsWith('AWS/')) throw new AwsApiError('InvalidParameterValue', 'The value AWS/ for parameter Namespace is invalid.');
  const data = Array.isArray(body.MetricData) ? (body.MetricData as Body[]) : [];
  if (data.length === 0) throw new AwsApiError('MissingParameter', 'The parameter MetricData is required.');
  const now = store.clock.now();
  for (const [i, datum] of data.entries()) {
    const metricName = requireString(datum.MetricName, `MetricData.member.${i + 1}.MetricName`);
    const dimensions = dimensionsOf(datum.Dimensions);
    // Timestamps given by a client are real time, like every producer's; absent means now.
    const put = (value: number): void =>
      datum.Timestamp === undefined
        ? store.putSimulated({ namespace, metricName, dimensions, value, unit: unitOf(datum.Unit), timestamp: now })
        : store.put({ namespace, metricName, dimensions, value, unit: unitOf(datum.Unit), timestamp: timestampMs(datum.Timestamp, 'Timestamp') });
    if (typeof datum.Value === 'number') put(datum.Value);
    if (Array.isArray(datum.Values)) {
      const counts = Array.isArray(datum.Counts) ? (datum.Counts as number[]) : [];
      (datum.Values as number[]).forEach((value, j) => {
        for (let n = 0; n < (counts[j] ?? 1); n += 1) put(value);
      });
    }
    if (datum.StatisticValues !== undefined) {
      throw new AwsApiError('InvalidParameterValue', 'StatisticValues (pre-aggregated sets) are not supported by the local target; send Value or Values');
    }
  }
  return {};
}

function getMetricData(store: MetricStore, body: Body): Body {
  const start = timestampMs(body.StartTime, 'StartTime');
  const end = timestampMs(body.EndTime, 'EndTime');
  const descending = (body.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
  const raw = Array.isArray(body.MetricDataQueries) ? (body.MetricDataQueries as Body[]) : [];
  if (raw.length === 0) throw new AwsApiError('MissingParameter', 'The parameter MetricDataQueries is required.');
  const queries = raw.map(metricDataQuery);
  const compiled = compileMetricMath(queries, 'MetricDataQueries');
  if (!compiled.ok) throw new AwsApiError('InvalidParameterValue', compiled.reason);
  const results = queries
    .filter((q) => q.ReturnData !== false)
    .map((q) => {
      const series = q.MetricStat ? store.statistic(statisticQuery(q.MetricStat, start, end)) : expressionSeries(store, compiled.program, q.Id, start, end);
      const order = series.timestamps.map((_, i) => i);
      if (descending) order.reverse();
      return {
        Id: q.Id,
        Label: q.Label ?? q.MetricStat?.Metric.MetricName ?? q.Id,
        Timestamps: order.map((i) => epochSeconds(series.timestamps[i] as number)),
        Values: order.map((i) => series.values[i] as number),
        StatusCode: 'Complete',
        Messages: [],
      };
    });
  return { MetricDataResults: results, Messages: [] };
}

/** One query of the request, checked for what the local store can answer. */
function metricDataQuery(q: Body): MetricDataQuery {
  const id = requireString(q.Id, 'MetricDataQueries.Id');
  const common = {
    Id: id,
    ...(typeof q.Label === 'string' ? { Label: q.Label } : {}),
    ...(typeof q.ReturnData === 'boolean' ? { ReturnData: q.ReturnData } : {}),
    ...(typeof q.Period === 'number' ? { Period: q.Period } : {}),
    ...(typeof q.AccountId === 'string' ? { AccountId: q.AccountId } : {}),
  };
  if (q.Expression !== undefined) {
    if (q.MetricStat !== undefined) throw new AwsApiError('InvalidParameterValue', `Query ${id}: exactly one of Expression and MetricStat is required`);
    return { ...common, Expression: requireString(q.Expression, `MetricDataQueries.${id}.Expression`) };
  }
  const stat = (q.MetricStat ?? {}) as Body;
  const metric = (stat.Metric ?? {}) as Body;
  const statistic = requireString(stat.Stat, `MetricDataQueries.${id}.MetricStat.Stat`);
  if (!isSupportedStatistic(statistic)) throw new AwsApiError('InvalidParameterValue', `Query ${id}: statistic ${statistic} is not supported locally`);
  const period = Number(stat.Period);
  if (!Number.isInteger(period) || period <= 0) throw new AwsApiError('InvalidParameterValue', `Query ${id}: Period must be a positive integer`);
  const unit = unitOf(stat.Unit);
  return {
    ...common,
    MetricStat: {
      Metric: {
        Namespace: requireString(metric.Namespace, 'Namespace'),
        MetricName: requireString(metric.MetricName, 'MetricName'),
        Dimensions: Object.entries(dimensionsOf(metric.Dimensions)).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: period,
      Stat: statistic,
      ...(unit !== undefined ? { Unit: unit } : {}),
    },
  };
}

/**
 * An expression over the aligned periods of [start, end), up to the current one: FILL would otherwise
 * invent values for periods that have not begun.
 */
function expressionSeries(store: MetricStore, program: MetricMathProgram, id: string, start: number, end: number): { timestamps: number[]; values: number[] } {
  const periodMs = periodOf(program, id) * 1000;
  const first = Math.floor(start / periodMs) * periodMs;
  const last = Math.min(end, Math.floor(store.clock.now() / periodMs) * periodMs + periodMs);
  const count = Math.max(0, Math.ceil((last - first) / periodMs));
  const values = evaluateQuery(program, id, { start: first, count }, storeFetcher(store));
  const timestamps: number[] = [];
  const present: number[] = [];
  values.forEach((v, i) => {
    if (v === undefined) return;
    timestamps.push(first + i * periodMs);
    present.push(v);
  });
  return { timestamps, values: present };
}

function listMetrics(store: MetricStore, body: Body): Body {
  const filter = { ...(typeof body.Namespace === 'string' ? { namespace: body.Namespace } : {}), ...(typeof body.MetricName === 'string' ? { metricName: body.MetricName } : {}) };
  return {
    Metrics: store.metrics(filter).map((m) => ({
      Namespace: m.namespace,
      MetricName: m.metricName,
      Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })),
    })),
  };
}

function describeAlarms(alarms: AlarmEvaluator, body: Body): Body {
  const names = Array.isArray(body.AlarmNames) ? (body.AlarmNames as string[]) : undefined;
  const prefix = typeof body.AlarmNamePrefix === 'string' ? body.AlarmNamePrefix : undefined;
  const state = typeof body.StateValue === 'string' ? body.StateValue : undefined;
  const types = Array.isArray(body.AlarmTypes) ? (body.AlarmTypes as string[]) : ['MetricAlarm'];
  const selected = alarms
    .list()
    .filter((a) => (names === undefined || names.includes(a.definition.AlarmName)) && (prefix === undefined || a.definition.AlarmName.startsWith(prefix)) && (state === undefined || a.state === state));
  return { MetricAlarms: types.includes('MetricAlarm') ? selected.map(metricAlarm) : [], CompositeAlarms: [] };
}

function metricAlarm(status: AlarmStatus): Body {
  const a = status.definition;
  const metric: Body =
    a.kind === 'math'
      ? { Metrics: a.Metrics }
      : {
          MetricName: a.MetricName,
          Namespace: a.Namespace,
          ...(a.Statistic !== undefined ? { Statistic: a.Statistic } : { ExtendedStatistic: a.ExtendedStatistic }),
          Dimensions: a.Dimensions,
          Period: a.Period,
          ...(a.Unit !== undefined ? { Unit: a.Unit } : {}),
        };
  return {
    AlarmName: a.AlarmName,
    AlarmArn: status.arn,
    ...(a.AlarmDescription !== undefined ? { AlarmDescription: a.AlarmDescription } : {}),
    AlarmConfigurationUpdatedTimestamp: epochSeconds(status.configurationUpdatedAt),
    ActionsEnabled: a.ActionsEnabled,
    OKActions: a.OKActions,
    AlarmActions: a.AlarmActions,
    InsufficientDataActions: a.InsufficientDataActions,
    StateValue: status.state,
    StateReason: status.reason,
    ...(status.reasonData ? { StateReasonData: status.reasonData } : {}),
    StateUpdatedTimestamp: epochSeconds(status.updatedAt),
    StateTransitionedTimestamp: epochSeconds(status.updatedAt),
    ...metric,
    EvaluationPeriods: a.EvaluationPeriods,
    DatapointsToAlarm: a.datapointsToAlarm,
    Threshold: a.Threshold,
    ComparisonOperator: a.ComparisonOperator,
    TreatMissingData: a.TreatMissingData,
    ...(a.EvaluateLowSampleCountPercentile !== undefined ? { EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile } : {}),
  };
}

function describeAlarmHistory(alarms: AlarmEvaluator, body: Body): Body {
  const name = typeof body.AlarmName === 'string' ? body.AlarmName : undefined;
  const type = typeof body.HistoryItemType === 'string' ? body.HistoryItemType : undefined;
  const start = body.StartDate === undefined ? -Infinity : timestampMs(body.StartDate, 'StartDate');
  const end = body.EndDate === undefined ? Infinity : timestampMs(body.EndDate, 'EndDate');
  const items = alarms
    .history(name)
    .filter((h) => (type === undefined || h.HistoryItemType === type) && h.Timestamp >= start && h.Timestamp <= end)
    .map((h) => ({ ...h, Timestamp: epochSeconds(h.Timestamp) }));
  if ((body.ScanBy ?? 'TimestampDescending') === 'TimestampDescending') items.reverse();
  const max = typeof body.MaxRecords === 'number' ? body.MaxRecords : 100;
  return { AlarmHistoryItems: items.slice(0, max) };
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new AwsApiError('MissingParameter', `The parameter ${field} is required.`);
  return value;
}

function dimensionsOf(value: unknown): Record<string, string> {
  if (!Array.isArray(value)) return {};
  return Object.fromEntries((value as Body[]).map((d) => [requireString(d.Name, 'Dimensions.Name'), String(d.Value ?? '')]));
}

function unitOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== 'None' ? value : undefined;
}
