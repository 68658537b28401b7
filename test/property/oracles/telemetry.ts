/**
 * The `telemetry` oracle: one alert per incident. Incidents are replayed from the applied readings in
 * stream order with the rule of lambdas/actions/telemetry.ts: a breach of a device's metric opens an
 * incident and alerts, breaches within `incidentWindowSeconds` of the last one extend it silently, a
 * reading within limits closes it. A reading the store refused may have alerted once before its
 * write was refused (the alert goes out first): never twice.
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

export function expectedAlerts(applied: readonly SentUser[], config: TelemetryConfig): ExpectedAlert[] {
  const windowMs = config.incidentWindowSeconds * 1000;
  const open = new Map<string, { lastBreachAt: number }>();
  const alerts: ExpectedAlert[] = [];
  for (const user of applied) {
    const event = user.event!;
    const data = event.data as { deviceId?: string; readings: Record<string, number> };
    const device = data.deviceId ?? event.subject!;
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

export function judgeAlerts(published: readonly string[], applied: readonly SentUser[], refused: readonly SentUser[], config: TelemetryConfig): string[] {
  const violations: string[] = [];
  const expected = expectedAlerts(applied, config);
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
  for (const alert of expected) {
    const key = `${alert.incident} ← ${alert.eventId}`;
    const count = seen.get(key) ?? 0;
    seen.delete(key);
    if (count === 0) violations.push(`${where(alert.from)}: no alert for the incident it opens (${alert.incident.slice(0, 60)})`);
    else if (count > 1) violations.push(`${where(alert.from)}: ${count} alerts for one incident (${alert.incident.slice(0, 60)})`);
  }
  const refusedById = new Map(refused.map((u) => [u.event!.id, u]));
  for (const [key, count] of seen) {
    const eventId = key.slice(key.indexOf(' ← ') + 3);
    const from = refusedById.get(eventId);
    if (from && count === 1) continue;
    violations.push(from ? `${where(from)}: ${count} alerts from a reading the store refused` : `${count} unexpected alert(s): ${key.slice(0, 120)}`);
  }
  return violations;
}
