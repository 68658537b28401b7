/**
 * What the pipelines report about themselves, read through the CloudWatch API (GetMetricData,
 * DescribeAlarms, DescribeAlarmHistory) exactly as a dashboard on AWS would read it.
 */
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { METRIC_NAMESPACE, PIPELINE_DIMENSION, ProcessorMetric } from '../../lambdas/shared/metrics-contract';

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

const COUNTERS: Record<keyof PipelineCounters, string> = {
  processed: ProcessorMetric.EventsProcessed,
  duplicates: ProcessorMetric.EventsDuplicate,
  poison: ProcessorMetric.EventsPoison,
  stale: ProcessorMetric.EventsStale,
  failed: ProcessorMetric.EventsFailed,
};

/** Window over which "now" values (latency, iterator age) are taken (real seconds). */
const NOW_WINDOW_SECONDS = 5;

function processorMetric(pipeline: string, metricName: string) {
  return { Namespace: METRIC_NAMESPACE, MetricName: metricName, Dimensions: [{ Name: PIPELINE_DIMENSION, Value: pipeline }] };
}

function iteratorAgeMetric(functionName: string) {
  return { Namespace: 'AWS/Lambda', MetricName: 'IteratorAge', Dimensions: [{ Name: 'FunctionName', Value: functionName }] };
}

async function getMetricData(cloudwatch: CloudWatchClient, queries: MetricDataQuery[], start: Date, end: Date): Promise<Map<string, SeriesPoint[]>> {
  const out = new Map<string, SeriesPoint[]>();
  let token: string | undefined;
  do {
    const response = await cloudwatch.send(
      new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: start, EndTime: end, NextToken: token, ScanBy: 'TimestampAscending' }),
    );
    for (const result of response.MetricDataResults ?? []) {
      const points = out.get(result.Id ?? '') ?? [];
      (result.Timestamps ?? []).forEach((t, i) => points.push({ at: t.getTime(), value: result.Values?.[i] ?? 0 }));
      out.set(result.Id ?? '', points);
    }
    token = response.NextToken;
  } while (token);
  for (const points of out.values()) points.sort((a, b) => a.at - b.at);
  return out;
}

const sum = (points: readonly SeriesPoint[] | undefined): number => (points ?? []).reduce((n, p) => n + p.value, 0);
const last = (points: readonly SeriesPoint[] | undefined): number | undefined => points?.at(-1)?.value;

/** Counters since `since` and the latest latency and iterator age, for every pipeline, in one call. */
export async function readNow(cloudwatch: CloudWatchClient, targets: readonly PipelineMetricTarget[], since: Date, now = new Date()): Promise<Map<string, PipelineNow>> {
  const queries: MetricDataQuery[] = [];
  targets.forEach((t, i) => {
    for (const [key, metricName] of Object.entries(COUNTERS)) {
      queries.push({ Id: `c${i}_${key}`, MetricStat: { Metric: processorMetric(t.pipeline, metricName), Period: 60, Stat: 'Sum' } });
    }
    const recent = { Period: NOW_WINDOW_SECONDS };
    queries.push({ Id: `l${i}_p50`, MetricStat: { Metric: processorMetric(t.pipeline, ProcessorMetric.EventToActionLatency), Stat: 'p50', ...recent } });
    queries.push({ Id: `l${i}_p99`, MetricStat: { Metric: processorMetric(t.pipeline, ProcessorMetric.EventToActionLatency), Stat: 'p99', ...recent } });
    queries.push({ Id: `i${i}_age`, MetricStat: { Metric: iteratorAgeMetric(t.functionName), Stat: 'Maximum', ...recent } });
  });
  // Counters cover the whole run; the windowed values only their last window.
  const data = await getMetricData(cloudwatch, queries, new Date(Math.floor(since.getTime() / 60_000) * 60_000), now);
  const recentCutoff = now.getTime() - 2 * NOW_WINDOW_SECONDS * 1000;
  const recentValue = (id: string): number | undefined => last((data.get(id) ?? []).filter((p) => p.at >= recentCutoff));
  const result = new Map<string, PipelineNow>();
  targets.forEach((t, i) => {
    const counters = Object.fromEntries(Object.keys(COUNTERS).map((key) => [key, sum(data.get(`c${i}_${key}`))])) as unknown as PipelineCounters;
    result.set(t.pipeline, {
      ...counters,
      latencyP50: recentValue(`l${i}_p50`),
      latencyP99: recentValue(`l${i}_p99`),
      iteratorAgeMs: recentValue(`i${i}_age`),
    });
  });
  return result;
}

/** Latency percentiles, iterator age and throughput over the run, per `periodSeconds` (1, 5, 10, 30 or a multiple of 60). */
export async function readSeries(
  cloudwatch: CloudWatchClient,
  targets: readonly PipelineMetricTarget[],
  start: Date,
  end: Date,
  periodSeconds: number,
): Promise<PipelineSeries[]> {
  const queries: MetricDataQuery[] = [];
  targets.forEach((t, i) => {
    const latency = processorMetric(t.pipeline, ProcessorMetric.EventToActionLatency);
    queries.push({ Id: `s${i}_p50`, MetricStat: { Metric: latency, Stat: 'p50', Period: periodSeconds } });
    queries.push({ Id: `s${i}_p99`, MetricStat: { Metric: latency, Stat: 'p99', Period: periodSeconds } });
    queries.push({ Id: `s${i}_age`, MetricStat: { Metric: iteratorAgeMetric(t.functionName), Stat: 'Maximum', Period: periodSeconds } });
    queries.push({ Id: `s${i}_n`, MetricStat: { Metric: processorMetric(t.pipeline, ProcessorMetric.EventToActionLatency), Stat: 'SampleCount', Period: periodSeconds } });
  });
  const data = await getMetricData(cloudwatch, queries, start, end);
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
  targets: readonly PipelineMetricTarget[],
  start: Date,
  end: Date,
): Promise<Map<string, { p50?: number; p99?: number }>> {
  const from = new Date(Math.floor(start.getTime() / 60_000) * 60_000);
  const period = Math.ceil((end.getTime() - from.getTime()) / 60_000 + 1) * 60;
  const queries: MetricDataQuery[] = targets.flatMap((t, i) => {
    const metric = processorMetric(t.pipeline, ProcessorMetric.EventToActionLatency);
    return [
      { Id: `r${i}_p50`, MetricStat: { Metric: metric, Stat: 'p50', Period: period } },
      { Id: `r${i}_p99`, MetricStat: { Metric: metric, Stat: 'p99', Period: period } },
    ];
  });
  const data = await getMetricData(cloudwatch, queries, from, new Date(from.getTime() + period * 1000));
  return new Map(targets.map((t, i) => [t.pipeline, { p50: data.get(`r${i}_p50`)?.[0]?.value, p99: data.get(`r${i}_p99`)?.[0]?.value }]));
}

export async function readAlarms(cloudwatch: CloudWatchClient, namePrefix: string): Promise<AlarmState[]> {
  const alarms: AlarmState[] = [];
  let token: string | undefined;
  do {
    const page = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: namePrefix, NextToken: token }));
    for (const a of page.MetricAlarms ?? []) {
      alarms.push({ name: a.AlarmName ?? '?', state: a.StateValue ?? 'INSUFFICIENT_DATA', since: a.StateUpdatedTimestamp ?? new Date(0) });
    }
    token = page.NextToken;
  } while (token);
  return alarms.sort((a, b) => a.name.localeCompare(b.name));
}

/** State changes of the alarms under `namePrefix` between two times, oldest first. */
export async function readAlarmTransitions(cloudwatch: CloudWatchClient, namePrefix: string, start: Date, end: Date): Promise<AlarmTransition[]> {
  const transitions: AlarmTransition[] = [];
  let token: string | undefined;
  do {
    const page = await cloudwatch.send(
      new DescribeAlarmHistoryCommand({ HistoryItemType: 'StateUpdate', StartDate: start, EndDate: end, NextToken: token, MaxRecords: 100 }),
    );
    for (const item of page.AlarmHistoryItems ?? []) {
      if (!item.AlarmName?.startsWith(namePrefix) || !item.Timestamp) continue;
      const data = parseHistoryData(item.HistoryData);
      if (data) transitions.push({ name: item.AlarmName, at: item.Timestamp, ...data });
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
