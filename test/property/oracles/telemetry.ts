/**
 * The `telemetry` oracle: one alert per incident. Incidents are replayed from the applied readings in
 * stream order with the rule of lambdas/actions/telemetry.ts: a breach of a device's metric opens an
 * incident and alerts, breaches within `incidentWindowSeconds` of the last one extend it silently, a
 * reading within limits closes it. A reading the store refused may have alerted once before its
 * write was refused (the alert goes out first), once per record dead-lettered (contract 9: a
 * redelivery of that record does not run the action again; a producer's repeat of it, a new record,
 * does: contract 8): never more.
 */
import type { TelemetryConfig } from '../../../lambdas/shared/telemetry-config';
import type { TelemetryAlert } from '../../../lambdas/shared/telemetry-events';
import type { SentUser } from '../support/materialize';
import { where } from './delivery';

interface ExpectedAlert {
  readonly incident: string;
  readonly eventId: string;
  readonly from: SentUser;
}

function breaches(value: number, threshold: { min?: number; max?: number }): boolean {
  return (threshold.max !== undefined && value > threshold.max) || (threshold.min !== undefined && value < threshold.min);
}

interface Reading {
  readonly deviceId?: string;
  readonly readings: Record<string, number>;
}

/** The device a reading belongs to, as the action reads it. */
export const deviceOf = (user: Pick<SentUser, 'event'>): string => (user.event!.data as Reading).deviceId ?? user.event!.subject!;

export function expectedAlerts(applied: readonly SentUser[], config: TelemetryConfig): ExpectedAlert[] {
  const windowMs = config.incidentWindowSeconds * 1000;
  const open = new Map<string, { lastBreachAt: number }>();
  const alerts: ExpectedAlert[] = [];
  for (const user of applied) {
    const event = user.event!;
    const data = event.data as Reading;
    const device = deviceOf(user);
    const at = event.time !== undefined ? Date.parse(event.time) : user.arrivalMs;
    for (const metric of Object.keys(data.readings)) {
      if (!Object.hasOwn(config.thresholds, metric)) continue;
      const incident = `${device}#${metric}`;
      const current = open.get(incident);
      if (!breaches(data.readings[metric]!, config.thresholds[metric]!)) {
        open.delete(incident);
        continue;
      }
      if (current && at < current.lastBreachAt + windowMs) {
        current.lastBreachAt = Math.max(at, current.lastBreachAt);
        continue;
      }
      open.set(incident, { lastBreachAt: at });
      alerts.push({ incident, eventId: event.id, from: user });
    }
  }
  return alerts;
}

/**
 * Alerts of devices whose readings have no promised order (sent under several Kinesis partition keys, e.g.
 * in KPL aggregates led by other keys, with a parallelization factor above 1): which reading opens an
 * incident depends on the order they ran in, and two invocations may run readings of one incident at
 * once: the loser of the incident write has published its alert already and runs again on its retry
 * (at-least-once, lambdas/actions/telemetry.ts). Each alert must come from a reading of the device that
 * breaches the metric; each metric an applied reading breached alerted at least once.
 */
function judgeUnorderedAlerts(seen: Map<string, number>, applied: readonly SentUser[], refused: readonly SentUser[], config: TelemetryConfig, unordered: ReadonlySet<string>): string[] {
  const violations: string[] = [];
  const breachingReadings = new Set<string>();
  const breachedIncidents = new Set<string>();
  for (const user of [...applied, ...refused]) {
    const device = deviceOf(user);
    if (!unordered.has(device)) continue;
    for (const [metric, value] of Object.entries((user.event!.data as Reading).readings)) {
      if (!Object.hasOwn(config.thresholds, metric) || !breaches(value, config.thresholds[metric]!)) continue;
      breachingReadings.add(`${device}#${metric} ← ${user.event!.id}`);
      if (applied.includes(user)) breachedIncidents.add(`${device}#${metric}`);
    }
  }
  for (const [key, count] of [...seen]) {
    const incident = key.slice(0, key.indexOf(' ← '));
    if (!unordered.has(incident.slice(0, incident.lastIndexOf('#')))) continue;
    seen.delete(key);
    breachedIncidents.delete(incident);
    if (!breachingReadings.has(key)) violations.push(`${count} alert(s) no breaching reading of its device made: ${key.slice(0, 120)}`);
  }
  for (const incident of breachedIncidents) violations.push(`no alert at all for ${incident.slice(0, 80)}, though applied readings breached it`);
  return violations;
}

export function judgeAlerts(published: readonly string[], applied: readonly SentUser[], refused: readonly SentUser[], config: TelemetryConfig, unordered: ReadonlySet<string> = new Set()): string[] {
  const violations: string[] = [];
  const expected = expectedAlerts(
    applied.filter((u) => !unordered.has(deviceOf(u))),
    config,
  );
  const seen = new Map<string, number>();
  for (const body of published) {
    let alert: TelemetryAlert;
    try {
      alert = JSON.parse(body) as TelemetryAlert;
    } catch {
      violations.push(`an alert that is not JSON: ${body.slice(0, 120)}`);
      continue;
    }
    const key = `${alert.device}#${alert.metric} ← ${alert.eventId}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  violations.push(...judgeUnorderedAlerts(seen, applied, refused, config, unordered));
  for (const alert of expected) {
    const key = `${alert.incident} ← ${alert.eventId}`;
    const count = seen.get(key) ?? 0;
    seen.delete(key);
    if (count === 0) violations.push(`${where(alert.from)}: no alert for the incident it opens (${alert.incident.slice(0, 60)})`);
    else if (count > 1) violations.push(`${where(alert.from)}: ${count} alerts for one incident (${alert.incident.slice(0, 60)})`);
  }
  const refusedById = new Map<string, SentUser[]>();
  for (const user of refused) refusedById.set(user.event!.id, [...(refusedById.get(user.event!.id) ?? []), user]);
  for (const [key, count] of seen) {
    const eventId = key.slice(key.indexOf(' ← ') + 3);
    const from = refusedById.get(eventId) ?? [];
    if (from.length > 0 && count <= from.length) continue;
    violations.push(from.length > 0 ? `${where(from[0]!)}: ${count} alerts from a reading the store refused ${from.length} time(s)` : `${count} unexpected alert(s): ${key.slice(0, 120)}`);
  }
  return violations;
}
