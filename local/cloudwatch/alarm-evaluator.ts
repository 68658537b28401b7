/**
 * Evaluates the template's alarms against the metric store on CloudWatch's schedule (each alarm once a
 * simulated minute, or once a period for shorter periods), keeps each alarm's state and history, and on
 * every state change publishes CloudWatch's alarm message to the actions' SNS topics and logs one line.
 */
import { randomUUID } from 'node:crypto';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { breaches, parseAlarm, type AlarmDefinition, type MetricMathAlarmDefinition, type SingleMetricAlarmDefinition } from './alarm-definition';
import { alarmMessage, alarmSubject, stateReason, type AlarmChange } from './alarm-message';
import { decideState, EXTRA_PERIODS, type AlarmStateValue, type PeriodPoint } from './alarm-state';
import { evaluateQuery, storeFetcher } from './metric-math';
import type { MetricStore } from './metric-store';

export interface AlarmEvaluatorOptions {
  readonly store: MetricStore;
  /** Publishes to the alarm and OK actions' topics; without it, changes are only logged and kept. */
  readonly sns?: SNSClient;
  readonly region?: string;
  readonly accountId?: string;
  /** One line per state change. Default: console.log. */
  readonly logger?: (line: string) => void;
  /** Shortest real interval between evaluations (ms). Default 50. */
  readonly minIntervalMs?: number;
}

export interface AlarmHistoryItem {
  readonly AlarmName: string;
  readonly AlarmType: 'MetricAlarm';
  /** Simulated epoch ms. */
  readonly Timestamp: number;
  readonly HistoryItemType: 'StateUpdate' | 'Action';
  readonly HistorySummary: string;
  readonly HistoryData: string;
}

export interface AlarmStatus {
  readonly definition: AlarmDefinition;
  readonly arn: string;
  state: AlarmStateValue;
  reason: string;
  reasonData: string;
  /** Simulated epoch ms. */
  updatedAt: number;
  readonly configurationUpdatedAt: number;
}

/** An alarm that exists in the template but is not evaluated here, with why. */
export interface UnsupportedAlarm {
  readonly alarmName: string;
  readonly reason: string;
}

export class AlarmEvaluator {
  private readonly alarms = new Map<string, AlarmStatus>();
  private readonly unsupportedAlarms: UnsupportedAlarm[] = [];
  private readonly historyItems: AlarmHistoryItem[] = [];
  private timer: NodeJS.Timeout | undefined;
  private evaluating: Promise<void> = Promise.resolve();
  private readonly region: string;
  private readonly accountId: string;
  private readonly logger: (line: string) => void;

  constructor(private readonly options: AlarmEvaluatorOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.logger = options.logger ?? ((line) => console.log(line));
  }

  /** Adds an alarm from its template properties; returns false (and lists it as unsupported) if it cannot be evaluated. */
  add(properties: unknown): boolean {
    const parsed = parseAlarm(properties);
    if (!parsed.ok) {
      this.unsupportedAlarms.push({ alarmName: parsed.alarmName, reason: parsed.reason });
      this.logger(`[alarm] ${parsed.alarmName}: not evaluated locally: ${parsed.reason}`);
      return false;
    }
    const name = parsed.alarm.AlarmName;
    if (this.alarms.has(name)) throw new Error(`alarm ${name} exists already`);
    const now = this.options.store.clock.now();
    this.alarms.set(name, {
      definition: parsed.alarm,
      arn: `arn:aws:cloudwatch:${this.region}:${this.accountId}:alarm:${name}`,
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      reasonData: '',
      updatedAt: now,
      configurationUpdatedAt: now,
    });
    return true;
  }

  get unsupported(): readonly UnsupportedAlarm[] {
    return this.unsupportedAlarms;
  }

  list(): AlarmStatus[] {
    return [...this.alarms.values()];
  }

  get(name: string): AlarmStatus | undefined {
    return this.alarms.get(name);
  }

  history(alarmName?: string): AlarmHistoryItem[] {
    return this.historyItems.filter((h) => alarmName === undefined || h.AlarmName === alarmName);
  }

  /** Starts evaluating on CloudWatch's schedule, scaled by the store's clock. */
  start(): void {
    if (this.timer) return;
    const shortestPeriod = Math.min(60, ...this.list().map((a) => a.definition.period));
    const intervalMs = Math.max(this.options.minIntervalMs ?? 50, this.options.store.clock.realDuration(shortestPeriod * 1000));
    this.timer = setInterval(() => void this.evaluateAll(), intervalMs);
    this.timer.unref();
  }

  /** Stops the schedule and waits for an evaluation in progress (and its notifications). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.evaluating;
  }

  /** Evaluates every alarm now (serialised with the schedule). */
  evaluateAll(): Promise<void> {
    this.evaluating = this.evaluating.then(async () => {
      for (const alarm of this.alarms.values()) await this.evaluate(alarm);
    });
    return this.evaluating;
  }

  private async evaluate(status: AlarmStatus): Promise<void> {
    const a = status.definition;
    const now = this.options.store.clock.now();
    const periodMs = a.period * 1000;
    // Only complete periods count: the range ends where the current period began.
    const end = Math.floor(now / periodMs) * periodMs;
    const periods = a.EvaluationPeriods + EXTRA_PERIODS;
    const start = end - periods * periodMs;
    const values = a.kind === 'metric' ? this.metricValues(a, start, periods) : this.mathValues(a, start, periods);
    const range: PeriodPoint[] = values.map((value, i) => ({ start: start + i * periodMs, value, breaching: value !== undefined && breaches(a.ComparisonOperator, value, a.Threshold) }));
    // CloudWatch: alarms on AWS/DynamoDB metrics always ignore missing data, whatever they say. Said of
    // a metric's namespace only: a math alarm has none, and its expression decides what missing means.
    const treatMissingData = a.kind === 'metric' && a.Namespace === 'AWS/DynamoDB' ? 'ignore' : a.TreatMissingData;
    const decision = decideState(range, { evaluationPeriods: a.EvaluationPeriods, datapointsToAlarm: a.datapointsToAlarm, treatMissingData }, status.state);
    if (decision.state === status.state) return;
    const oldState = status.state;
    const reason = stateReason(a, decision, oldState);
    status.state = decision.state;
    status.reason = reason;
    status.reasonData = JSON.stringify({
      version: '1.0',
      queryDate: new Date(now).toISOString().replace('Z', '+0000'),
      // A math alarm has no one statistic: each of its queries names its own.
      ...(a.kind === 'metric' ? { statistic: a.stat } : {}),
      period: a.period,
      recentDatapoints: decision.considered.filter((p) => p.value !== undefined).map((p) => p.value),
      threshold: a.Threshold,
    });
    status.updatedAt = now;
    const change: AlarmChange = { alarm: a, alarmArn: status.arn, accountId: this.accountId, region: this.region, oldState, newState: decision.state, reason, time: now };
    this.historyItems.push({
      AlarmName: a.AlarmName,
      AlarmType: 'MetricAlarm',
      Timestamp: now,
      HistoryItemType: 'StateUpdate',
      HistorySummary: `Alarm updated from ${oldState} to ${decision.state}`,
      HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: oldState }, newState: { stateValue: decision.state, stateReason: reason } }),
    });
    this.logger(`[alarm] ${a.AlarmName}: ${oldState} -> ${decision.state}: ${reason}`);
    await this.notify(change);
  }

  /** One value per period of the range, oldest first. */
  private metricValues(a: SingleMetricAlarmDefinition, start: number, count: number): (number | undefined)[] {
    const periodMs = a.period * 1000;
    const metric = { Metric: { Namespace: a.Namespace, MetricName: a.MetricName, Dimensions: a.Dimensions }, Stat: a.stat, Period: a.Period, Unit: a.Unit };
    const byStart = storeFetcher(this.options.store)(metric, start, start + count * periodMs);
    return Array.from({ length: count }, (_, i) => byStart.get(start + i * periodMs));
  }

  private mathValues(a: MetricMathAlarmDefinition, start: number, count: number): (number | undefined)[] {
    return evaluateQuery(a.program, a.returnedId, { start, count }, storeFetcher(this.options.store));
  }

  private async notify(change: AlarmChange): Promise<void> {
    const a = change.alarm;
    if (!a.ActionsEnabled) return;
    const actions = change.newState === 'ALARM' ? a.AlarmActions : change.newState === 'OK' ? a.OKActions : a.InsufficientDataActions;
    const message = JSON.stringify(alarmMessage(change));
    for (const action of actions) {
      if (!action.startsWith('arn:aws:sns:')) {
        this.logger(`[alarm] ${a.AlarmName}: action ${action} is not an SNS topic; not run locally`);
        continue;
      }
      let summary: string;
      try {
        if (!this.options.sns) throw new Error('no SNS client configured');
        await this.options.sns.send(new PublishCommand({ TopicArn: action, Subject: alarmSubject(change), Message: message }));
        summary = `Successfully executed action ${action}`;
      } catch (error) {
        summary = `Failed to execute action ${action}: ${error instanceof Error ? error.message : String(error)}`;
        this.logger(`[alarm] ${a.AlarmName}: ${summary}`);
      }
      this.historyItems.push({
        AlarmName: a.AlarmName,
        AlarmType: 'MetricAlarm',
        Timestamp: change.time,
        HistoryItemType: 'Action',
        HistorySummary: summary,
        HistoryData: JSON.stringify({ actionState: summary.startsWith('Successfully') ? 'Succeeded' : 'Failed', notificationResource: action, publishedMessage: { messageId: randomUUID() } }),
      });
    }
  }
}
