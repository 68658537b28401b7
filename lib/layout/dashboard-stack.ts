/**
 * `stack-per-pipeline` layout: the dashboards, deployed after the pipeline stacks. A widget refers to a
 * pipeline's alarms by their fixed names and to its mapping by the SSM parameter the pipeline stack
 * writes (a CloudFormation parameter of type `AWS::SSM::Parameter::Value<String>`, resolved at each
 * deploy of this stack): no cross-stack export, so no pipeline stack is pinned by the dashboard.
 *
 * A CloudWatch dashboard holds at most 500 widgets (a pipeline row has 7, a windowed one 11): the
 * pipelines are spread over dashboards of `PIPELINES_PER_DASHBOARD`, the first one keeping the single
 * stack's dashboard name.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { layoutStackNames, stackResourceNames, type PipelinesConfig } from '../config';
import type { EventPipeline } from '../constructs/event-pipeline';
import { PipelinesDashboard, type PipelineReferences } from '../constructs/pipelines-dashboard';

/** 40 × 11 widgets (windowed rows) = 440, under CloudWatch's 500 per dashboard. */
export const PIPELINES_PER_DASHBOARD = 40;

export interface DashboardStackProps extends StackProps {
  /** The validated configuration (`loadConfig()`). */
  readonly config: PipelinesConfig;
  /** The pipelines, from their own stacks (only their configuration and physical names are read). */
  readonly pipelines: readonly EventPipeline[];
}

export class DashboardStack extends Stack {
  readonly dashboards: readonly PipelinesDashboard[];

  constructor(scope: Construct, id: string, props: DashboardStackProps) {
    const { config, pipelines, ...stackProps } = props;
    const stacks = layoutStackNames(config.stackName);
    super(scope, id, {
      description: 'stream-pipeline: the dashboards of every pipeline',
      ...stackProps,
      stackName: stacks.dashboardStackName,
    });
    const references: PipelineReferences = {
      eventSourceMappingUuid: (p) => ssm.StringParameter.valueForStringParameter(this, stacks.eventSourceMappingParameter(p.pipeline.name)),
      alarms: (p) => p.alarmSpecs.map((spec) => cloudwatch.Alarm.fromAlarmName(this, `Alarm-${spec.alarmName}`, spec.alarmName)),
    };
    const baseName = stackResourceNames(config.stackName).dashboardName;
    const dashboards: PipelinesDashboard[] = [];
    for (let start = 0; start < pipelines.length; start += PIPELINES_PER_DASHBOARD) {
      const n = dashboards.length + 1;
      dashboards.push(
        new PipelinesDashboard(this, n === 1 ? 'Dashboard' : `Dashboard${n}`, {
          dashboardName: n === 1 ? baseName : `${baseName}-${n}`,
          pipelines: pipelines.slice(start, start + PIPELINES_PER_DASHBOARD),
          references,
        }),
      );
    }
    this.dashboards = dashboards;
  }
}
