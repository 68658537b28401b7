/**
 * Runs the scenario against deployed pipelines, phase by phase: start (find the resources, start the
 * workloads), warm (the processors), load (events with injected producer faults, and the steps: poison
 * records, a consumer outage, a DynamoDB outage), drain (until every event is accounted for), reconcile,
 * and report (summary, HTML and JSON). A live view is drawn throughout.
 *
 * Everything goes through the AWS SDK with the standard configuration chain, so the same run works
 * against any target whose endpoints are in the environment; only the steps that break connections need
 * the embedded local target (AWS has no API to break DynamoDB's connections).
 */
import { randomBytes } from 'node:crypto';
import { REAL_TIME } from './aws/cloudwatch';
import { createScenarioClients, destroyScenarioClients, type ScenarioClients } from './aws/clients';
import { Ledger } from './judge/ledger';
import type { Reconciliation } from './judge/reconcile-pipeline';
import type { ScenarioOptions } from './options';
import { drain } from './phases/drain';
import { activeSteps, runLoad } from './phases/load';
import { writeRunReport, type ScenarioResult } from './phases/report';
import { closePipelines, startRun } from './phases/start';
import { warmProcessors } from './phases/warm';
import { planScenario } from './plan';
import { RunLog, WindowLog } from './run-log';
import type { Stage } from './stage';
import { TargetControl, type ScenarioTarget } from './target-control';
import { LiveScreen } from './view/live-view';
import { Monitor } from './view/monitor';

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

export function newRunId(): string {
  return `${new Date().toISOString().slice(11, 19).replace(/:/g, '')}-${randomBytes(2).toString('hex')}`;
}

export async function runScenario(options: ScenarioOptions, target: ScenarioTarget, control: RunControl = {}): Promise<ScenarioResult> {
  const plan = planScenario(options);
  const runId = newRunId();
  const { signal } = control;
  const live = control.live ?? true;
  const screen = live ? new LiveScreen() : undefined;
  const startedAt = Date.now();
  const log = new RunLog(startedAt, live ? undefined : (control.log ?? ((line: string) => process.stderr.write(`${line}\n`))));
  const windows = new WindowLog();
  const ledger = new Ledger();
  const clients = createScenarioClients();

  let stage: Stage | undefined;
  let monitor: Monitor | undefined;
  let loadStartedAt = startedAt;
  let reconciliation: Reconciliation | undefined;
  let stoppedBecause: string | undefined;
  try {
    stage = await startRun({ plan, target, runId, clients });
    await warmProcessors(stage, log);
    const steps = activeSteps(plan, stage, log);

    loadStartedAt = Date.now();
    log.timeFrom(loadStartedAt);
    log.phase = 'steady load';
    log.note(`load started: ${options.ratePerSecond} events/s on ${stage.pipelines.map((p) => p.config.name).join(', ')} (run ${runId})`);
    monitor = new Monitor({ stage, ledger, log, loadMs: plan.timeline.loadMs, timeScale: options.timeScale, screen });
    monitor.start(loadStartedAt);

    await runLoad({ stage, plan, steps, ledger, log, windows, loadStartedAt, signal });
    const drained = await drain({ stage, ledger, options, monitor, log, signal });
    reconciliation = drained.reconciliation;
    stoppedBecause = drained.stoppedBecause;
  } catch (error) {
    stoppedBecause = `failed: ${error instanceof Error ? error.message : String(error)}`;
    log.note(stoppedBecause);
  } finally {
    await monitor?.stop();
    // Leave the target as we found it, whatever happened.
    await stage?.target.restore((message) => log.note(message));
    log.phase = 'done';
    monitor?.draw();
    screen?.close();
  }

  try {
    // Without a stage (start-up failed) there is nothing to measure: the summary says why.
    const reported = stage ?? unstartedStage(runId, plan.stackName, clients, target);
    return await writeRunReport({
      stage: reported,
      options,
      ledger,
      windows: windows.windows,
      reconciliation,
      stoppedBecause,
      startedAt,
      loadStartedAt,
      latestAlarmNames: monitor?.latestAlarms.map((a) => a.name) ?? [],
      alarmSamples: monitor?.alarmSamples ?? [],
      reportDir: control.reportDir,
    });
  } finally {
    await closePipelines(stage?.pipelines ?? []);
    destroyScenarioClients(clients);
  }
}

/** The stage of a run whose start phase failed: no pipeline driven, nothing to read but the alarms. */
function unstartedStage(runId: string, stackName: string, clients: ScenarioClients, target: ScenarioTarget): Stage {
  return { runId, clients, pipelines: [], axis: REAL_TIME, metricTargets: [], alarmPrefix: `${stackName}-`, target: new TargetControl(clients.lambda, target, () => []) };
}
