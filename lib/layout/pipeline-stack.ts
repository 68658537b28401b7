/**
 * `stack-per-pipeline` layout: one pipeline in a stack of its own, with exactly the construct tree of
 * the single stack below it (`Pipeline-<name>`), so its logical ids and physical names are those of
 * the single stack: what lets `cdk import` move its resources from one layout to the other.
 *
 * It refers to the alarm topic by its fixed name (no `Fn::ImportValue`), and tells the dashboard stack
 * its mapping's UUID through an SSM parameter (no export), so that no stack pins another: each one
 * deploys, changes or replaces its resources on its own.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { layoutStackNames, stackResourceNames, type PipelineConfig, type PipelinesConfig } from '../config';
import { EventPipeline } from '../constructs/event-pipeline';
import { pipelineProps } from '../pipeline-props';
import { addPipelineOutputs } from '../pipeline-outputs';

export interface PipelineStackProps extends StackProps {
  /** The validated configuration (`loadConfig()`): its `stackName` prefixes every physical name. */
  readonly config: PipelinesConfig;
  /** The pipeline of this stack (an entry of `config.pipelines`). */
  readonly pipeline: PipelineConfig;
  /** Folder with the Lambda entries `<action>.ts`. @default lambdas/handlers of this repository */
  readonly handlersDir?: string;
}

export class PipelineStack extends Stack {
  readonly pipeline: EventPipeline;
  /** The SSM parameter holding the mapping's UUID, read by the dashboard stack. */
  readonly eventSourceMappingParameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    const { config, pipeline, handlersDir, ...stackProps } = props;
    const stacks = layoutStackNames(config.stackName);
    super(scope, id, {
      description: `stream-pipeline: the ${pipeline.name} pipeline (stream, processor, tables, DLQ, alarms)`,
      ...stackProps,
      stackName: stacks.pipelineStackName(pipeline.name),
    });
    const alarmTopic = sns.Topic.fromTopicArn(this, 'AlarmTopic', this.formatArn({ service: 'sns', resource: stackResourceNames(config.stackName).alarmTopicName }));
    this.pipeline = new EventPipeline(this, `Pipeline-${pipeline.name}`, pipelineProps(pipeline, { stackName: config.stackName, alarmTopic, handlersDir }));
    this.eventSourceMappingParameter = new ssm.StringParameter(this, 'EventSourceMappingUuid', {
      parameterName: stacks.eventSourceMappingParameter(pipeline.name),
      stringValue: this.pipeline.eventSourceMapping.eventSourceMappingId,
      description: `UUID of the ${pipeline.name} event source mapping, for the dashboard stack`,
    });
    addPipelineOutputs(this, this.pipeline);
  }
}
