/**
 * Turns a pipeline's alarm table (./alarm-specs.ts) into CloudWatch alarms with ALARM and OK actions.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { PipelineConfig } from '../config';
import { alarmDescription, type AlarmKindName, type AlarmSpec, type MissingData, type WatchedMetric } from './alarm-specs';

const TREAT_MISSING_DATA: Record<MissingData, cloudwatch.TreatMissingData> = {
  notBreaching: cloudwatch.TreatMissingData.NOT_BREACHING,
  breaching: cloudwatch.TreatMissingData.BREACHING,
  ignore: cloudwatch.TreatMissingData.IGNORE,
  missing: cloudwatch.TreatMissingData.MISSING,
};

export interface PipelineAlarmsProps {
  readonly pipeline: PipelineConfig;
  /** The rows to create (from `pipelineAlarmSpecs()`). */
  readonly specs: readonly AlarmSpec[];
  /** Receives ALARM and OK notifications of every alarm. */
  readonly topic: sns.ITopic;
}

export class PipelineAlarms extends Construct {
  /** The alarms, by kind. */
  readonly byKind: ReadonlyMap<AlarmKindName, cloudwatch.Alarm>;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const action = new actions.SnsAction(props.topic);
    const byKind = new Map<AlarmKindName, cloudwatch.Alarm>();

    for (const spec of props.specs) {
      const alarm = new cloudwatch.Alarm(this, spec.kind, {
        alarmName: spec.alarmName,
        alarmDescription: alarmDescription(props.pipeline, spec),
        metric: metricOf(spec),
        threshold: spec.threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        treatMissingData: TREAT_MISSING_DATA[spec.treatMissingData],
        actionsEnabled: true,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      byKind.set(spec.kind, alarm);
    }
    this.byKind = byKind;
    this.alarms = [...byKind.values()];
  }
}

/** The CloudWatch metric (or metric-math expression) an alarm spec watches. */
export function metricOf(spec: AlarmSpec): cloudwatch.IMetric {
  const period = Duration.seconds(spec.periodSeconds);
  if (!spec.math) return watched(spec, period);
  return new cloudwatch.MathExpression({
    expression: spec.math.expression,
    label: spec.math.label,
    usingMetrics: Object.fromEntries(Object.entries(spec.math.metrics).map(([id, metric]) => [id, watched(metric, period)])),
    period,
  });
}

function watched(metric: WatchedMetric, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: metric.namespace,
    metricName: metric.metricName,
    dimensionsMap: { ...metric.dimensions },
    statistic: metric.statistic,
    period,
  });
}
