/**
 * The one mapping from the configuration file (lib/config) to `EventPipeline`'s props: the stack builds
 * each pipeline through it, and so can any other layout (a stack per pipeline) that reads the same file.
 */
import type * as sns from 'aws-cdk-lib/aws-sns';
import { pipelineResourceNames, type PipelineConfig } from './config';
import type { EventPipelineProps } from './constructs/event-pipeline-props';

export interface PipelinePropsOptions {
  /** The configuration's stack name: it prefixes the physical names. */
  readonly stackName: string;
  /** Receives ALARM and OK notifications of every alarm of the pipeline. */
  readonly alarmTopic: sns.ITopic;
  /** Folder with the built-in actions' Lambda entries. @default - lambdas/handlers of this package */
  readonly handlersDir?: string;
}

/** `EventPipeline`'s props for a configured pipeline (an entry of `loadConfig().pipelines`). */
export function pipelineProps(pipeline: PipelineConfig, options: PipelinePropsOptions): EventPipelineProps {
  const { name, description, action, stream, eventSource, processor, idempotency, alarms, telemetry, windows, spike } = pipeline;
  return {
    pipelineName: name,
    description,
    action,
    stream,
    eventSource,
    processor,
    idempotency,
    alarms,
    telemetry,
    windows,
    spike,
    alarmTopic: options.alarmTopic,
    names: pipelineResourceNames(options.stackName, name),
    handlersDir: options.handlersDir,
  };
}
