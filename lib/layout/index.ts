/**
 * The stacks of a configuration, by its `layout`: `single-stack` (StreamPipelineStack, the default) or
 * `stack-per-pipeline` (an alarms stack, a stack per pipeline, a dashboard stack). bin/app.ts and the
 * tests build the app through `buildStacks()`.
 */
import type { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { layoutStackNames, type PipelinesConfig } from '../config';
import { StreamPipelineStack } from '../stream-pipeline-stack';
import { AlarmsStack } from './alarms-stack';
import { DashboardStack } from './dashboard-stack';
import { PipelineStack } from './pipeline-stack';

export { AlarmsStack, type AlarmsStackProps } from './alarms-stack';
export { DashboardStack, PIPELINES_PER_DASHBOARD, type DashboardStackProps } from './dashboard-stack';
export { PipelineStack, type PipelineStackProps } from './pipeline-stack';

export interface BuildStacksOptions {
  /** Folder with the Lambda entries `<action>.ts`. @default lambdas/handlers of this repository */
  readonly handlersDir?: string;
}

/** Adds the configuration's stacks to `scope` (an App); returns them in deployment order. */
export function buildStacks(scope: Construct, config: PipelinesConfig, options: BuildStacksOptions = {}): Stack[] {
  if (config.layout === 'single-stack') return [new StreamPipelineStack(scope, config.stackName, { config, handlersDir: options.handlersDir })];
  // Construct ids are the stack names, as the single stack's is.
  const names = layoutStackNames(config.stackName);
  const alarms = new AlarmsStack(scope, names.alarmsStackName, { config });
  const pipelineStacks = config.pipelines.map((pipeline) => {
    const stack = new PipelineStack(scope, names.pipelineStackName(pipeline.name), { config, pipeline, handlersDir: options.handlersDir });
    // Deployment order only (the topic exists before alarms name it); no export couples them.
    stack.addStackDependency(alarms, 'its alarms notify the alarm topic');
    return stack;
  });
  const dashboard = new DashboardStack(scope, names.dashboardStackName, { config, pipelines: pipelineStacks.map((s) => s.pipeline) });
  for (const stack of pipelineStacks) dashboard.addStackDependency(stack, 'its widgets read the SSM parameter of each pipeline stack');
  return [alarms, ...pipelineStacks, dashboard];
}
