/**
 * What a scenario step is: something the run does to the pipelines at set times of the load (an outage,
 * poison records), switched by `--no-<name>` (kebab case). One file per step in this folder, one line in
 * ./index.ts: that is all a new step takes (plus its tuning options in StepTuning, if it has any).
 */
import type { FaultMode } from '../../local/contracts';
import type { PipelineConfig } from '../../lib/config';
import type { RunLog, WindowLog } from '../run-log';
import type { DrivenPipeline } from '../stage';
import type { TargetControl } from '../target-control';
import type { PoisonRecord } from '../workloads/poison-records';
import type { WorkloadDefinition } from '../workloads/workload';

/** A stretch of the load, in real milliseconds from its start. */
export interface Window {
  readonly startMs: number;
  readonly endMs: number;
}

/** The steps' own options (ScenarioOptions carries them; `npm start` has a flag for each). */
export interface StepTuning {
  /** Real seconds the event source mappings stay disabled. Default: long enough to breach every latency objective. */
  readonly consumerOutageSeconds?: number;
  /** Real seconds DynamoDB's connections are broken. */
  readonly dynamodbOutageSeconds: number;
  /** How the DynamoDB outage breaks connections. */
  readonly dynamodbFault: Exclude<FaultMode, 'none'>;
  /** Real seconds Kinesis' connections are broken (refused, then stalled). */
  readonly kinesisOutageSeconds: number;
  /** Real seconds the orders stream stays split before it is merged back. Default: 10% of the load, at least 6 s. */
  readonly reshardSeconds?: number;
}

/** Where a windowed step may go: the timeline's cursor (after the windows placed before it). */
export interface Placement {
  readonly loadMs: number;
  readonly cursorMs: number;
  /** The largest latency objective of the driven pipelines (ms). */
  readonly latencyObjectiveMs: number;
  readonly tuning: StepTuning;
}

/** A planned pipeline: its configuration and the workload that drives it. */
export interface PipelinePlan {
  readonly config: PipelineConfig;
  readonly workload: WorkloadDefinition;
}

/** What a step's actions can do while the load runs. */
export interface StepContext {
  readonly runId: string;
  readonly tuning: StepTuning;
  readonly pipelines: readonly DrivenPipeline[];
  readonly target: TargetControl;
  readonly windows: WindowLog;
  readonly log: RunLog;
  /** Puts a poison record on a pipeline's stream (behind the producer client) and records it in the ledger. */
  putPoison(pipeline: string, record: PoisonRecord): Promise<void>;
}

/** One action of a step, run once when its time comes; a step's actions run in order on its own chain. */
export interface TimedAction {
  readonly atMs: number;
  /** Ends a window: run even if the load stops before its time, once the step has started (the target is left healed). */
  readonly closing?: boolean;
  run(ctx: StepContext): Promise<void>;
}

export interface StepDefinition<Name extends string = string> {
  /** Its switch in ScenarioOptions.steps (and `--no-<kebab-case name>`). */
  readonly name: Name;
  /** Help of its `--no-…` switch. */
  readonly skipHelp: string;
  /** The window it occupies, as the summary and the report name and colour it. */
  readonly window?: { readonly label: string; readonly color: string };
  /** Windowed steps: where the window goes, and where the next one may start (after a recovery margin). */
  place?(at: Placement): { readonly window: Window; readonly nextCursorMs: number };
  /** Why it cannot run on this target (said in the log, and the step skipped), else undefined. */
  unavailable?(ctx: { readonly target: TargetControl }): string | undefined;
  /** Its actions, given its window (as placed) and the pipelines. */
  actions(plan: { readonly window?: Window; readonly loadMs: number; readonly pipelines: readonly PipelinePlan[] }): TimedAction[];
}

/** Keeps a step's name as a literal type, so the registry knows every step name. */
export function defineStep<Name extends string>(step: StepDefinition<Name>): StepDefinition<Name> {
  return step;
}
