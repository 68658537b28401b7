/**
 * The validated pipeline configuration and the names derived from it: the single source of truth
 * shared by the stack, the local target, the CLI, the docs and the tests.
 */
import { pipelinesConfig } from './pipelines';
import { parseConfig, UnknownPipelineError, type ActionName, type CustomActionConfig, type PipelineConfig, type PipelinesConfig } from './schema';

export * from './schema';
export * from './resource-names';

/** The configuration in `lib/config/pipelines.ts`, validated, with defaults filled in. */
export function loadConfig(): PipelinesConfig {
  return parseConfig(pipelinesConfig);
}

/** Looks a pipeline up by name, with an error that lists the valid names. */
export function findPipeline(config: PipelinesConfig, name: string): PipelineConfig {
  const pipeline = config.pipelines.find((p) => p.name === name);
  if (!pipeline) {
    throw new UnknownPipelineError(`Unknown pipeline "${name}". Configured pipelines: ${config.pipelines.map((p) => p.name).join(', ')}`);
  }
  return pipeline;
}

/** The built-in action a pipeline runs, or undefined when it runs an action from the user's own code. */
export function builtInAction(pipeline: Pick<PipelineConfig, 'action'>): ActionName | undefined {
  return typeof pipeline.action === 'string' ? pipeline.action : undefined;
}

/** The action from the user's own code a pipeline runs, or undefined for a built-in one. */
export function customAction(pipeline: Pick<PipelineConfig, 'action'>): CustomActionConfig | undefined {
  return typeof pipeline.action === 'string' ? undefined : pipeline.action;
}

/** The action as people read it (descriptions, dashboard, plan): a built-in name, or `<kind> <entry>`. */
export function actionLabel(pipeline: Pick<PipelineConfig, 'action'>): string {
  return typeof pipeline.action === 'string' ? pipeline.action : `${pipeline.action.kind} ${pipeline.action.entry}`;
}

/** The IteratorAge alarm threshold: explicit, or twice the latency objective. */
export function iteratorAgeThresholdMs(pipeline: PipelineConfig): number {
  return pipeline.alarms.iteratorAgeThresholdMs ?? pipeline.alarms.latencyObjectiveMs * 2;
}

/** How long an in-progress idempotency claim is honoured: explicit, or the processor timeout. */
export function leaseSeconds(pipeline: PipelineConfig): number {
  return pipeline.idempotency.leaseSeconds ?? pipeline.processor.timeoutSeconds;
}

/** Whether the pipeline counts over event-time windows (and so has a closer schedule and a due index). */
export function isWindowed(pipeline: PipelineConfig): pipeline is PipelineConfig & { windows: NonNullable<PipelineConfig['windows']> } {
  return pipeline.windows !== undefined;
}

/** The WatermarkStalled alarm threshold (seconds): explicit, or out-of-order + idle timeout + 300 s. */
export function watermarkLagThresholdSeconds(pipeline: PipelineConfig): number | undefined {
  if (!pipeline.windows) return undefined;
  return pipeline.alarms.watermarkLagThresholdSeconds ?? pipeline.windows.outOfOrderSeconds + pipeline.windows.idleTimeoutSeconds + 300;
}
