/**
 * The JSON CloudWatch publishes to an alarm action's SNS topic on a state change (field order as AWS
 * writes it), its Subject line, and the NewStateReason text.
 */
import type { AlarmDefinition, AlarmMetricQuery } from './alarm-definition';
import type { AlarmStateValue, Decision } from './alarm-state';

/** Region display names as CloudWatch puts them in the message (the common ones; others fall back to the code). */
const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-central-1': 'EU (Frankfurt)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
};

export function regionName(region: string): string {
  return REGION_NAMES[region] ?? region;
}

/** CloudWatch's timestamp format in alarm messages: `2026-11-25T14:03:00.123+0000`. */
export function alarmTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

const STAT_NAMES: Record<string, string> = { SampleCount: 'SAMPLE_COUNT', Sum: 'SUM', Average: 'AVERAGE', Minimum: 'MINIMUM', Maximum: 'MAXIMUM' };

export interface AlarmChange {
  readonly alarm: AlarmDefinition;
  readonly alarmArn: string;
  readonly accountId: string;
  readonly region: string;
  readonly oldState: AlarmStateValue;
  readonly newState: AlarmStateValue;
  readonly reason: string;
  /** Simulated epoch ms. */
  readonly time: number;
}

export function alarmMessage(change: AlarmChange): Record<string, unknown> {
  const a = change.alarm;
  return {
    AlarmName: a.AlarmName,
    AlarmDescription: a.AlarmDescription ?? null,
    AWSAccountId: change.accountId,
    NewStateValue: change.newState,
    NewStateReason: change.reason,
    StateChangeTime: alarmTimestamp(change.time),
    Region: regionName(change.region),
    AlarmArn: change.alarmArn,
    OldStateValue: change.oldState,
    OKActions: a.OKActions,
    AlarmActions: a.AlarmActions,
    InsufficientDataActions: a.InsufficientDataActions,
    Trigger: trigger(a),
  };
}

function trigger(a: AlarmDefinition): Record<string, unknown> {
  const evaluation = {
    EvaluationPeriods: a.EvaluationPeriods,
    DatapointsToAlarm: a.datapointsToAlarm,
    ComparisonOperator: a.ComparisonOperator,
    Threshold: a.Threshold,
    TreatMissingData: a.TreatMissingData,
    EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile ?? '',
  };
  if (a.kind === 'math') {
    // A math alarm's trigger names no metric of its own: the queries follow the evaluation settings.
    return { Period: a.period, ...evaluation, Metrics: a.Metrics.map(triggerQuery) };
  }
  const statistic = a.Statistic !== undefined ? { StatisticType: 'Statistic', Statistic: STAT_NAMES[a.Statistic] ?? a.Statistic } : { StatisticType: 'ExtendedStatistic', ExtendedStatistic: a.ExtendedStatistic };
  return {
    MetricName: a.MetricName,
    Namespace: a.Namespace,
    ...statistic,
    Unit: a.Unit ?? null,
    Dimensions: triggerDimensions(a.Dimensions),
    Period: a.Period,
    ...evaluation,
  };
}

/** Dimensions as alarm messages write them: lowercase keys, value first. */
function triggerDimensions(dimensions: readonly { readonly Name: string; readonly Value: string }[] | undefined): { value: string; name: string }[] {
  return (dimensions ?? []).map((d) => ({ value: d.Value, name: d.Name }));
}

/** One query in CloudWatch's order: Expression, Id, Label, MetricStat, ReturnData; absent fields left out. */
function triggerQuery(q: AlarmMetricQuery): Record<string, unknown> {
  const s = q.MetricStat;
  return {
    ...(q.Expression !== undefined ? { Expression: q.Expression } : {}),
    Id: q.Id,
    ...(q.Label !== undefined ? { Label: q.Label } : {}),
    ...(s
      ? {
          MetricStat: {
            Metric: { Dimensions: triggerDimensions(s.Metric.Dimensions), MetricName: s.Metric.MetricName, Namespace: s.Metric.Namespace },
            Period: s.Period,
            Stat: s.Stat,
            ...(s.Unit !== undefined ? { Unit: s.Unit } : {}),
          },
        }
      : {}),
    ReturnData: q.ReturnData,
  };
}

export function alarmSubject(change: AlarmChange): string {
  // SNS subjects are limited to 100 characters.
  return `${change.newState}: "${change.alarm.AlarmName}" in ${regionName(change.region)}`.slice(0, 100);
}

const COMPARISON_WORDS: Record<string, string> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/** NewStateReason in CloudWatch's wording. */
export function stateReason(alarm: AlarmDefinition, decision: Decision, oldState: AlarmStateValue): string {
  const real = decision.considered.filter((p) => p.value !== undefined);
  if (real.length === 0) {
    if (decision.state === 'INSUFFICIENT_DATA') return `Insufficient Data: ${decision.considered.length} datapoint${plural(decision.considered.length)} ${decision.considered.length === 1 ? 'was' : 'were'} unknown.`;
    return `Threshold Crossed: no datapoints were received for ${decision.considered.length} period${plural(decision.considered.length)} and ${decision.considered.length} missing datapoint${plural(decision.considered.length)} ${decision.considered.length === 1 ? 'was' : 'were'} treated as [${alarm.TreatMissingData === 'breaching' ? 'Breaching' : 'NonBreaching'}].`;
  }
  const words = COMPARISON_WORDS[alarm.ComparisonOperator] as string;
  const points = real.map((p) => `${formatNumber(p.value as number)} (${formatDate(p.start)})`).join(', ');
  const count = decision.state === 'ALARM' ? decision.breachingCount : real.length - decision.breachingCount;
  const verb = decision.state === 'ALARM' ? (count === 1 ? 'was' : 'were') : count === 1 ? 'was not' : 'were not';
  return `Threshold Crossed: ${count} out of the last ${real.length} datapoint${plural(real.length)} [${points}] ${verb} ${words} the threshold (${formatNumber(alarm.Threshold)}) (minimum ${decision.needed} datapoint${plural(decision.needed)} for ${oldState} -> ${decision.state} transition).`;
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/** `25/11/26 14:03:00`, CloudWatch's dd/MM/yy HH:mm:ss in UTC. */
function formatDate(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}
