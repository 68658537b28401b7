/**
 * Runs the scenario against deployed pipelines: load with injected producer faults, a consumer
 * outage (event source mappings disabled and re-enabled through the Lambda API), a DynamoDB outage
 * (the local target's fault injector), a live view, then the drain, the reconciliation, the summary
 * and the HTML report.
 *
 * Everything goes through the AWS SDK with the standard configuration chain, so the same run works
 * against any target whose endpoints are in the environment; only the DynamoDB outage needs the
 * embedded local target (AWS has no API to break DynamoDB's connections).
 */
import { join, resolve } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { EventProducer, RecordPublisher } from '../client';
import { findPipeline, loadConfig, pipelineResourceNames, type PipelineConfig } from '../lib/config';
import type { FaultMode, FaultTarget } from '../local/contracts';
import { approximateDepth, queueUrlOf } from '../client/operations/dlq-queue';
import { mappingsOf, setMappingEnabled, tapTopic, topicArnOf, warmUp, type TopicTap } from './aws/control';
import { Ledger } from './judge/ledger';
import { LiveScreen, type LivePipeline } from './view/live-view';
import {
  calibrateTimeAxis,
  REAL_TIME,
  viewPeriodSeconds,
  readAlarms,
  readAlarmTransitions,
  readNow,
  readRunPercentiles,
  readSeries,
  type AlarmState,
  type AlarmTransition,
  type PipelineMetricTarget,
  type PipelineNow,
  type TimeAxis,
} from './aws/cloudwatch';
import { createObserveClients, destroyObserveClients } from './aws/stores';
import { planTimeline, validateOptions, type ScenarioOptions, type Timeline } from './options';
import { seededRandom } from '../client/operations/seeded-random';
import type { ActionKind, AlertObservation, Reconciliation } from './judge/reconcile-pipeline';
import { reconcileOnce } from './phases/reconcile';
import { scheduleSteps, type ScheduledStep } from './steps/schedule';
import { writeReport } from './view/report/html';
import type { AlarmOutcome, ExecutedWindow, PipelineSummary, ReportData, ScenarioSummary } from './view/summary';
import { POISON_KINDS, poisonRecord } from './workloads/poison-records';
import { ordersWorkload, ORDER_EVENT_TYPE } from './workloads/orders';
import { planBreachEpisodes, READING_EVENT_TYPE, telemetryWorkload } from './workloads/telemetry';
import type { InjectionRates, PlannedSend, Workload } from './workloads/workload';
import { AlarmKind } from '../lib/constructs/alarm-specs';

export interface ScenarioTarget {
  /** Breaks or heals a service's connections; without it the DynamoDB outage is skipped (and said so). */
  readonly setFault?: (target: FaultTarget, mode: FaultMode) => void;
  /** Appended to every physical name, as the target deployed them (LocalAwsOptions.resourceNameSuffix). Default none. */
  readonly resourceNameSuffix?: string;
}

type ResourceNames = ReturnType<typeof pipelineResourceNames>;

/** The configured names as the target deployed them: each physical name with the suffix appended. */
function deployedNames(stackName: string, pipeline: string, suffix: string): ResourceNames & { latencyAlarmName: string; stalledAlarmName: string } {
  const names = pipelineResourceNames(stackName, pipeline);
  const suffixed = Object.fromEntries(Object.entries(names).map(([key, value]) => [key, key === 'alarmNamePrefix' ? value : `${value}${suffix}`])) as ResourceNames;
  return {
    ...suffixed,
    latencyAlarmName: `${names.alarmNamePrefix}${AlarmKind.EventToActionLatencyP99}${suffix}`,
    stalledAlarmName: `${names.alarmNamePrefix}${AlarmKind.ConsumerStalled}${suffix}`,
  };
}

export interface RunControl {
  /** Aborting stops the load at once and ends with a partial summary. */
  readonly signal?: AbortSignal;
  /** Draw the live view on stdout. Default true. */
  readonly live?: boolean;
  /** Folder of the report. Default `reports` under the working directory. */
  readonly reportDir?: string;
  /** Where step messages go when there is no live view. Default stderr. */
  readonly log?: (line: string) => void;
}

export interface ScenarioResult {
  readonly summary: ScenarioSummary;
  readonly report: ReportData;
  readonly reconciliation?: Reconciliation;
}

/** Injection rates when the step is on: a few percent, enough to be seen in every run. */
const INJECTION_RATES: InjectionRates = { duplicate: 0.03, outOfOrder: 0.02, late: 0.02 };
const TICK_MS = 100;
/** Execution environments warmed per function before the load: one per concurrent batch we expect. */
const WARM_CONTAINERS = 4;
const SAMPLE_EVERY_MS = 1000;
const RECONCILE_EVERY_MS = 2000;
/** The drain stops early when nothing changed for this long (a real loss never resolves itself). */
const DRAIN_STABLE_MS = 20_000;
/** Fractions of the load at which the poison records of each pipeline are put. */
const POISON_AT = [0.1, 0.3, 0.55, 0.75];

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((done) => {
    const finish = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    };
    const timer = setTimeout(finish, ms);
    signal?.addEventListener('abort', finish, { once: true });
  });

interface DrivenPipeline {
  readonly config: PipelineConfig;
  readonly action: ActionKind;
  readonly names: ReturnType<typeof deployedNames>;
  readonly workload: Workload;
  readonly producer: EventProducer;
  readonly poisonPublisher: RecordPublisher<number>;
  readonly mappings: string[];
  readonly dlqUrl: string;
  readonly alertsTap?: TopicTap;
  readonly alerts: AlertObservation[];
  pending: PlannedSend[];
  carry: number;
}

function actionKind(pipeline: PipelineConfig): ActionKind {
  return pipeline.action === 'orders' || pipeline.action === 'telemetry' ? pipeline.action : 'other';
}

export function newRunId(): string {
  return `${new Date().toISOString().slice(11, 19).replace(/:/g, '')}-${randomBytes(2).toString('hex')}`;
}


/** Checks the options against the configuration and plans the timeline; throws with what to change. */
export function planScenario(options: ScenarioOptions): { pipelineConfigs: PipelineConfig[]; timeline: Timeline } {
  const config = loadConfig();
  validateOptions(options, config.pipelines.map((p) => p.name));
  const pipelineConfigs = options.pipelines.map((name) => findPipeline(config, name));
  for (const p of pipelineConfigs) {
    if (actionKind(p) === 'other') throw new Error(`pipeline "${p.name}" runs the "${p.action}" action, which has no scenario workload (orders and telemetry do)`);
  }
  return { pipelineConfigs, timeline: planTimeline(options, pipelineConfigs.map((p) => p.alarms.latencyObjectiveMs)) };
}

export async function runScenario(options: ScenarioOptions, target: ScenarioTarget, control: RunControl = {}): Promise<ScenarioResult> {
  const config = loadConfig();
  const { pipelineConfigs, timeline } = planScenario(options);
  const runId = newRunId();
  const signal = control.signal;
  const live = control.live ?? true;
  const screen = live ? new LiveScreen() : undefined;
  const stepLog: string[] = [];
  const startedAt = Date.now();
  let loadStartedAt = startedAt;
  const note = (message: string): void => {
    const line = `${((Date.now() - loadStartedAt) / 1000).toFixed(1).padStart(6)} s  ${message}`;
    stepLog.push(line);
    if (!live) (control.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  };

  const lambda = new LambdaClient({});
  const cloudwatch = new CloudWatchClient({});
  const sns = new SNSClient({});
  const observeClients = createObserveClients();
  const ledger = new Ledger();
  const driven: DrivenPipeline[] = [];
  const windows: { label: string; startAt: number; endAt?: number }[] = [];
  const alarmSamples: { at: number; states: Record<string, string> }[] = [];
  let latestNow = new Map<string, PipelineNow>();
  let latestAlarms: AlarmState[] = [];
  let dlqDepths = new Map<string, number>();
  let phase = 'setting up';
  let readError: string | undefined;
  let mappingsDisabled = false;
  let faultActive = false;
  let stopSampler = false;
  let stoppedBecause: string | undefined;
  let reconciliation: Reconciliation | undefined;
  let axis: TimeAxis = REAL_TIME;

  const suffix = target.resourceNameSuffix ?? '';
  const metricTargets: PipelineMetricTarget[] = pipelineConfigs.map((p) => ({
    pipeline: p.name,
    functionName: deployedNames(config.stackName, p.name, suffix).functionName,
  }));
  const alarmPrefix = `${config.stackName}-`;

  const draw = (): void => {
    screen?.draw({
      elapsedMs: Date.now() - loadStartedAt,
      loadMs: timeline.loadMs,
      phase,
      timeScale: options.timeScale,
      pipelines: driven.map(
        (d): LivePipeline => ({ pipeline: d.config.name, put: ledger.putCount(d.config.name), now: latestNow.get(d.config.name), dlqDepth: dlqDepths.get(d.config.name) }),
      ),
      alarms: latestAlarms.filter((a) => driven.some((d) => a.name.startsWith(d.names.alarmNamePrefix))),
      log: stepLog,
      readError,
    });
  };

  const sampler = async (): Promise<void> => {
    while (!stopSampler) {
      try {
        const [now, alarms, depths] = await Promise.all([
          readNow(cloudwatch, axis, metricTargets, loadStartedAt),
          readAlarms(cloudwatch, axis, alarmPrefix),
          // Visible or being read: the DLQ depth an operator sees.
          Promise.all(driven.map(async (d) => [d.config.name, await approximateDepth(observeClients.sqs, d.dlqUrl).then((q) => q.visible + q.inFlight)] as const)),
        ]);
        latestNow = now;
        for (const alarm of alarms) {
          const before = latestAlarms.find((a) => a.name === alarm.name);
          if (before && before.state !== alarm.state) note(`alarm ${alarm.name}: ${before.state} → ${alarm.state}`);
        }
        latestAlarms = alarms;
        alarmSamples.push({ at: Date.now(), states: Object.fromEntries(alarms.map((a) => [a.name, a.state])) });
        dlqDepths = new Map(depths);
        readError = undefined;
      } catch (error) {
        readError = error instanceof Error ? error.message : String(error);
      }
      draw();
      await sleep(SAMPLE_EVERY_MS);
    }
  };

  const processedByMetrics = (pipeline: string): number | undefined => {
    const now = latestNow.get(pipeline);
    return now === undefined ? undefined : now.processed + now.stale;
  };

  const setMappings = async (enabled: boolean): Promise<void> => {
    await Promise.all(driven.flatMap((d) => d.mappings.map((uuid) => setMappingEnabled(lambda, uuid, enabled))));
    mappingsDisabled = !enabled;
  };

  let samplerDone: Promise<void> | undefined;
  try {
    // Setup: find every resource by its configured name, through the APIs.
    for (const [i, p] of pipelineConfigs.entries()) {
      const names = deployedNames(config.stackName, p.name, suffix);
      const random = seededRandom(options.seed * 31 + i);
      const rates: InjectionRates = {
        duplicate: options.steps.duplicates ? INJECTION_RATES.duplicate : 0,
        outOfOrder: options.steps.outOfOrder ? INJECTION_RATES.outOfOrder : 0,
        late: options.steps.late ? INJECTION_RATES.late : 0,
      };
      const action = actionKind(p);
      const thresholds = p.telemetry?.thresholds ?? {};
      const workload =
        action === 'orders' ? ordersWorkload(p.name, runId, random, rates) : telemetryWorkload(p.name, runId, random, rates, planBreachEpisodes(timeline.loadMs, thresholds), thresholds);
      const [mappings, dlqUrl] = await Promise.all([mappingsOf(lambda, names.functionName), queueUrlOf(observeClients.sqs, names.dlqName)]);
      let alertsTap: TopicTap | undefined;
      if (action === 'telemetry') {
        const topicArn = await topicArnOf(sns, names.alertsTopicName);
        alertsTap = await tapTopic(sns, observeClients.sqs, topicArn, `scenario-${runId}-${p.name}-alerts`);
      }
      driven.push({
        config: p,
        action,
        names,
        workload,
        producer: new EventProducer({ stream: { streamName: names.streamName }, lingerMs: 10 }),
        poisonPublisher: new RecordPublisher<number>({ stream: { streamName: names.streamName }, lingerMs: 0 }),
        mappings,
        dlqUrl,
        alertsTap,
        alerts: [],
        pending: [],
        carry: 0,
      });
    }
    axis = await calibrateTimeAxis(cloudwatch, options.timeScale, runId);
    phase = 'warming up the processors';
    await Promise.all(driven.map((d) => warmUp(lambda, d.names.functionName, WARM_CONTAINERS)));
    if (options.steps.dynamodbOutage && !target.setFault) note('DynamoDB outage skipped: this target has no fault injector');

    loadStartedAt = Date.now();
    phase = 'steady load';
    note(`load started: ${options.ratePerSecond} events/s on ${driven.map((d) => d.config.name).join(', ')} (run ${runId})`);
    samplerDone = sampler();

    // Steps of the timeline, each run once when its time comes.
    const steps = scheduleSteps(timeline, {
      consumerOutageStart: async () => {
        phase = 'consumer outage (event source mappings disabled)';
        windows.push({ label: 'consumer outage', startAt: Date.now() });
        await setMappings(false);
        note('consumer outage: event source mappings disabled (Lambda UpdateEventSourceMapping Enabled=false)');
      },
      consumerOutageEnd: async () => {
        await setMappings(true);
        const w = windows.find((x) => x.label === 'consumer outage');
        if (w) w.endAt = Date.now();
        phase = 'recovering from consumer outage';
        note('consumer outage over: event source mappings re-enabled; the backlog drains from the checkpoint');
      },
      dynamodbOutageStart: async () => {
        if (!target.setFault) return;
        target.setFault('dynamodb', options.dynamodbFault);
        faultActive = true;
        windows.push({ label: 'DynamoDB outage', startAt: Date.now() });
        phase = `DynamoDB outage (connections ${options.dynamodbFault === 'refuse' ? 'refused' : 'stalled'})`;
        note(`DynamoDB outage: connections ${options.dynamodbFault === 'refuse' ? 'refused' : 'stalled'}, data kept`);
      },
      dynamodbOutageEnd: async () => {
        if (!target.setFault) return;
        target.setFault('dynamodb', 'none');
        faultActive = false;
        const w = windows.find((x) => x.label === 'DynamoDB outage');
        if (w) w.endAt = Date.now();
        phase = 'steady load';
        note('DynamoDB outage over: connections flow again');
      },
    });
    const poisonDue = options.steps.poison
      ? driven.flatMap((d, i) =>
          POISON_KINDS.map((kind, k) => ({
            d,
            atMs: Math.round(timeline.loadMs * (POISON_AT[k] ?? 0.5)) + i * 137,
            record: poisonRecord(kind, d.config.name, runId, k, d.action === 'orders' ? ORDER_EVENT_TYPE : READING_EVENT_TYPE),
          })),
        )
      : [];

    // The load: every tick, each pipeline creates its share of events and puts what is due.
    let lastTick = loadStartedAt;
    // Each window runs its start and end in order on its own chain, so a slow step (a mapping that
    // takes long to finish its batch before it is Disabled) never delays the other window.
    const chains = new Map<string, Promise<void>>();
    const runStep = (step: ScheduledStep): void => {
      const chain = (chains.get(step.window) ?? Promise.resolve()).then(step.run).catch((error: unknown) => note(`step failed: ${String(error)}`));
      chains.set(step.window, chain);
    };
    while (!signal?.aborted) {
      const now = Date.now();
      const elapsed = now - loadStartedAt;
      const loading = elapsed < timeline.loadMs;
      if (!loading && driven.every((d) => d.pending.length === 0)) break;
      for (const step of steps.due(elapsed)) runStep(step);
      for (const d of driven) {
        if (loading) {
          const exact = (options.ratePerSecond * (now - lastTick)) / 1000 + d.carry;
          const count = Math.floor(exact);
          d.carry = exact - count;
          d.pending.push(...d.workload.create(elapsed, count));
          d.pending.sort((a, b) => a.atMs - b.atMs);
        }
        while (d.pending.length > 0 && (d.pending[0] as PlannedSend).atMs <= elapsed) {
          const send = d.pending.shift() as PlannedSend;
          const entry = ledger.addEvent(d.config.name, send.event, send.injected);
          const sent = await d.producer.send(send.event);
          void sent.outcome.then((outcome) => (entry.outcome = outcome));
        }
      }
      for (const due of poisonDue.filter((p) => p.atMs <= elapsed)) {
        poisonDue.splice(poisonDue.indexOf(due), 1);
        const entry = ledger.addPoison(due.d.config.name, due.record);
        const delivery = await due.d.poisonPublisher.put({ partitionKey: due.record.partitionKey, data: due.record.data, item: 0 });
        void delivery.outcome.then((outcome) => (entry.outcome = outcome));
        note(`poison record put on ${due.d.config.name}: ${due.record.kind}`);
      }
      lastTick = now;
      await sleep(TICK_MS, signal);
    }
    // Any step still open ends now (an aborted run, or a window reaching past the load).
    for (const step of steps.remaining()) runStep(step);
    await Promise.all(chains.values());
    phase = 'flushing the producers';
    await Promise.all(driven.map((d) => Promise.all([d.producer.flush().catch(() => undefined), d.poisonPublisher.flush().catch(() => undefined)])));
    note(`load over: ${ledger.putCount()} records put`);

    // The drain: reconcile until every event is accounted for, nothing changes any more, or time is up.
    if (signal?.aborted) {
      stoppedBecause = 'interrupted (Ctrl-C)';
      phase = 'interrupted: partial reconciliation';
      reconciliation = await reconcileOnce(driven, ledger, observeClients, runId, processedByMetrics);
    } else {
      phase = 'draining: waiting for every event to be accounted for';
      const drainDeadline = Date.now() + options.drainTimeoutSeconds * 1000;
      let fingerprint = '';
      let stableSince = Date.now();
      for (;;) {
        reconciliation = await reconcileOnce(driven, ledger, observeClients, runId, processedByMetrics);
        if (reconciliation.ok) break;
        const current = JSON.stringify(reconciliation.pipelines.map((p) => p.counts));
        if (current !== fingerprint) {
          fingerprint = current;
          stableSince = Date.now();
        }
        if (Date.now() - stableSince > DRAIN_STABLE_MS || Date.now() > drainDeadline || signal?.aborted) break;
        await sleep(RECONCILE_EVERY_MS, signal);
      }
      note(reconciliation.ok ? 'drained: every event accounted for' : 'drain ended with unaccounted events (see problems)');
      if (signal?.aborted) stoppedBecause = 'interrupted (Ctrl-C) while draining';

      // Settle: the latency and stalled alarms that fired during the outage should be back to OK.
      phase = 'settling: waiting for the latency and stalled alarms to return to OK';
      const settleDeadline = Date.now() + options.settleTimeoutSeconds * 1000;
      const outageAlarmNames = driven.flatMap((d) => [d.names.latencyAlarmName, d.names.stalledAlarmName]);
      while (!signal?.aborted && Date.now() < settleDeadline && latestAlarms.some((a) => outageAlarmNames.includes(a.name) && a.state === 'ALARM')) {
        await sleep(SAMPLE_EVERY_MS, signal);
      }
    }
  } catch (error) {
    stoppedBecause = `failed: ${error instanceof Error ? error.message : String(error)}`;
    note(stoppedBecause);
  } finally {
    stopSampler = true;
    await samplerDone?.catch(() => undefined);
    // Leave the target as we found it, whatever happened.
    if (faultActive) target.setFault?.('dynamodb', 'none');
    if (mappingsDisabled) await setMappings(true).catch((error: unknown) => note(`could not re-enable the mappings: ${String(error)}`));
    phase = 'done';
    draw();
    screen?.close();
  }

  // Final figures, from the APIs.
  const endedAt = Date.now();
  const series = await readSeriesSafe(cloudwatch, axis, metricTargets, loadStartedAt, endedAt);
  const transitions = await readAlarmTransitions(cloudwatch, axis, alarmPrefix, startedAt, endedAt + 1000).catch(() => [] as AlarmTransition[]);
  const percentiles = await readRunPercentiles(cloudwatch, axis, metricTargets, loadStartedAt, endedAt).catch(() => new Map<string, { p50?: number; p99?: number }>());
  for (const d of driven) await d.alertsTap?.close();
  await Promise.all(driven.map((d) => Promise.all([d.producer.close().catch(() => undefined), d.poisonPublisher.close().catch(() => undefined)])));
  destroyObserveClients(observeClients);
  lambda.destroy();
  sns.destroy();
  cloudwatch.destroy();

  const consumerOutage = windows.find((w) => w.label === 'consumer outage');
  const pipelines: PipelineSummary[] = driven.map((d) => {
    const rec = reconciliation?.pipelines.find((p) => p.pipeline === d.config.name);
    const s = series.series.find((x) => x.pipeline === d.config.name);
    return {
      pipeline: d.config.name,
      counts: rec?.counts ?? emptyCounts(ledger, d.config.name),
      latencyP50: percentiles.get(d.config.name)?.p50,
      latencyP99: percentiles.get(d.config.name)?.p99,
      worstPeriodP99: s && s.p99.length > 0 ? Math.max(...s.p99.map((p) => p.value)) : undefined,
      latencyObjectiveMs: d.config.alarms.latencyObjectiveMs,
      latencyAlarm: consumerOutage ? alarmOutcome(d.names.latencyAlarmName, consumerOutage.startAt, loadStartedAt, transitions, alarmSamples) : undefined,
      stalledAlarm: consumerOutage ? alarmOutcome(d.names.stalledAlarmName, consumerOutage.startAt, loadStartedAt, transitions, alarmSamples) : undefined,
    };
  });
  const problems = [...(reconciliation?.pipelines.flatMap((p) => p.problems.map((x) => `${p.pipeline}: ${x}`)) ?? [])];
  const completed = stoppedBecause === undefined;
  const summary: ScenarioSummary = {
    ok: completed && reconciliation !== undefined && problems.length === 0,
    completed,
    stoppedBecause,
    runId,
    startedAt: new Date(startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    options,
    windows: windows as ExecutedWindow[],
    pipelines,
    problems,
    caveats: reconciliation?.pipelines.flatMap((p) => p.caveats.map((c) => `${p.pipeline}: ${c}`)) ?? [],
  };
  const report: ReportData = {
    summary,
    loadStartedAt,
    series: series.series,
    seriesPeriodSeconds: series.periodSeconds,
    alarmNames: [...new Set([...latestAlarms.map((a) => a.name), ...transitions.map((t) => t.name)])]
      .filter((name) => driven.some((d) => name.startsWith(d.names.alarmNamePrefix)))
      .sort(),
    alarmTransitions: transitions,
    alarmSamples,
    reconciliation,
  };
  const reportDir = resolve(control.reportDir ?? 'reports');
  mkdirSync(reportDir, { recursive: true });
  const reportPath = join(reportDir, `scenario-${runId}.html`);
  const withPath: ScenarioSummary = { ...summary, reportPath };
  writeReport(reportPath, { ...report, summary: withPath });
  writeFileSync(join(reportDir, `scenario-${runId}.json`), `${JSON.stringify(withPath, null, 2)}\n`);
  return { summary: withPath, report: { ...report, summary: withPath }, reconciliation };
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

async function readSeriesSafe(cloudwatch: CloudWatchClient, axis: TimeAxis, targets: PipelineMetricTarget[], from: number, to: number) {
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
  samples: readonly { at: number; states: Readonly<Record<string, string>> }[],
): AlarmOutcome {
  let changes = transitions.filter((t) => t.name === alarmName).map((t) => ({ at: t.at.getTime(), state: t.to }));
  if (changes.length === 0) changes = samples.map((s) => ({ at: s.at, state: s.states[alarmName] ?? '' }));
  const fired = changes.find((c) => c.at >= outageStartAt && c.state === 'ALARM');
  const cleared = fired ? changes.find((c) => c.at > fired.at && c.state === 'OK') : undefined;
  const rel = (at: number | undefined): number | undefined => (at === undefined ? undefined : (at - loadStartedAt) / 1000);
  return { alarmName, firedAt: rel(fired?.at), clearedAt: rel(cleared?.at), firedAndCleared: fired !== undefined && cleared !== undefined };
}
