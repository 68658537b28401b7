/**
 * What a workload is: the events the scenario puts on one pipeline (some deliberately odd), and how the
 * judge checks what that pipeline's action leaves behind. One file per action in this folder, one line
 * in ./index.ts: that is all a new pipeline's workload takes.
 */
import type { CloudEvent } from '../../lambdas/shared/envelope';
import type { ActionName, PipelineConfig } from '../../lib/config';
import type { Random } from '../../client/operations/seeded-random';
import type { Injection } from '../judge/ledger';
import type { PipelineJudge } from '../judge/reconcile-pipeline';
import type { ScenarioClients } from '../aws/clients';
import type { TimeAxis } from '../aws/cloudwatch';

/**
 * Producer behaviours the scenario injects at a few percent of the events, each switched by `--no-<name>`
 * (kebab case); each injected event is marked in the ledger (../judge/ledger.ts `Injection`).
 */
export const INJECTIONS = [
  { name: 'duplicates', rate: 0.03, skipHelp: 'do not inject producer duplicates' },
  { name: 'outOfOrder', rate: 0.02, skipHelp: 'do not inject out-of-order events' },
  { name: 'late', rate: 0.02, skipHelp: 'do not inject late events' },
] as const;
export type InjectionName = (typeof INJECTIONS)[number]['name'];
export type { Injection } from '../judge/ledger';
export type { PipelineJudge } from '../judge/reconcile-pipeline';

export interface PlannedSend {
  /** Real milliseconds from the start of the load at which to put it. */
  readonly atMs: number;
  readonly event: CloudEvent;
  readonly injected?: Injection;
}

/** Share of events of each injection (0 when switched off); rates from INJECTIONS, a few percent, enough to be seen in every run. */
export type InjectionRates = Readonly<Record<InjectionName, number>>;

/**
 * How late a `late` event is put after its own time (real ms). Its event-to-action latency is this plus
 * the pipeline's own delay (~1–2 s: poll and batching window), which must stay inside the smallest
 * latency objective (telemetry's 3 s), or late events alone would fire the latency alarm.
 */
export const LATE_BY_MS = 1000;
/** How long after the original a producer duplicate is put (real ms, upper bound). */
export const DUPLICATE_WITHIN_MS = 2000;

/** Adds a producer duplicate after some of the sends (never of a duplicate). */
export function withDuplicates(sends: PlannedSend[], nowMs: number, random: Random, rate: number): PlannedSend[] {
  const out = [...sends];
  for (const send of sends) {
    if (random.chance(rate)) {
      out.push({ atMs: Math.max(send.atMs, nowMs + random.int(0, DUPLICATE_WITHIN_MS)), event: send.event, injected: 'duplicate' });
    }
  }
  return out;
}

/** What a workload gets to start on a pipeline. */
export interface WorkloadStart {
  readonly pipeline: PipelineConfig;
  readonly runId: string;
  readonly random: Random;
  readonly rates: InjectionRates;
  /** Length of the load (real ms): workloads place their episodes inside it. */
  readonly loadMs: number;
  /** Valid events per second the load creates (ScenarioOptions.ratePerSecond). */
  readonly ratePerSecond?: number;
  /** The pipeline's physical names as deployed (suffix included). */
  readonly names: {
    readonly stateTableName: string;
    readonly alertsTopicName: string;
    readonly functionName?: string;
    readonly streamName?: string;
    readonly dlqName?: string;
  };
  readonly clients: ScenarioClients;
  /** The CloudWatch API's time axis (for workloads that read the pipeline's metrics). */
  readonly axis?: TimeAxis;
}

/** A workload running on one pipeline. */
export interface RunningWorkload {
  /** Creates `count` new events at `nowMs` (plus their injected companions, possibly due later). */
  create(nowMs: number, count: number): PlannedSend[];
  /** Reads what the action left behind (a round of the reconciliation) and returns its judge. */
  observe(): Promise<PipelineJudge>;
  /** Releases what start() created (subscriptions, queues). */
  close(): Promise<void>;
}

export interface WorkloadDefinition {
  /** The built-in action whose pipelines this workload drives. */
  readonly action: ActionName;
  /** The type of its valid events (the `invalid-data` poison record carries it with wrong data). */
  readonly eventType: string;
  /** What one entity check is about, in the report ("orders", "alert"). */
  readonly entityLabel: string;
  start(input: WorkloadStart): Promise<RunningWorkload>;
  /**
   * Environment variables the pipeline's function needs on the target for this workload (set over the
   * template's by the target, e.g. a windowed pipeline on the scenario's time scale). Default none.
   */
  functionEnvironment?(pipeline: PipelineConfig): Readonly<Record<string, string>>;
}
