/**
 * Kinesis event source mappings with AWS's semantics, for the embedded local AWS.
 *
 *   const registry = new EventSourceMappingRegistry();
 *   registry.add(new KinesisEventSourceMapping(cfnProperties & { UUID, FunctionName, FunctionArn }, { invoker, kinesis, sqs, sns, sink }));
 *   await registry.startAll();   ...   await registry.stopAll();
 */
export { EventSourceMappingRegistry } from './registry';
export { KinesisEventSourceMapping, type EventSourceMappingDeps, type EventSourceMappingDescription, type MappingState } from './mapping';
export { kinesisMappingSchema, parseKinesisMapping, type KinesisMappingConfig, type KinesisMappingInput } from './config';
export { buildFailureRecord, type OnFailureInvocationRecord, type FailureCondition } from './on-failure';
export { readBatchResponse, type BatchVerdict } from './batch-response';
export { toLambdaEvent, type PolledRecord } from './records';
export { LAMBDA_NAMESPACE } from './metrics';
