/**
 * What a scenario run does: the options `npm start` and the scenario test pass. Times are real seconds.
 * Each injection (./workloads/workload.ts INJECTIONS) and each step (./steps/index.ts SCENARIO_STEPS) has
 * a switch in `steps`; the steps' own settings are StepTuning.
 */
import { SCENARIO_STEPS, type StepName } from './steps';
import type { StepTuning } from './steps/step';
import { INJECTIONS, type InjectionName } from './workloads/workload';
import { InvalidScenarioOptionsError } from './errors';

export interface ScenarioOptions extends StepTuning {
  /** Valid events per second, per pipeline. */
  readonly ratePerSecond: number;
  /** Seconds of load (the drain after it is not counted). */
  readonly durationSeconds: number;
  /** Pipelines to drive (names from lib/config). Only actions with a workload (./workloads/index.ts) can be driven. */
  readonly pipelines: readonly string[];
  /** Which injected behaviours and steps run. */
  readonly steps: Readonly<Record<InjectionName | StepName, boolean>>;
  /** Simulated seconds per real second for alarm periods (see LocalAwsOptions.timeScale). */
  readonly timeScale: number;
  /** Seed of every random choice, so a run can be repeated. */
  readonly seed: number;
  /** Longest wait after the load for every event to be accounted for (real seconds). */
  readonly drainTimeoutSeconds: number;
  /** Longest wait after the drain for alarms to return to OK (real seconds). */
  readonly settleTimeoutSeconds: number;
}

/** Every switch, injections first, in the order `npm start --help` lists them. */
export const SWITCHES: readonly { readonly name: InjectionName | StepName; readonly skipHelp: string }[] = [...INJECTIONS, ...SCENARIO_STEPS];

export const DEFAULT_OPTIONS: ScenarioOptions = {
  ratePerSecond: 20,
  // Long enough for every step's window to end before 85% of the load (scenario/plan.ts).
  durationSeconds: 110,
  pipelines: ['orders', 'telemetry', 'returns'],
  steps: Object.fromEntries(SWITCHES.map((s) => [s.name, true])) as Record<InjectionName | StepName, boolean>,
  timeScale: 60,
  dynamodbOutageSeconds: 3,
  dynamodbFault: 'refuse',
  kinesisOutageSeconds: 16,
  seed: 42,
  drainTimeoutSeconds: 90,
  settleTimeoutSeconds: 60,
};

/** Validates options a user typed; throws InvalidScenarioOptionsError with every problem named. */
export function validateOptions(options: ScenarioOptions, configuredPipelines: readonly string[]): void {
  const problems: string[] = [];
  if (!(options.ratePerSecond > 0 && options.ratePerSecond <= 1000)) problems.push(`--rate must be between 0 and 1000 events/s, got ${options.ratePerSecond}`);
  if (!(options.durationSeconds >= 5 && options.durationSeconds <= 3600)) problems.push(`--duration must be 5–3600 seconds, got ${options.durationSeconds}`);
  if (!(options.timeScale >= 1 && options.timeScale <= 600)) problems.push(`--time-scale must be 1–600, got ${options.timeScale}`);
  if (!(options.dynamodbOutageSeconds > 0)) problems.push(`--dynamodb-outage-seconds must be positive, got ${options.dynamodbOutageSeconds}`);
  if (!(options.kinesisOutageSeconds > 0)) problems.push(`--kinesis-outage-seconds must be positive, got ${options.kinesisOutageSeconds}`);
  if (options.consumerOutageSeconds !== undefined && !(options.consumerOutageSeconds > 0)) {
    problems.push(`--consumer-outage-seconds must be positive, got ${options.consumerOutageSeconds}`);
  }
  if (options.reshardSeconds !== undefined && !(options.reshardSeconds > 0)) problems.push(`--reshard-seconds must be positive, got ${options.reshardSeconds}`);
  if (options.pipelines.length === 0) problems.push('--pipelines must name at least one pipeline');
  for (const name of options.pipelines) {
    if (!configuredPipelines.includes(name)) problems.push(`--pipelines: unknown pipeline "${name}" (configured: ${configuredPipelines.join(', ')})`);
  }
  if (problems.length > 0) throw new InvalidScenarioOptionsError(problems);
}
