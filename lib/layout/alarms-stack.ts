/**
 * `stack-per-pipeline` layout: the stack of the one alarm topic every pipeline's alarms notify. It is
 * deployed first and exports nothing: pipeline stacks build the topic's ARN from its fixed name.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { layoutStackNames, stackResourceNames, type PipelinesConfig } from '../config';
import { AlarmTopic } from '../constructs/alarm-topic';

export interface AlarmsStackProps extends StackProps {
  /** The validated configuration (`loadConfig()`). */
  readonly config: PipelinesConfig;
}

export class AlarmsStack extends Stack {
  readonly alarmTopic: AlarmTopic;

  constructor(scope: Construct, id: string, props: AlarmsStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, {
      description: 'stream-pipeline: the alarm topic of every pipeline',
      ...stackProps,
      stackName: layoutStackNames(config.stackName).alarmsStackName,
    });
    // The same construct id as in the single stack: the same logical ids.
    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      topicName: stackResourceNames(config.stackName).alarmTopicName,
      emails: config.alarmNotifications.emails,
      httpsEndpoints: config.alarmNotifications.httpsEndpoints,
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topic.topicArn, description: 'SNS topic receiving ALARM and OK notifications of every alarm' });
  }
}
