/**
 * An `AWS::CloudWatch::Alarm` as the local evaluator understands it: the template's properties (or
 * PutMetricAlarm's parameters, same names), validated. Single-metric alarms are evaluated; metric math
 * (`Metrics`) and anomaly detection are not, and say so instead of silently never firing.
 */
import { z } from 'zod';
import { isSupportedStatistic } from './statistics';

export const COMPARISON_OPERATORS = ['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'] as const;
export const TREAT_MISSING_DATA = ['breaching', 'notBreaching', 'ignore', 'missing'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];
export type TreatMissingData = (typeof TREAT_MISSING_DATA)[number];

const alarmSchema = z
  .object({
    AlarmName: z.string().min(1).max(255),
    AlarmDescription: z.string().optional(),
    ActionsEnabled: z.boolean().default(true),
    AlarmActions: z.array(z.string()).default([]),
    OKActions: z.array(z.string()).default([]),
    InsufficientDataActions: z.array(z.string()).default([]),
    MetricName: z.string().min(1),
    Namespace: z.string().min(1),
    Dimensions: z.array(z.object({ Name: z.string(), Value: z.string() })).default([]),
    Statistic: z.string().optional(),
    ExtendedStatistic: z.string().optional(),
    Unit: z.string().optional(),
    Period: z.int().positive(),
    EvaluationPeriods: z.int().min(1),
    DatapointsToAlarm: z.int().min(1).optional(),
    Threshold: z.number(),
    ComparisonOperator: z.enum(COMPARISON_OPERATORS),
    TreatMissingData: z.enum(TREAT_MISSING_DATA).default('missing'),
    EvaluateLowSampleCountPercentile: z.string().optional(),
  })
  .superRefine((a, ctx) => {
    if ((a.Statistic === undefined) === (a.ExtendedStatistic === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['Statistic'], message: 'exactly one of Statistic and ExtendedStatistic is required' });
    }
    const stat = a.Statistic ?? a.ExtendedStatistic ?? '';
    if (stat && !isSupportedStatistic(stat)) ctx.addIssue({ code: 'custom', path: ['Statistic'], message: `"${stat}" is not supported locally` });
    if (a.DatapointsToAlarm !== undefined && a.DatapointsToAlarm > a.EvaluationPeriods) {
      ctx.addIssue({ code: 'custom', path: ['DatapointsToAlarm'], message: 'must not exceed EvaluationPeriods' });
    }
    if (a.Period % 60 !== 0 && ![10, 20, 30].includes(a.Period)) {
      ctx.addIssue({ code: 'custom', path: ['Period'], message: 'must be 10, 20, 30 or a multiple of 60' });
    }
  });

export type AlarmDefinition = z.output<typeof alarmSchema> & { readonly stat: string; readonly datapointsToAlarm: number };

export type AlarmParseResult = { readonly ok: true; readonly alarm: AlarmDefinition } | { readonly ok: false; readonly alarmName: string; readonly reason: string };

/** Parses one alarm; an unsupported or invalid one comes back with the reason (never thrown away silently). */
export function parseAlarm(properties: unknown): AlarmParseResult {
  const alarmName = typeof properties === 'object' && properties !== null ? String((properties as { AlarmName?: unknown }).AlarmName ?? '(unnamed)') : '(unnamed)';
  if (typeof properties === 'object' && properties !== null) {
    const p = properties as Record<string, unknown>;
    if (p.Metrics !== undefined) return { ok: false, alarmName, reason: 'metric math alarms (Metrics) are not evaluated by the local target' };
    if (p.ThresholdMetricId !== undefined) return { ok: false, alarmName, reason: 'anomaly detection alarms are not evaluated by the local target' };
  }
  const result = alarmSchema.safeParse(properties);
  if (!result.success) {
    return { ok: false, alarmName, reason: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  }
  const a = result.data;
  return { ok: true, alarm: { ...a, stat: (a.Statistic ?? a.ExtendedStatistic) as string, datapointsToAlarm: a.DatapointsToAlarm ?? a.EvaluationPeriods } };
}

export function breaches(operator: ComparisonOperator, value: number, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}
