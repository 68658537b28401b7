/**
 * What a scenario run does and when: the options `npm start` and the scenario test pass, and the
 * timeline (outage windows) derived from them. Times are real seconds from the start of the load.
 */
import type { FaultMode } from '../local/contracts';

export type ScenarioStep = 'duplicates' | 'outOfOrder' | 'late' | 'poison' | 'consumerOutage' | 'dynamodbOutage';

export interface ScenarioOptions {
  /** Valid events per second, per pipeline. */
  readonly ratePerSecond: number;
  /** Seconds of load (the drain after it is not counted). */
  readonly durationSeconds: number;
  /** Pipelines to drive (names from lib/config). Only the `orders` and `telemetry` actions have a workload. */
  readonly pipelines: readonly string[];
  /** Which injected behaviours run. */
  readonly steps: Readonly<Record<ScenarioStep, boolean>>;
  /** Simulated seconds per real second for alarm periods (see LocalAwsOptions.timeScale). */
  readonly timeScale: number;
  /** Real seconds the event source mappings stay disabled. Default: long enough to breach every latency objective. */
  readonly consumerOutageSeconds?: number;
  /** Real seconds DynamoDB's connections are broken. */
  readonly dynamodbOutageSeconds: number;
  /** How the DynamoDB outage breaks connections. */
  readonly dynamodbFault: Exclude<FaultMode, 'none'>;
  /** Seed of every random choice, so a run can be repeated. */
  readonly seed: number;
  /** Longest wait after the load for every event to be accounted for (real seconds). */
  readonly drainTimeoutSeconds: number;
  /** Longest wait after the drain for alarms to return to OK (real seconds). */
  readonly settleTimeoutSeconds: number;
}

export const DEFAULT_OPTIONS: ScenarioOptions = {
  ratePerSecond: 20,
  durationSeconds: 60,
  pipelines: ['orders', 'telemetry'],
  steps: { duplicates: true, outOfOrder: true, late: true, poison: true, consumerOutage: true, dynamodbOutage: true },
  timeScale: 60,
  dynamodbOutageSeconds: 3,
  dynamodbFault: 'refuse',
  seed: 42,
  drainTimeoutSeconds: 90,
  settleTimeoutSeconds: 60,
};

/** A window of the run, in real milliseconds from the start of the load. */
export interface Window {
  readonly startMs: number;
  readonly endMs: number;
}

export interface Timeline {
  readonly loadMs: number;
  readonly consumerOutage?: Window;
  readonly dynamodbOutage?: Window;
}

/**
 * Places the outages inside the load: the consumer outage starts at 20% of it, the DynamoDB outage
 * after the consumer has caught up (the outage plus a recovery margin), both before the last 15%, so
 * the tail of the load shows the pipeline healthy again.
 *
 * @param latencyObjectivesMs the latency objectives of the driven pipelines: the consumer outage must
 *   outlast the largest one (twice), or the latency alarm would have nothing to fire on.
 */
export function planTimeline(options: ScenarioOptions, latencyObjectivesMs: readonly number[]): Timeline {
  const loadMs = options.durationSeconds * 1000;
  const objectiveMs = Math.max(0, ...latencyObjectivesMs);
  let consumerOutage: Window | undefined;
  let dynamodbOutage: Window | undefined;
  let cursor = Math.round(loadMs * 0.2);
  if (options.steps.consumerOutage) {
    const lengthMs = (options.consumerOutageSeconds ?? Math.max(2 * objectiveMs, 0.2 * loadMs) / 1000) * 1000;
    consumerOutage = { startMs: cursor, endMs: cursor + lengthMs };
    // Recovery: the backlog drains and the latency settles before the next fault.
    cursor = consumerOutage.endMs + Math.max(objectiveMs, 0.1 * loadMs);
  }
  if (options.steps.dynamodbOutage) {
    dynamodbOutage = { startMs: cursor, endMs: cursor + options.dynamodbOutageSeconds * 1000 };
    cursor = dynamodbOutage.endMs;
  }
  const lastFaultEnd = cursor;
  if (lastFaultEnd > loadMs * 0.85) {
    throw new Error(
      `--duration ${options.durationSeconds}s is too short for the enabled outages: they end ${(lastFaultEnd / 1000).toFixed(1)}s into the load, ` +
        `which must be before 85% of it (${((loadMs * 0.85) / 1000).toFixed(1)}s). Raise --duration or shorten/disable an outage.`,
    );
  }
  return { loadMs, consumerOutage, dynamodbOutage };
}

/** Validates options a user typed; throws with every problem named. */
export function validateOptions(options: ScenarioOptions, configuredPipelines: readonly string[]): void {
  const problems: string[] = [];
  if (!(options.ratePerSecond > 0 && options.ratePerSecond <= 1000)) problems.push(`--rate must be between 0 and 1000 events/s, got ${options.ratePerSecond}`);
  if (!(options.durationSeconds >= 5 && options.durationSeconds <= 3600)) problems.push(`--duration must be 5–3600 seconds, got ${options.durationSeconds}`);
  if (!(options.timeScale >= 1 && options.timeScale <= 600)) problems.push(`--time-scale must be 1–600, got ${options.timeScale}`);
  if (!(options.dynamodbOutageSeconds > 0)) problems.push(`--dynamodb-outage-seconds must be positive, got ${options.dynamodbOutageSeconds}`);
  if (options.consumerOutageSeconds !== undefined && !(options.consumerOutageSeconds > 0)) {
    problems.push(`--consumer-outage-seconds must be positive, got ${options.consumerOutageSeconds}`);
  }
  if (options.pipelines.length === 0) problems.push('--pipelines must name at least one pipeline');
  for (const name of options.pipelines) {
    if (!configuredPipelines.includes(name)) problems.push(`--pipelines: unknown pipeline "${name}" (configured: ${configuredPipelines.join(', ')})`);
  }
  if (problems.length > 0) throw new Error(`Invalid options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}
