/**
 * Phase 6, report: the final figures from the APIs (latency series and percentiles, alarm history),
 * the summary (what `--json` prints and the exit code is made of) and the HTML and JSON reports.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { readAlarmTransitions, readRunPercentiles, readSeries, viewPeriodSeconds, type AlarmTransition, type PipelineMetricTarget, type TimeAxis } from '../aws/cloudwatch';
import type { Ledger } from '../judge/ledger';
import type { Reconciliation } from '../judge/reconcile-pipeline';
import type { ScenarioOptions } from '../options';
import type { Stage } from '../stage';
import { CONSUMER_OUTAGE_LABEL } from '../steps/consumer-outage';
import type { AlarmSample } from '../view/monitor';
import { writeReport } from '../view/report/html';
import { summarizeProducer } from '../view/producer-summary';
import type { AlarmOutcome, ExecutedWindow, PipelineSummary, ReportData, ScenarioSummary } from '../view/summary';

export interface ReportInput {
  readonly stage: Stage;
  readonly options: ScenarioOptions;
  readonly ledger: Ledger;
  readonly windows: readonly ExecutedWindow[];
  readonly reconciliation?: Reconciliation;
  /** Why the run stopped before the end; undefined when it completed. */
  readonly stoppedBecause?: string;
  readonly startedAt: number;
  readonly loadStartedAt: number;
  /** Alarm states the monitor saw: the latest, and every sample. */
  readonly latestAlarmNames: readonly string[];
  readonly alarmSamples: readonly AlarmSample[];
  /** Folder of the report. Default `reports` under the working directory. */
  readonly reportDir?: string;
}

export interface ScenarioResult {
  readonly summary: ScenarioSummary;
  readonly report: ReportData;
  readonly reconciliation?: Reconciliation;
}


export async function writeRunReport(input: ReportInput): Promise<ScenarioResult> {
  const { stage, ledger, reconciliation, loadStartedAt } = input;
  const { cloudwatch } = stage.clients;
  const endedAt = Date.now();
  const series = await readSeriesSafe(cloudwatch, stage.axis, stage.metricTargets, loadStartedAt, endedAt);
  const transitions = await readAlarmTransitions(cloudwatch, stage.axis, stage.alarmPrefix, input.startedAt, endedAt + 1000).catch(() => [] as AlarmTransition[]);
  const percentiles = await readRunPercentiles(cloudwatch, stage.axis, stage.metricTargets, loadStartedAt, endedAt).catch(() => new Map<string, { p50?: number; p99?: number }>());

  const consumerOutage = input.windows.find((w) => w.label === CONSUMER_OUTAGE_LABEL);
  const pipelines: PipelineSummary[] = stage.pipelines.map((p) => {
    const name = p.config.name;
    const rec = reconciliation?.pipelines.find((x) => x.pipeline === name);
    const s = series.series.find((x) => x.pipeline === name);
    return {
      pipeline: name,
      counts: rec?.counts ?? emptyCounts(ledger, name),
      latencyP50: percentiles.get(name)?.p50,
      latencyP99: percentiles.get(name)?.p99,
      worstPeriodP99: s && s.p99.length > 0 ? Math.max(...s.p99.map((x) => x.value)) : undefined,
      latencyObjectiveMs: p.config.alarms.latencyObjectiveMs,
      latencyAlarm: consumerOutage ? alarmOutcome(p.names.latencyAlarmName, consumerOutage.startAt, loadStartedAt, transitions, input.alarmSamples) : undefined,
      stalledAlarm: consumerOutage ? alarmOutcome(p.names.stalledAlarmName, consumerOutage.startAt, loadStartedAt, transitions, input.alarmSamples) : undefined,
      ...(rec?.windowed ? { windowed: rec.windowed } : {}),
      producer: summarizeProducer(p, ledger.events.filter((e) => e.pipeline === name), input.windows),
    };
  });
  const problems = [...(reconciliation?.pipelines.flatMap((p) => p.problems.map((x) => `${p.pipeline}: ${x}`)) ?? [])];
  const completed = input.stoppedBecause === undefined;
  const summary: ScenarioSummary = {
    ok: completed && reconciliation !== undefined && problems.length === 0,
    completed,
    stoppedBecause: input.stoppedBecause,
    runId: stage.runId,
    startedAt: new Date(input.startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    loadStartedAt: new Date(loadStartedAt).toISOString(),
    options: input.options,
    windows: input.windows,
    pipelines,
    problems,
    caveats: reconciliation?.pipelines.flatMap((p) => p.caveats.map((c) => `${p.pipeline}: ${c}`)) ?? [],
  };
  const reportDir = resolve(input.reportDir ?? 'reports');
  mkdirSync(reportDir, { recursive: true });
  const reportPath = join(reportDir, `scenario-${stage.runId}.html`);
  const withPath: ScenarioSummary = { ...summary, reportPath };
  const report: ReportData = {
    summary: withPath,
    loadStartedAt,
    series: series.series,
    seriesPeriodSeconds: series.periodSeconds,
    alarmNames: [...new Set([...input.latestAlarmNames, ...transitions.map((t) => t.name)])]
      .filter((name) => stage.pipelines.some((p) => name.startsWith(p.names.alarmNamePrefix)))
      .sort(),
    alarmTransitions: transitions,
    alarmSamples: input.alarmSamples,
    reconciliation,
  };
  writeReport(reportPath, report);
  writeFileSync(join(reportDir, `scenario-${stage.runId}.json`), `${JSON.stringify(withPath, null, 2)}\n`);
  return { summary: withPath, report, reconciliation };
}

function emptyCounts(ledger: Ledger, pipeline: string): PipelineSummary['counts'] {
  return {
    events: new Set(ledger.events.filter((e) => e.pipeline === pipeline).map((e) => e.idempotencyKey)).size,
    duplicatesInjected: 0,
    outOfOrderInjected: 0,
    lateInjected: 0,
    appliedOnce: 0,
    staleAcknowledged: 0,
    lost: 0,
    appliedTwice: 0,
    pending: 0,
    completionUnrecorded: 0,
    poisonPut: ledger.poison.filter((p) => p.pipeline === pipeline).length,
    poisonInDlq: 0,
    batchesGivenUp: 0,
  };
}

async function readSeriesSafe(cloudwatch: CloudWatchClient, axis: TimeAxis, targets: readonly PipelineMetricTarget[], from: number, to: number) {
  const apiSeconds = (axis.toApi(to) - axis.toApi(from)) / 1000;
  // One alarm period per point, coarser for long runs: at most ~400 points per line.
  const periodSeconds = [viewPeriodSeconds(axis), 60, 120, 300, 600, 1800, 3600].find((p) => p >= viewPeriodSeconds(axis) && apiSeconds / p <= 400) ?? 3600;
  try {
    return { periodSeconds: periodSeconds / axis.rate, series: await readSeries(cloudwatch, axis, targets, from, to, periodSeconds) };
  } catch {
    return { periodSeconds: periodSeconds / axis.rate, series: [] };
  }
}

/** When an alarm went to ALARM after the outage began, and when it came back to OK. */
export function alarmOutcome(
  alarmName: string,
  outageStartAt: number,
  loadStartedAt: number,
  transitions: readonly AlarmTransition[],
  samples: readonly AlarmSample[],
): AlarmOutcome {
  let changes = transitions.filter((t) => t.name === alarmName).map((t) => ({ at: t.at.getTime(), state: t.to }));
  if (changes.length === 0) changes = samples.map((s) => ({ at: s.at, state: s.states[alarmName] ?? '' }));
  const fired = changes.find((c) => c.at >= outageStartAt && c.state === 'ALARM');
  const cleared = fired ? changes.find((c) => c.at > fired.at && c.state === 'OK') : undefined;
  const rel = (at: number | undefined): number | undefined => (at === undefined ? undefined : (at - loadStartedAt) / 1000);
  return { alarmName, firedAt: rel(fired?.at), clearedAt: rel(cleared?.at), firedAndCleared: fired !== undefined && cleared !== undefined };
}
