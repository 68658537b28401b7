export * from './alarm-specs';
export * from './alarm-topic';
export * from './event-pipeline';
export * from './pipeline-alarms';
export * from './pipelines-dashboard';
export * from './processor-function';
export * from './sqs-failure-destination';
