/**
 * The constructs' public surface (`stream-pipeline` and `stream-pipeline/constructs`): the pipeline
 * construct and its props, the stack that builds every configured pipeline, the mapping between the two,
 * and the configuration's validation and naming rules. Everything else in lib/ is internal.
 */
export { EventPipeline } from './constructs/event-pipeline';
export type {
  CustomActionProps,
  EventPipelineAlarmsProps,
  EventPipelineEventSourceProps,
  EventPipelineIdempotencyProps,
  EventPipelineProcessorProps,
  EventPipelineProps,
  EventPipelineStreamProps,
  LogRetentionDays,
} from './constructs/event-pipeline-props';
export { AlarmTopic, type AlarmTopicProps } from './constructs/alarm-topic';
export { PipelinesDashboard, type PipelinesDashboardProps } from './constructs/pipelines-dashboard';
export { pipelineAlarmSpecs, type AlarmSpec } from './constructs/alarm-specs';
export { PIPELINE_ACKNOWLEDGEMENTS } from './constructs/nag-acknowledgements';
export { StreamPipelineStack, type StreamPipelineStackProps } from './stream-pipeline-stack';
export { pipelineProps, type PipelinePropsOptions } from './pipeline-props';
export {
  ACTION_NAMES,
  AlarmKind,
  alarmName,
  ConfigError,
  InvalidConfigError,
  parseConfig,
  parsePipeline,
  pipelineResourceNames,
  stackResourceNames,
  UnknownPipelineError,
  type ActionName,
  type CustomActionConfig,
  type PipelineConfig,
  type PipelineConfigInput,
  type PipelineResourceNames,
  type PipelinesConfig,
  type PipelinesConfigInput,
} from './config/index';
