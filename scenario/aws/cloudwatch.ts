/**
 * What the pipelines report about themselves, read through the CloudWatch API (GetMetricData,
 * DescribeAlarms, DescribeAlarmHistory) exactly as a dashboard on AWS would read it.
 */
import {
  type CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  PutMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { METRIC_NAMESPACE, PIPELINE_DIMENSION, ProcessorMetric } from '../../lambdas/shared/metrics-contract';
import { TargetStateError } from '../errors';

export interface PipelineMetricTarget {
  readonly pipeline: string;
  readonly functionName: string;
}

export interface PipelineCounters {
  readonly processed: number;
  readonly duplicates: number;
  readonly poison: number;
  readonly stale: number;
  readonly failed: number;
}

export interface PipelineNow extends PipelineCounters {
  /** Event-to-action latency over the last window (ms), undefined when nothing was processed in it. */
  readonly latencyP50?: number;
  readonly latencyP99?: number;
  /** Largest IteratorAge (AWS/Lambda) over the last window (ms). */
  readonly iteratorAgeMs?: number;
}

export interface AlarmState {
  readonly name: string;
  readonly state: string;
  readonly since: Date;
}

export interface AlarmTransition {
  readonly name: string;
  readonly at: Date;
  readonly from: string;
  readonly to: string;
}

export interface SeriesPoint {
  readonly at: number;
  readonly value: number;
}

export interface PipelineSeries {
  readonly pipeline: string;
  readonly p50: SeriesPoint[];
  readonly p99: SeriesPoint[];
  readonly iteratorAge: SeriesPoint[];
  readonly processed: SeriesPoint[];
}

/**
 * The time axis of the CloudWatch API in use. AWS (and a target without time scale) answers in real
 * time; the embedded local target keeps metric and alarm times on a simulated axis (a time scale S
 * makes S simulated seconds pass per real second) so that a 60 s period lasts 60/S real seconds.
 * Reading its times as real ones would put the data in the future; the axis maps both ways.
 */
export interface TimeAxis {
  /** Simulated seconds per real second on the API's axis: 1 on a real-time axis. */
  readonly rate: number;
  toApi(realMs: number): number;
  toReal(apiMs: number): number;
}

export const REAL_TIME: TimeAxis = { rate: 1, toApi: (ms) => ms, toReal: (ms) => ms };

const CALIBRATION_NAMESPACE = 'StreamPipeline/Scenario';

/**
 * Finds the API's time axis by experiment: puts one high-resolution marker datum stamped with the real
 * time and reads back where the API files it. Works on any target; on AWS it finds the identity.
 */
export async function calibrateTimeAxis(cloudwatch: CloudWatchClient, timeScale: number, runId: string): Promise<TimeAxis> {
  if (timeScale === 1) return REAL_TIME;
  const realMs = Date.now();
  const metric = { Namespace: CALIBRATION_NAMESPACE, MetricName: 'TimeAxisMarker', Dimensions: [{ Name: 'Run', Value: runId }] };
  await cloudwatch.send(new PutMetricDataCommand({ Namespace: metric.Namespace, MetricData: [{ ...metric, Value: 1, Timestamp: new Date(realMs), StorageResolution: 1 }] }));
  // Wide enough for either axis: a simulated axis runs ahead of real time by (elapsed × scale).
  const data = await getMetricData(
    cloudwatch,
    [{ Id: 'marker', MetricStat: { Metric: metric, Period: 1, Stat: 'SampleCount' } }],
    new Date(realMs - 3_600_000),
    new Date(realMs + 7 * 86_400_000),
  );
  const filedAt = data.get('marker')?.[0]?.at;
  if (filedAt === undefined) throw new TargetStateError('CloudWatch did not return the time-axis marker datum just put');
  // Within two seconds: real time (1 s buckets floor the timestamp).
  if (Math.abs(filedAt - realMs) < 2000) return REAL_TIME;
  // Filed on a simulated axis: s = filedAt + (real - realMs) × scale (to the marker's 1 s bucket).
  const anchorApi = filedAt + 500;
  return {
    rate: timeScale,
    toApi: (ms) => anchorApi + (ms - realMs) * timeScale,
    toReal: (ms) => realMs + (ms - anchorApi) / timeScale,
  };
}

const COUNTERS: Record<keyof PipelineCounters, string> = {
  processed: ProcessorMetric.EventsProcessed,
  duplicates: ProcessorMetric.EventsDuplicate,
  poison: ProcessorMetric.EventsPoison,
  stale: ProcessorMetric.EventsStale,
  failed: ProcessorMetric.EventsFailed,
};

/**
 * Period of the "now" values and of the report's series, in API seconds: one alarm period (60 s) on
 * a simulated axis, where it lasts 60/S real seconds; 10 s on a real-time axis.
 */
export function viewPeriodSeconds(axis: TimeAxis): number {
  return axis.rate > 1 ? 60 : 10;
}

function processorMetric(pipeline: string, metricName: string) {
  return { Namespace: METRIC_NAMESPACE, MetricName: metricName, Dimensions: [{ Name: PIPELINE_DIMENSION, Value: pipeline }] };
}

function iteratorAgeMetric(functionName: string) {
  return { Namespace: 'AWS/Lambda', MetricName: 'IteratorAge', Dimensions: [{ Name: 'FunctionName', Value: functionName }] };
}

/** GetMetricData over every page; timestamps as the API gives them. */
async function getMetricData(cloudwatch: CloudWatchClient, queries: MetricDataQuery[], start: Date, end: Date): Promise<Map<string, SeriesPoint[]>> {
  const out = new Map<string, SeriesPoint[]>();
  for (let i = 0; i < queries.length; i += 500) {
    let token: string | undefined;
    do {
      const response = await cloudwatch.send(
        new GetMetricDataCommand({ MetricDataQueries: queries.slice(i, i + 500), StartTime: start, EndTime: end, NextToken: token, ScanBy: 'TimestampAscending' }),
      );
      for (const result of response.MetricDataResults ?? []) {
        const points = out.get(result.Id ?? '') ?? [];
        (result.Timestamps ?? []).forEach((t, j) => points.push({ at: t.getTime(), value: result.Values?.[j] ?? 0 }));
        out.set(result.Id ?? '', points);
      }
      token = response.NextToken;
    } while (token);
  }
  for (const points of out.values()) points.sort((a, b) => a.at - b.at);
  return out;
}

/** GetMetricData between two real times; timestamps come back as real epoch ms. */
async function getRealMetricData(cloudwatch: CloudWatchClient, axis: TimeAxis, queries: MetricDataQuery[], startMs: number, endMs: number): Promise<Map<string, SeriesPoint[]>> {
  const apiStart = Math.floor(axis.toApi(startMs) / 60_000) * 60_000;
  const apiEnd = Math.ceil(axis.toApi(endMs) / 60_000) * 60_000 + 60_000;
  const data = await getMetricData(cloudwatch, queries, new Date(apiStart), new Date(apiEnd));
  for (const [id, points] of data) data.set(id, points.map((p) => ({ at: axis.toReal(p.at), value: p.value })));
  return data;
}

const sum = (points: readonly SeriesPoint[] | undefined): number => (points ?? []).reduce((n, p) => n + p.value, 0);

/** Counters since `sinceMs` and the latest latency and iterator age, for every pipeline, in one call. */
export async function readNow(
  cloudwatch: CloudWatchClient,
  axis: TimeAxis,
  targets: readonly PipelineMetricTarget[],
  sinceMs: number,
  nowMs = Date.now(),
): Promise<Map<string, PipelineNow>> {
  const period = viewPeriodSeconds(axis);
  const queries: MetricDataQuery[] = [];
  targets.forEach((t, i) => {
    for (const [key, metricName] of Object.entries(COUNTERS)) {
      queries.push({ Id: `c${i}_${key}`, MetricStat: { Metric: processorMetric(t.pipeline, metricName), Period: 60, Stat: 'Sum' } });
    }
    const latency = processorMetric(t.pipeline, ProcessorMetric.EventToActionLatency);
    queries.push({ Id: `l${i}_p50`, MetricStat: { Metric: latency, Stat: 'p50', Period: period } });
    queries.push({ Id: `l${i}_p99`, MetricStat: { Metric: latency, Stat: 'p99', Period: period } });
    queries.push({ Id: `i${i}_age`, MetricStat: { Metric: iteratorAgeMetric(t.functionName), Stat: 'Maximum', Period: period } });
  });
  const data = await getRealMetricData(cloudwatch, axis, queries, sinceMs, nowMs);
  // "Now" is the latest period that began within the last three periods; older means idle.
  const cutoff = nowMs - (3 * period * 1000) / axis.rate;
  const recent = (id: string): number | undefined => (data.get(id) ?? []).filter((p) => p.at >= cutoff).at(-1)?.value;
  const result = new Map<string, PipelineNow>();
  targets.forEach((t, i) => {
    const counters = Object.fromEntries(Object.keys(COUNTERS).map((key) => [key, sum(data.get(`c${i}_${key}`))])) as unknown as PipelineCounters;
    result.set(t.pipeline, { ...counters, latencyP50: recent(`l${i}_p50`), latencyP99: recent(`l${i}_p99`), iteratorAgeMs: recent(`i${i}_age`) });
  });
  return result;
}

/** Latency percentiles, iterator age and throughput over a run, one point per `periodSeconds` (API seconds). */
export async function readSeries(
  cloudwatch: CloudWatchClient,
  axis: TimeAxis,
  targets: readonly PipelineMetricTarget[],
  startMs: number,
  endMs: number,
  periodSeconds: number,
): Promise<PipelineSeries[]> {
  const queries: MetricDataQuery[] = [];
  targets.forEach((t, i) => {
    const latency = processorMetric(t.pipeline, ProcessorMetric.EventToActionLatency);
    queries.push({ Id: `s${i}_p50`, MetricStat: { Metric: latency, Stat: 'p50', Period: periodSeconds } });
    queries.push({ Id: `s${i}_p99`, MetricStat: { Metric: latency, Stat: 'p99', Period: periodSeconds } });
    queries.push({ Id: `s${i}_age`, MetricStat: { Metric: iteratorAgeMetric(t.functionName), Stat: 'Maximum', Period: periodSeconds } });
    queries.push({ Id: `s${i}_n`, MetricStat: { Metric: latency, Stat: 'SampleCount', Period: periodSeconds } });
  });
  const data = await getRealMetricData(cloudwatch, axis, queries, startMs, endMs);
  return targets.map((t, i) => ({
    pipeline: t.pipeline,
    p50: data.get(`s${i}_p50`) ?? [],
    p99: data.get(`s${i}_p99`) ?? [],
    iteratorAge: data.get(`s${i}_age`) ?? [],
    processed: data.get(`s${i}_n`) ?? [],
  }));
}

/** Event-to-action latency percentiles over a whole run, per pipeline (one period covering it). */
export async function readRunPercentiles(
  cloudwatch: CloudWatchClient,
  axis: TimeAxis,
  targets: readonly PipelineMetricTarget[],
  startMs: number,
  endMs: number,
): Promise<Map<string, { p50?: number; p99?: number }>> {
  const from = Math.floor(axis.toApi(startMs) / 60_000) * 60_000;
  const to = axis.toApi(endMs) + 60_000;
  // Periods are aligned to multiples of the period since the epoch: one longer than the whole epoch
  // span puts the run in a single bucket (a percentile cannot be merged from two).
  const period = Math.ceil(to / 60_000 + 1) * 60;
  const queries: MetricDataQuery[] = targets.flatMap((t, i) => {
    const metric = processorMetric(t.pipeline, ProcessorMetric.EventToActionLatency);
    return [
      { Id: `r${i}_p50`, MetricStat: { Metric: metric, Stat: 'p50', Period: period } },
      { Id: `r${i}_p99`, MetricStat: { Metric: metric, Stat: 'p99', Period: period } },
    ];
  });
  const data = await getMetricData(cloudwatch, queries, new Date(from), new Date(to));
  const only = (id: string): number | undefined => {
    const points = data.get(id) ?? [];
    // More than one bucket would make any one of them a partial figure: better none.
    return points.length === 1 ? points[0]?.value : undefined;
  };
  return new Map(targets.map((t, i) => [t.pipeline, { p50: only(`r${i}_p50`), p99: only(`r${i}_p99`) }]));
}

export async function readAlarms(cloudwatch: CloudWatchClient, axis: TimeAxis, namePrefix: string): Promise<AlarmState[]> {
  const alarms: AlarmState[] = [];
  let token: string | undefined;
  do {
    const page = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: namePrefix, NextToken: token }));
    for (const a of page.MetricAlarms ?? []) {
      const since = a.StateUpdatedTimestamp ? new Date(axis.toReal(a.StateUpdatedTimestamp.getTime())) : new Date(0);
      alarms.push({ name: a.AlarmName ?? '?', state: a.StateValue ?? 'INSUFFICIENT_DATA', since });
    }
    token = page.NextToken;
  } while (token);
  return alarms.sort((a, b) => a.name.localeCompare(b.name));
}

/** State changes of the alarms under `namePrefix` between two real times, oldest first, in real time. */
export async function readAlarmTransitions(cloudwatch: CloudWatchClient, axis: TimeAxis, namePrefix: string, startMs: number, endMs: number): Promise<AlarmTransition[]> {
  const transitions: AlarmTransition[] = [];
  let token: string | undefined;
  do {
    const page = await cloudwatch.send(
      new DescribeAlarmHistoryCommand({
        HistoryItemType: 'StateUpdate',
        StartDate: new Date(axis.toApi(startMs)),
        EndDate: new Date(axis.toApi(endMs)),
        NextToken: token,
        MaxRecords: 100,
      }),
    );
    for (const item of page.AlarmHistoryItems ?? []) {
      if (!item.AlarmName?.startsWith(namePrefix) || !item.Timestamp) continue;
      const data = parseHistoryData(item.HistoryData);
      if (data) transitions.push({ name: item.AlarmName, at: new Date(axis.toReal(item.Timestamp.getTime())), ...data });
    }
    token = page.NextToken;
  } while (token);
  return transitions.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** CloudWatch's HistoryData for a StateUpdate: `{"oldState":{"stateValue":...},"newState":{"stateValue":...}}`. */
function parseHistoryData(text: string | undefined): { from: string; to: string } | undefined {
  if (!text) return undefined;
  try {
    const data = JSON.parse(text) as { oldState?: { stateValue?: string }; newState?: { stateValue?: string } };
    if (!data.newState?.stateValue) return undefined;
    return { from: data.oldState?.stateValue ?? 'INSUFFICIENT_DATA', to: data.newState.stateValue };
  } catch {
    return undefined;
  }
}

/** One processor metric summed between two real times (for example EventsTooLate over a run). */
export async function readMetricSum(cloudwatch: CloudWatchClient, axis: TimeAxis, pipeline: string, metricName: string, startMs: number, endMs: number): Promise<number> {
  const data = await getRealMetricData(cloudwatch, axis, [{ Id: 'm', MetricStat: { Metric: processorMetric(pipeline, metricName), Period: 60, Stat: 'Sum' } }], startMs, endMs);
  return sum(data.get('m'));
}
