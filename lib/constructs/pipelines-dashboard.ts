/**
 * One CloudWatch dashboard per stack, one row of widgets per pipeline: records in and out, latency
 * percentiles, iterator age, errors, DLQ depth and the state of every alarm of the pipeline.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { iteratorAgeThresholdMs, watermarkLagThresholdSeconds } from '../config';
import { METRIC_NAMESPACE, PIPELINE_DIMENSION, ProcessorMetric } from '../../lambdas/shared/metrics-contract';
import type { EventPipeline } from './event-pipeline';

export interface PipelinesDashboardProps {
  /** Physical dashboard name (from `stackResourceNames()`). */
  readonly dashboardName: string;
  readonly pipelines: readonly EventPipeline[];
  /**
   * How the widgets name what only exists once deployed (the mapping's UUID, the alarms). A dashboard
   * in another stack than its pipelines passes values that are no cross-stack reference.
   * @default the pipeline's own constructs (same stack)
   */
  readonly references?: PipelineReferences;
}

/** What a dashboard row needs of a pipeline beyond its configuration and physical names. */
export interface PipelineReferences {
  eventSourceMappingUuid(pipeline: EventPipeline): string;
  alarms(pipeline: EventPipeline): cloudwatch.IAlarm[];
}

const OWN_REFERENCES: PipelineReferences = {
  eventSourceMappingUuid: (p) => p.eventSourceMapping.eventSourceMappingId,
  alarms: (p) => [...p.alarms],
};

const WIDTH = 24;
const GRAPH_HEIGHT = 6;

export class PipelinesDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelinesDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    for (const pipeline of props.pipelines) {
      this.dashboard.addWidgets(...pipelineRow(pipeline, props.references ?? OWN_REFERENCES));
    }
  }
}

function pipelineRow(p: EventPipeline, refs: PipelineReferences): cloudwatch.IWidget[] {
  const cfg = p.pipeline;
  const period = Duration.seconds(cfg.alarms.periodSeconds);
  const custom = (metricName: string, statistic: string, label: string): cloudwatch.Metric =>
    new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName, dimensionsMap: { [PIPELINE_DIMENSION]: cfg.name }, statistic, period, label });
  const lambdaMetric = (metricName: string, statistic: string, label: string): cloudwatch.Metric =>
    new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName, dimensionsMap: { FunctionName: p.names.functionName }, statistic, period, label });
  const queueMetric = (metricName: string, label: string): cloudwatch.Metric =>
    new cloudwatch.Metric({ namespace: 'AWS/SQS', metricName, dimensionsMap: { QueueName: p.names.dlqName }, statistic: 'Maximum', period, label });
  const third = WIDTH / 3;

  return [
    new cloudwatch.TextWidget({
      markdown: `## ${cfg.name}\n${cfg.description} · action \`${cfg.action}\` · stream \`${p.names.streamName}\` · objective p99 ≤ ${cfg.alarms.latencyObjectiveMs} ms`,
      width: WIDTH,
      height: 2,
    }),
    new cloudwatch.GraphWidget({
      title: `${cfg.name}: records in / out`,
      width: third,
      height: GRAPH_HEIGHT,
      left: [
        new cloudwatch.Metric({
          namespace: 'AWS/Kinesis',
          metricName: 'IncomingRecords',
          dimensionsMap: { StreamName: p.names.streamName },
          statistic: 'Sum',
          period,
          label: 'in (Kinesis IncomingRecords)',
        }),
        custom(ProcessorMetric.EventsProcessed, 'Sum', 'processed'),
        custom(ProcessorMetric.EventsDuplicate, 'Sum', 'duplicates skipped'),
        custom(ProcessorMetric.EventsFailed, 'Sum', 'failed (retried)'),
        custom(ProcessorMetric.EventsPoison, 'Sum', 'poison (to DLQ)'),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: `${cfg.name}: event-to-action latency (ms)`,
      width: third,
      height: GRAPH_HEIGHT,
      left: ['p50', 'p90', 'p99'].map((stat) => custom(ProcessorMetric.EventToActionLatency, stat, stat)),
      leftAnnotations: [{ value: cfg.alarms.latencyObjectiveMs, label: 'objective (p99)' }],
    }),
    new cloudwatch.GraphWidget({
      title: `${cfg.name}: iterator age (ms)`,
      width: third,
      height: GRAPH_HEIGHT,
      left: [lambdaMetric('IteratorAge', 'Maximum', 'IteratorAge max')],
      leftAnnotations: [{ value: iteratorAgeThresholdMs(cfg), label: 'alarm threshold' }],
    }),
    new cloudwatch.GraphWidget({
      title: `${cfg.name}: errors`,
      width: third,
      height: GRAPH_HEIGHT,
      left: [
        lambdaMetric('Errors', 'Sum', 'function errors'),
        lambdaMetric('Throttles', 'Sum', 'throttles'),
        new cloudwatch.Metric({
          namespace: 'AWS/Lambda',
          metricName: 'DroppedEventCount',
          dimensionsMap: { EventSourceMappingUUID: refs.eventSourceMappingUuid(p) },
          statistic: 'Sum',
          period,
          label: 'dropped by the mapping',
        }),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: `${cfg.name}: DLQ`,
      width: third,
      height: GRAPH_HEIGHT,
      left: [queueMetric('ApproximateNumberOfMessagesVisible', 'messages waiting')],
      right: [queueMetric('ApproximateAgeOfOldestMessage', 'oldest message age (s)')],
    }),
    new cloudwatch.AlarmStatusWidget({
      title: `${cfg.name}: alarms`,
      width: third,
      height: GRAPH_HEIGHT,
      alarms: refs.alarms(p),
    }),
    ...(cfg.windows ? windowsRow(cfg.name, custom, third, watermarkLagThresholdSeconds(cfg)!) : []),
  ];
}

/** Windowed pipelines: the watermark, the windows closed, late and too-late events, alerts. */
function windowsRow(name: string, custom: (metricName: string, statistic: string, label: string) => cloudwatch.Metric, width: number, lagThresholdSeconds: number): cloudwatch.IWidget[] {
  return [
    new cloudwatch.GraphWidget({
      title: `${name}: watermark lag (ms)`,
      width,
      height: GRAPH_HEIGHT,
      left: [custom(ProcessorMetric.WatermarkLag, 'Maximum', 'wall clock − watermark')],
      leftAnnotations: [{ value: lagThresholdSeconds * 1000, label: 'WatermarkStalled threshold' }],
    }),
    new cloudwatch.GraphWidget({
      title: `${name}: windows`,
      width,
      height: GRAPH_HEIGHT,
      left: [custom(ProcessorMetric.WindowsClosed, 'Sum', 'windows closed'), custom(ProcessorMetric.WindowAlertsPublished, 'Sum', 'alerts published')],
    }),
    new cloudwatch.GraphWidget({
      title: `${name}: too-late events`,
      width,
      height: GRAPH_HEIGHT,
      left: [custom(ProcessorMetric.EventsTooLate, 'Sum', 'too late (to DLQ, counted on results)')],
    }),
  ];
}
