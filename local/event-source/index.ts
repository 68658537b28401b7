/**
 * Kinesis event source mappings with AWS's semantics, for the embedded local AWS.
 *
 *   const readLimits = new ShardReadLimits({ onThrottled });          // one per target: shards' 5 reads/s
 *   const make = (props) => new KinesisEventSourceMapping(props, { invoker, kinesis, sqs, sns, s3, sink, readLimits });
 *   const registry = new EventSourceMappingRegistry(make);
 *   registry.add(make(cfnProperties & { UUID, FunctionName, FunctionArn }));   // from the template
 *   await registry.create(apiRequest, log);                                   // CreateEventSourceMapping
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
export { PollingShardReader, type ChildShard, type ShardRecordSource, type ReadResult, type SourceStart } from './record-source';
export { ShardLineage, type ShardParents } from './shard-lineage';
export { s3FailureObjectKey } from './on-failure';
