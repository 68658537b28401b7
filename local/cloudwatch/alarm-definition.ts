/**
 * An `AWS::CloudWatch::Alarm` as the local evaluator understands it: the template's properties (or
 * PutMetricAlarm's parameters, same names), validated. Single-metric alarms and metric math alarms
 * (`Metrics`, see metric-math.ts for the supported expressions) are evaluated; anomaly detection and
 * unsupported expressions are not, and say so instead of silently never firing.
 */
import { z } from 'zod';
import { compileMetricMath, periodOf, type MetricDataQuery, type MetricMathProgram } from './metric-math';
import { isSupportedStatistic } from './statistics';

export const COMPARISON_OPERATORS = ['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'] as const;
export const TREAT_MISSING_DATA = ['breaching', 'notBreaching', 'ignore', 'missing'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];
export type TreatMissingData = (typeof TREAT_MISSING_DATA)[number];

const dimensions = z.array(z.object({ Name: z.string(), Value: z.string() })).default([]);

/** What both forms share: actions, evaluation and threshold. */
const commonShape = {
  AlarmName: z.string().min(1).max(255),
  AlarmDescription: z.string().optional(),
  ActionsEnabled: z.boolean().default(true),
  AlarmActions: z.array(z.string()).default([]),
  OKActions: z.array(z.string()).default([]),
  InsufficientDataActions: z.array(z.string()).default([]),
  EvaluationPeriods: z.int().min(1),
  DatapointsToAlarm: z.int().min(1).optional(),
  Threshold: z.number(),
  ComparisonOperator: z.enum(COMPARISON_OPERATORS),
  TreatMissingData: z.enum(TREAT_MISSING_DATA).default('missing'),
  EvaluateLowSampleCountPercentile: z.string().optional(),
};

/** The periods CloudWatch alarms accept. */
function isAlarmPeriod(period: number): boolean {
  return period % 60 === 0 || [10, 20, 30].includes(period);
}

const PERIOD_RULE = 'must be 10, 20, 30 or a multiple of 60';

function checkCommon(a: { DatapointsToAlarm?: number | undefined; EvaluationPeriods: number }, ctx: z.RefinementCtx): void {
  if (a.DatapointsToAlarm !== undefined && a.DatapointsToAlarm > a.EvaluationPeriods) {
    ctx.addIssue({ code: 'custom', path: ['DatapointsToAlarm'], message: 'must not exceed EvaluationPeriods' });
  }
}

const singleMetricSchema = z
  .object({
    ...commonShape,
    MetricName: z.string().min(1),
    Namespace: z.string().min(1),
    Dimensions: dimensions,
    Statistic: z.string().optional(),
    ExtendedStatistic: z.string().optional(),
    Unit: z.string().optional(),
    Period: z.int().positive(),
  })
  .superRefine((a, ctx) => {
    checkCommon(a, ctx);
    if ((a.Statistic === undefined) === (a.ExtendedStatistic === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['Statistic'], message: 'exactly one of Statistic and ExtendedStatistic is required' });
    }
    const stat = a.Statistic ?? a.ExtendedStatistic ?? '';
    if (stat && !isSupportedStatistic(stat)) ctx.addIssue({ code: 'custom', path: ['Statistic'], message: `"${stat}" is not supported locally` });
    if (!isAlarmPeriod(a.Period)) ctx.addIssue({ code: 'custom', path: ['Period'], message: PERIOD_RULE });
  });

const metricDataQuerySchema = z.object({
  Id: z.string().min(1).max(255),
  Expression: z.string().min(1).max(2048).optional(),
  MetricStat: z
    .object({
      Metric: z.object({ Namespace: z.string().min(1), MetricName: z.string().min(1), Dimensions: dimensions }),
      Period: z.int().positive(),
      Stat: z.string().min(1),
      Unit: z.string().optional(),
    })
    .optional(),
  Label: z.string().optional(),
  ReturnData: z.boolean().optional(),
  Period: z.int().positive().optional(),
  AccountId: z.string().optional(),
});

/** PutMetricAlarm's limits for one alarm. */
const MAX_METRIC_STATS = 10;
const MAX_EXPRESSIONS = 10;

const metricMathSchema = z
  .object({ ...commonShape, Metrics: z.array(metricDataQuerySchema).min(1) })
  .superRefine((a, ctx) => {
    checkCommon(a, ctx);
    a.Metrics.forEach((q, i) => {
      if (q.MetricStat && !isSupportedStatistic(q.MetricStat.Stat)) ctx.addIssue({ code: 'custom', path: ['Metrics', i, 'MetricStat', 'Stat'], message: `"${q.MetricStat.Stat}" is not supported locally` });
      if (q.MetricStat && !isAlarmPeriod(q.MetricStat.Period)) ctx.addIssue({ code: 'custom', path: ['Metrics', i, 'MetricStat', 'Period'], message: PERIOD_RULE });
    });
    const stats = a.Metrics.filter((q) => q.MetricStat !== undefined).length;
    const expressions = a.Metrics.filter((q) => q.Expression !== undefined).length;
    if (stats > MAX_METRIC_STATS) ctx.addIssue({ code: 'custom', path: ['Metrics'], message: `at most ${MAX_METRIC_STATS} MetricStat queries, got ${stats}` });
    if (expressions > MAX_EXPRESSIONS) ctx.addIssue({ code: 'custom', path: ['Metrics'], message: `at most ${MAX_EXPRESSIONS} Expression queries, got ${expressions}` });
  });

interface Derived {
  /** DatapointsToAlarm, defaulted to EvaluationPeriods. */
  readonly datapointsToAlarm: number;
  /** Seconds: the alarm's own Period, or the period of the metrics a math alarm's expression uses. */
  readonly period: number;
}

export type SingleMetricAlarmDefinition = z.output<typeof singleMetricSchema> & Derived & { readonly kind: 'metric'; readonly stat: string };

/** A query of a math alarm, with ReturnData resolved (omitted means true, as in PutMetricAlarm). */
export type AlarmMetricQuery = MetricDataQuery & { readonly ReturnData: boolean };

export type MetricMathAlarmDefinition = Omit<z.output<typeof metricMathSchema>, 'Metrics'> &
  Derived & {
    readonly kind: 'math';
    readonly Metrics: readonly AlarmMetricQuery[];
    /** Id of the one query with ReturnData true: the series the alarm watches. */
    readonly returnedId: string;
    readonly program: MetricMathProgram;
  };

export type AlarmDefinition = SingleMetricAlarmDefinition | MetricMathAlarmDefinition;

export type AlarmParseResult = { readonly ok: true; readonly alarm: AlarmDefinition } | { readonly ok: false; readonly alarmName: string; readonly reason: string };

/** PutMetricAlarm rejects these next to Metrics: the metric is described by the queries instead. */
const SINGLE_METRIC_FIELDS = ['MetricName', 'Namespace', 'Dimensions', 'Statistic', 'ExtendedStatistic', 'Period', 'Unit'] as const;

/** Parses one alarm; an unsupported or invalid one comes back with the reason (never thrown away silently). */
export function parseAlarm(properties: unknown): AlarmParseResult {
  const alarmName = typeof properties === 'object' && properties !== null ? String((properties as { AlarmName?: unknown }).AlarmName ?? '(unnamed)') : '(unnamed)';
  const fail = (reason: string): AlarmParseResult => ({ ok: false, alarmName, reason });
  const p = typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>) : {};
  if (p.ThresholdMetricId !== undefined) return fail('anomaly detection alarms are not evaluated by the local target');
  if (p.Metrics === undefined) {
    const result = singleMetricSchema.safeParse(properties);
    if (!result.success) return fail(issues(result.error));
    const a = result.data;
    return { ok: true, alarm: { ...a, kind: 'metric', stat: (a.Statistic ?? a.ExtendedStatistic) as string, datapointsToAlarm: a.DatapointsToAlarm ?? a.EvaluationPeriods, period: a.Period } };
  }
  const mixed = SINGLE_METRIC_FIELDS.filter((f) => p[f] !== undefined);
  if (mixed.length > 0) return fail(`Metrics cannot be combined with ${mixed.join(', ')}: a math alarm describes its metrics in its queries`);
  const result = metricMathSchema.safeParse(properties);
  if (!result.success) return fail(issues(result.error));
  const a = result.data;
  const queries: AlarmMetricQuery[] = a.Metrics.map((q) => ({ ...q, ReturnData: q.ReturnData ?? true }));
  const returned = queries.filter((q) => q.ReturnData);
  if (returned.length !== 1) {
    return fail(
      `Metrics: exactly one query must have ReturnData true (omitted counts as true); ${returned.length === 0 ? 'none has' : `${returned.map((q) => q.Id).join(', ')} have`}`,
    );
  }
  const compiled = compileMetricMath(queries);
  if (!compiled.ok) return fail(compiled.reason);
  const returnedId = (returned[0] as AlarmMetricQuery).Id;
  return {
    ok: true,
    alarm: {
      ...a,
      kind: 'math',
      Metrics: queries,
      returnedId,
      program: compiled.program,
      datapointsToAlarm: a.DatapointsToAlarm ?? a.EvaluationPeriods,
      period: periodOf(compiled.program, returnedId),
    },
  };
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
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
