/**
 * The outputs of one pipeline (stream, DLQ, key, function, tables, alerts topic), the same in every
 * stack layout: the single stack and each stack of `stack-per-pipeline` (lib/layout/).
 */
import { CfnOutput } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EventPipeline } from './constructs/event-pipeline';

export function addPipelineOutputs(scope: Construct, p: EventPipeline): void {
  const output = (id: string, value: string, description: string): CfnOutput => new CfnOutput(scope, id, { value, description });
  const id = outputIdPrefix(p.pipeline.name);
  const name = p.pipeline.name;
  output(`${id}StreamName`, p.stream.streamName, `${name}: Kinesis stream producers write to`);
  output(`${id}StreamArn`, p.stream.streamArn, `${name}: Kinesis stream ARN`);
  output(`${id}DlqUrl`, p.deadLetterQueue.queueUrl, `${name}: dead-letter queue URL`);
  output(`${id}DlqArn`, p.deadLetterQueue.queueArn, `${name}: dead-letter queue ARN`);
  output(`${id}KeyArn`, p.key.keyArn, `${name}: KMS key of the pipeline data (producers need kms:GenerateDataKey on it)`);
  output(`${id}FunctionName`, p.processor.functionName, `${name}: processor function`);
  output(`${id}IdempotencyTableName`, p.idempotencyTable.tableName, `${name}: idempotency table`);
  if (p.stateTable) output(`${id}StateTableName`, p.stateTable.tableName, `${name}: state table`);
  if (p.alertsTopic) output(`${id}AlertsTopicArn`, p.alertsTopic.topicArn, `${name}: alerts topic (subscribe operations here)`);
}

/** `orders` → `orders`, `click-stream` → `clickStream`: output ids must be alphanumeric. */
export function outputIdPrefix(pipelineName: string): string {
  return pipelineName.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}
