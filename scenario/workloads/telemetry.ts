/**
 * The `telemetry` workload: equipment readings inside their limits, and a few breach episodes (one
 * device, one metric, several readings in a row out of limits) that must each raise exactly one alert.
 *
 * Its judge: exactly one alert per device and breached metric (all breaches of a run fall in one
 * incident window), none for devices that never breached. The alerts are read the way an operations
 * team would: an SQS queue subscribed to the pipeline's alerts topic.
 */
import type { CloudEvent } from '../../lambdas/shared/envelope';
import { TELEMETRY_ALERT_KIND, TelemetryEventType } from '../../lambdas/shared/telemetry-events';
import { breaches } from '../../lambdas/shared/telemetry-config';
import type { Random } from '../../client/operations/seeded-random';
import { breachingValue, normalValue, type Thresholds } from '../../client/examples/pipeline-events';
import { tapTopic, topicArnOf } from '../aws/control';
import { drainQueue, unwrapSnsMessage } from '../aws/stores';
import type { LedgerEvent } from '../judge/ledger';
import type { DistinctEvent, EntityCheck } from '../judge/reconcile-pipeline';
import { eventFactory } from './events';
import { LATE_BY_MS, withDuplicates, type InjectionRates, type PipelineJudge, type PlannedSend, type WorkloadDefinition } from './workload';

export interface ReadingEventData {
  readonly deviceId: string;
  readonly readings: Readonly<Record<string, number>>;
}

const DEVICES = 20;
/** Consecutive breaching readings per episode. */
const READINGS_PER_EPISODE = 4;

export interface BreachEpisode {
  /** Real ms from the start of the load at which the device starts breaching. */
  readonly startMs: number;
  readonly metric: string;
}

/** The events of the telemetry workload on `pipeline`. */
export function readingEvents(
  pipeline: string,
  runId: string,
  random: Random,
  rates: InjectionRates,
  episodes: readonly BreachEpisode[],
  /** The pipeline's configured thresholds: normal readings stay inside them, episodes breach them. */
  thresholds: Thresholds,
): { create(nowMs: number, count: number): PlannedSend[] } {
  const newEvent = eventFactory(pipeline, runId);
  const devices = Array.from({ length: DEVICES }, (_, i) => `device-${runId}-${String(i + 1).padStart(3, '0')}`);
  // Each episode gets its own device, so each is one incident whatever the incident window.
  const pending = episodes.map((episode, i) => ({ ...episode, deviceId: devices[i % DEVICES] as string, left: READINGS_PER_EPISODE }));

  const reading = (deviceId: string, timeMs: number, breachMetric?: string): CloudEvent<ReadingEventData> => {
    const readings: Record<string, number> = {};
    for (const [metric, threshold] of Object.entries(thresholds)) {
      readings[metric] = metric === breachMetric ? breachingValue(threshold) : normalValue(threshold, random.next());
    }
    return newEvent<ReadingEventData>(TelemetryEventType.Reading, deviceId, timeMs, { deviceId, readings });
  };

  return {
    create(nowMs, count) {
      const sends: PlannedSend[] = [];
      const wallNow = Date.now();
      for (let i = 0; i < count; i++) {
        const episode = pending.find((e) => e.startMs <= nowMs && e.left > 0);
        if (episode) {
          // Breaching readings are put in order and on time: their alert is the thing under test.
          episode.left -= 1;
          sends.push({ atMs: nowMs, event: reading(episode.deviceId, wallNow, episode.metric) });
          continue;
        }
        const deviceId = random.pick(devices.slice(episodes.length));
        if (random.chance(rates.outOfOrder)) {
          const older = reading(deviceId, wallNow - 20);
          sends.push({ atMs: nowMs, event: reading(deviceId, wallNow) }, { atMs: nowMs, event: older, injected: 'out-of-order' });
        } else if (random.chance(rates.late)) {
          sends.push({ atMs: nowMs + LATE_BY_MS, event: reading(deviceId, wallNow), injected: 'late' });
        } else {
          sends.push({ atMs: nowMs, event: reading(deviceId, wallNow) });
        }
      }
      return withDuplicates(sends, nowMs, random, rates.duplicates);
    },
  };
}

/** Breach episodes spread over the load: one for each of (at most) three metrics, away from the outages' edges. */
export function planBreachEpisodes(loadMs: number, thresholds: Thresholds): BreachEpisode[] {
  return Object.keys(thresholds)
    .slice(0, 3)
    .map((metric, i) => ({ startMs: Math.round(loadMs * (0.1 + 0.3 * i)), metric }));
}

/** An alert as the judge counts it. */
export interface AlertObservation {
  readonly deviceId: string;
  readonly metric: string;
}

/** A telemetry alert of this run (lambdas/shared/telemetry-events.ts `TelemetryAlert`), else undefined. */
export function parseAlert(message: string, runId: string): AlertObservation | undefined {
  try {
    const alert = JSON.parse(message) as { kind?: unknown; device?: unknown; metric?: unknown };
    if (alert.kind !== TELEMETRY_ALERT_KIND || typeof alert.device !== 'string' || typeof alert.metric !== 'string') return undefined;
    if (!alert.device.includes(runId)) return undefined;
    return { deviceId: alert.device, metric: alert.metric };
  } catch {
    return undefined;
  }
}

/** The configured limits decide which readings breach: the same configuration and rule the processor uses. */
export function breachedMetricsOf(thresholds: Thresholds): (e: LedgerEvent) => string[] {
  return (e) => {
    const readings = (e.event.data as { readings?: Record<string, number> } | undefined)?.readings ?? {};
    return Object.entries(readings)
      .filter(([metric, value]) => {
        const threshold = thresholds[metric];
        return threshold !== undefined && breaches(value, threshold);
      })
      .map(([metric]) => metric);
  };
}

/** The judge of a telemetry pipeline, given the alerts received so far: one alert per incident, none other. */
export function telemetryJudge(alerts: readonly AlertObservation[], breachedMetrics: (e: LedgerEvent) => readonly string[]): PipelineJudge {
  return {
    ordering: 'every-event',
    actionKind: 'external',
    judge: (distinct) => {
      const checks = checkAlerts(alerts, distinct, breachedMetrics);
      return { checks, caveats: [], alerts: { expected: checks.filter((c) => c.expected === '1 alert').length, received: alerts.length } };
    },
  };
}

function checkAlerts(alerts: readonly AlertObservation[], distinct: readonly DistinctEvent[], breachedMetrics: (e: LedgerEvent) => readonly string[]): EntityCheck[] {
  const expected = new Set<string>();
  for (const d of distinct) {
    for (const metric of breachedMetrics(d.first)) expected.add(`${d.first.event.subject ?? ''} ${metric}`);
  }
  const received = new Map<string, number>();
  for (const alert of alerts) {
    const key = `${alert.deviceId} ${alert.metric}`;
    received.set(key, (received.get(key) ?? 0) + 1);
  }
  const checks: EntityCheck[] = [];
  for (const key of [...new Set([...expected, ...received.keys()])].sort()) {
    const want = expected.has(key) ? 1 : 0;
    const got = received.get(key) ?? 0;
    const observed = got === want ? `${got} alert${got === 1 ? '' : 's'}` : got > want ? `${got} alerts (more: alerted twice)` : `${got} alerts (fewer: lost)`;
    checks.push({ entity: `alert ${key}`, expected: want === 1 ? '1 alert' : 'no alert', observed, ok: got === want });
  }
  return checks;
}

export const telemetryWorkload: WorkloadDefinition = {
  action: 'telemetry',
  eventType: TelemetryEventType.Reading,
  entityLabel: 'alert',
  async start({ pipeline, runId, random, rates, loadMs, names, clients }) {
    const thresholds = pipeline.telemetry?.thresholds ?? {};
    const events = readingEvents(pipeline.name, runId, random, rates, planBreachEpisodes(loadMs, thresholds), thresholds);
    const topicArn = await topicArnOf(clients.sns, names.alertsTopicName);
    const tap = await tapTopic(clients.sns, clients.sqs, topicArn, `scenario-${runId}-${pipeline.name}-alerts`);
    // The tap's queue is drained each round: the alerts received so far are kept here.
    const alerts: AlertObservation[] = [];
    const breachedMetrics = breachedMetricsOf(thresholds);
    return {
      create: (nowMs, count) => events.create(nowMs, count),
      async observe() {
        for (const body of await drainQueue(clients.sqs, tap.queueUrl)) {
          // Alerts of other runs on a shared target are not ours to judge.
          const alert = parseAlert(unwrapSnsMessage(body), runId);
          if (alert) alerts.push(alert);
        }
        return telemetryJudge(alerts, breachedMetrics);
      },
      close: () => tap.close(),
    };
  },
};
