/**
 * The deployable stack: every configured pipeline, the alarm topic, the dashboard and the outputs.
 */
import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { stackResourceNames, type PipelinesConfig } from './config';
import { AlarmTopic } from './constructs/alarm-topic';
import { EventPipeline } from './constructs/event-pipeline';
import { PipelinesDashboard } from './constructs/pipelines-dashboard';
import { pipelineProps } from './pipeline-props';
import { addPipelineOutputs } from './pipeline-outputs';

export interface StreamPipelineStackProps extends StackProps {
  /** The validated configuration (`loadConfig()`); its `stackName` names the stack. */
  readonly config: PipelinesConfig;
  /** Folder with the Lambda entries `<action>.ts`. @default lambdas/handlers of this repository */
  readonly handlersDir?: string;
}

export class StreamPipelineStack extends Stack {
  readonly config: PipelinesConfig;
  readonly alarmTopic: AlarmTopic;
  /** One per configured pipeline, by pipeline name. */
  readonly pipelines: ReadonlyMap<string, EventPipeline>;
  readonly dashboard: PipelinesDashboard;

  constructor(scope: Construct, id: string, props: StreamPipelineStackProps) {
    const { config, handlersDir, ...stackProps } = props;
    super(scope, id, {
      description: 'stream-pipeline: Kinesis pipelines with idempotent Lambda processors, DLQs and alarms',
      ...stackProps,
      stackName: config.stackName,
    });
    this.config = config;
    const stackNames = stackResourceNames(config.stackName);

    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      topicName: stackNames.alarmTopicName,
      emails: config.alarmNotifications.emails,
      httpsEndpoints: config.alarmNotifications.httpsEndpoints,
    });

    const pipelines = new Map<string, EventPipeline>();
    for (const pipeline of config.pipelines) {
      pipelines.set(
        pipeline.name,
        new EventPipeline(this, `Pipeline-${pipeline.name}`, pipelineProps(pipeline, { stackName: config.stackName, alarmTopic: this.alarmTopic.topic, handlersDir })),
      );
    }
    this.pipelines = pipelines;

    this.dashboard = new PipelinesDashboard(this, 'Dashboard', {
      dashboardName: stackNames.dashboardName,
      pipelines: [...pipelines.values()],
    });

    this.addOutputs();
  }

  private addOutputs(): void {
    const output = (id: string, value: string, description: string): CfnOutput => new CfnOutput(this, id, { value, description });

    for (const p of this.pipelines.values()) addPipelineOutputs(this, p);
    output('AlarmTopicArn', this.alarmTopic.topic.topicArn, 'SNS topic receiving ALARM and OK notifications of every alarm');
    output(
      'DashboardUrl',
      `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${stackResourceNames(this.config.stackName).dashboardName}`,
      'CloudWatch dashboard of all pipelines',
    );
  }
}

export { outputIdPrefix } from './pipeline-outputs';
