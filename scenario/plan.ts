/**
 * A run's plan, made before anything starts (wrong options fail before a minute of synth and start-up):
 * the driven pipelines with their workloads, the windows of the steps on the load's timeline, and every
 * step's timed actions.
 */
import { actionLabel, builtInAction, findPipeline, loadConfig, type PipelinesConfig } from '../lib/config';
import { ScenarioError } from './errors';
import { validateOptions, type ScenarioOptions } from './options';
import { SCENARIO_STEPS, type StepName } from './steps';
import type { PlannedStep } from './steps/schedule';
import type { PipelinePlan, Window } from './steps/step';
import { WORKLOADS, workloadFor } from './workloads';

/** The windows of the enabled steps, in real milliseconds from the start of the load. */
export interface Timeline {
  readonly loadMs: number;
  readonly windows: Readonly<Partial<Record<StepName, Window>>>;
}

export interface ScenarioPlan {
  readonly options: ScenarioOptions;
  readonly stackName: string;
  readonly pipelines: readonly PipelinePlan[];
  readonly timeline: Timeline;
  readonly steps: readonly PlannedStep[];
}

/** Windowed steps start here (a share of the load), after the pipelines settled. */
const FIRST_WINDOW_AT = 0.2;
/** Every window ends before this share of the load, so its tail shows the pipelines healthy again. */
const LAST_WINDOW_END = 0.85;

/**
 * Places the enabled steps' windows inside the load, one after the other in registry order (the consumer
 * outage at 20%, the DynamoDB outage after the consumer has caught up), all before the last 15%.
 *
 * @param latencyObjectivesMs the latency objectives of the driven pipelines: the consumer outage must
 *   outlast the largest one (twice), or the latency alarm would have nothing to fire on.
 */
export function planTimeline(options: ScenarioOptions, latencyObjectivesMs: readonly number[]): Timeline {
  const loadMs = options.durationSeconds * 1000;
  const latencyObjectiveMs = Math.max(0, ...latencyObjectivesMs);
  const windows: Partial<Record<StepName, Window>> = {};
  let cursorMs = Math.round(loadMs * FIRST_WINDOW_AT);
  for (const step of SCENARIO_STEPS) {
    if (!options.steps[step.name] || !step.place) continue;
    const placed = step.place({ loadMs, cursorMs, latencyObjectiveMs, tuning: options });
    windows[step.name] = placed.window;
    cursorMs = placed.nextCursorMs;
  }
  const lastFaultEnd = cursorMs;
  if (lastFaultEnd > loadMs * LAST_WINDOW_END) {
    throw new ScenarioError(
      `--duration ${options.durationSeconds}s is too short for the enabled outages: they end ${(lastFaultEnd / 1000).toFixed(1)}s into the load, ` +
        `which must be before 85% of it (${((loadMs * LAST_WINDOW_END) / 1000).toFixed(1)}s). Raise --duration or shorten/disable an outage.`,
    );
  }
  return { loadMs, windows };
}

/** Checks the options against the configuration and plans the run; throws with what to change. */
export function planScenario(options: ScenarioOptions, config: PipelinesConfig = loadConfig()): ScenarioPlan {
  validateOptions(options, config.pipelines.map((p) => p.name));
  const pipelines = options.pipelines.map((name): PipelinePlan => {
    const pipeline = findPipeline(config, name);
    const action = builtInAction(pipeline);
    const workload = action && workloadFor(action);
    if (!workload) throw new ScenarioError(`pipeline "${pipeline.name}" runs the "${actionLabel(pipeline)}" action, which has no scenario workload (${WORKLOADS.map((w) => w.action).join(' and ')} do)`);
    return { config: pipeline, workload };
  });
  const timeline = planTimeline(options, pipelines.map((p) => p.config.alarms.latencyObjectiveMs));
  const steps = SCENARIO_STEPS.filter((step) => options.steps[step.name]).map(
    (step): PlannedStep => ({
      name: step.name,
      actions: step.actions({ window: timeline.windows[step.name], loadMs: timeline.loadMs, pipelines }),
      ...(step.unavailable ? { unavailable: step.unavailable } : {}),
    }),
  );
  return { options, stackName: config.stackName, pipelines, timeline, steps };
}
