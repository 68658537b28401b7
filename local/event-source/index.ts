/**
 * Kinesis event source mappings with AWS's semantics, for the embedded local AWS.
 *
 *   const registry = new EventSourceMappingRegistry();
 *   registry.add(new KinesisEventSourceMapping(cfnProperties & { UUID, FunctionName, FunctionArn }, { invoker, kinesis, sqs, sns, sink }));
 *   await registry.startAll();   ...   await registry.stopAll();
 */
export { EventSourceMappingRegistry, MappingConflictError, StreamNotFoundError } from './registry';
export { KinesisEventSourceMapping, type EventSourceMappingDeps, type EventSourceMappingDescription, type MappingState } from './mapping';
export { kinesisMappingSchema, parseKinesisMapping, type KinesisMappingConfig, type KinesisMappingInput } from './config';
export { buildFailureRecord, type OnFailureInvocationRecord, type FailureCondition } from './on-failure';
export { readBatchResponse, type BatchVerdict } from './batch-response';
export { toLambdaEvent, type PolledRecord } from './records';
export { LAMBDA_NAMESPACE, KINESIS_NAMESPACE, readThrottled } from './metrics';
export { ShardReadLimits, ShardReadLimiter, GET_RECORDS_PER_SECOND_PER_SHARD } from './shard-read-limits';
export { RecordFilter, InvalidFilterError, matchesPattern, MAX_FILTERS } from './filter';
export { PollingShardReader, type ShardRecordSource, type ReadResult, type SourceStart } from './record-source';
export { s3FailureObjectKey } from './on-failure';
