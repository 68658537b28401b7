/**
 * The `telemetry` action: equipment readings checked against per-metric thresholds; a breach opens an
 * incident and publishes ONE alert (SNS) per device and metric incident, not one per reading.
 *
 * Event: type `equipment.reading`, `data.readings` = { metricName: number }, device = `data.deviceId`
 * or else `subject` (use the device id as subject so a device's readings stay in order).
 * Incident item (state table): pk `${device}#${metric}`, opened at the first breach; later breaches
 * extend it; a reading back within limits closes it (deletes the item); after `incidentWindowSeconds`
 * without a breach it lapses (and DynamoDB TTL `expiresAt` removes it), so the next breach is a new
 * incident with a new alert.
 *
 * Delivery: external action, at-least-once. The alert is published before the incident is stored, so
 * a crash in between can repeat one alert; no alert is ever lost.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
// zod/mini keeps the bundle small (see lambdas/shared/telemetry-config.ts); messages are stated per rule.
import * as z from 'zod/mini';
import { TELEMETRY_ALERT_KIND, TelemetryEventType, type TelemetryAlert } from '../shared/telemetry-events';
import { breaches, telemetrySchema, type TelemetryConfig, type Threshold } from '../shared/telemetry-config';
import type { ActionEvent, ActionFactory, ExternalAction, StateAccess } from './action';
import { PoisonEventError } from '../processor/errors';
import { requireStateTable, SettingsError } from '../processor/settings';
import { ProcessorEnv } from '../shared/environment';

const readingSchema = z.object(
  {
    deviceId: z.optional(
      z
        .string({ error: 'must be a non-empty string' })
        .check(
          z.minLength(1, { error: 'must be a non-empty string' }),
          // It names the incident's state item and goes into SNS message attributes: it must be encodable.
          z.refine((id) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(id), { error: 'must be well-formed Unicode (no unpaired surrogate)' }),
        ),
    ),
    readings: z.record(z.string(), z.number({ error: 'must be a number' }), { error: 'must be an object of metric: number' }),
  },
  { error: 'must be an object with readings' },
);

function parseReading(event: ActionEvent): { device: string; readings: Record<string, number> } {
  const parsed = readingSchema.safeParse(event.event.data);
  if (!parsed.success) throw new PoisonEventError(`data: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'data'} ${i.message}`).join('; ')}`);
  const device = parsed.data.deviceId ?? event.event.subject;
  if (!device) throw new PoisonEventError('readings need a device: `data.deviceId` or `subject`');
  return { device, readings: parsed.data.readings };
}

export function parseTelemetryConfig(json: string | undefined): TelemetryConfig {
  if (!json) throw new SettingsError(`The telemetry action needs ${ProcessorEnv.TelemetryConfig}`);
  const parsed = telemetrySchema.safeParse(JSON.parse(json));
  if (!parsed.success) throw new SettingsError(`${ProcessorEnv.TelemetryConfig} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'telemetry'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export function createTelemetryAction(options: { pipeline: string; config: TelemetryConfig; sns: SNSClient; topicArn: string }): ExternalAction {
  const { config, sns, topicArn, pipeline } = options;
  const windowMs = config.incidentWindowSeconds * 1000;

  async function checkMetric(event: ActionEvent, device: string, metric: string, value: number, threshold: Threshold, state: StateAccess): Promise<void> {
    const key = `${device}#${metric}`;
    const at = Date.parse(event.event.time ?? new Date(event.record.arrivalMs).toISOString());
    const incident = state.get(key);
    const open = incident !== undefined && typeof incident.lastBreachAt === 'number' && at < incident.lastBreachAt + windowMs;
    if (!breaches(value, threshold)) {
      if (incident) await state.delete(key);
      return;
    }
    const expiresAt = Math.ceil((Math.max(at, Date.now()) + windowMs) / 1000);
    if (open) {
      await state.put(key, { ...incident, lastBreachAt: Math.max(at, incident.lastBreachAt as number), lastValue: value, breaches: Number(incident.breaches ?? 1) + 1, expiresAt });
      return;
    }
    const incidentId = `${key}#${event.event.id}`;
    const alert: TelemetryAlert = {
      kind: TELEMETRY_ALERT_KIND,
      pipeline,
      incidentId,
      device,
      metric,
      value,
      threshold,
      eventId: event.event.id,
      eventTime: new Date(at).toISOString(),
    };
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        // SNS subjects: printable ASCII, at most 100 characters; anything else is rejected.
        Subject: `Threshold breach: ${device} ${metric}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 100),
        Message: JSON.stringify(alert),
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: TELEMETRY_ALERT_KIND },
          device: { DataType: 'String', StringValue: device },
          metric: { DataType: 'String', StringValue: metric },
        },
      }),
    );
    await state.put(key, { incidentId, device, metric, openedAt: at, lastBreachAt: at, lastValue: value, breaches: 1, alertedAt: Date.now(), expiresAt });
  }

  return {
    kind: 'external',
    eventTypes: [TelemetryEventType.Reading],
    stateKeys(event) {
      try {
        const { device, readings } = parseReading(event);
        return Object.keys(readings)
          .filter((metric) => config.thresholds[metric] !== undefined)
          .map((metric) => `${device}#${metric}`);
      } catch {
        return [];
      }
    },
    async run(event, state) {
      const { device, readings } = parseReading(event);
      for (const [metric, value] of Object.entries(readings)) {
        const threshold = config.thresholds[metric];
        if (threshold) await checkMetric(event, device, metric, value, threshold, state);
      }
      return 'processed';
    },
  };
}

/** The telemetry action publishing with `sns` (created once per container by the Lambda entry). */
export const telemetry = (sns: SNSClient): ActionFactory => (settings) => {
  if (!settings.alertsTopicArn) throw new SettingsError(`The telemetry action needs ${ProcessorEnv.AlertsTopicArn}`);
  requireStateTable(settings, 'telemetry');
  return createTelemetryAction({
    pipeline: settings.pipelineName,
    config: parseTelemetryConfig(settings.telemetryConfigJson),
    sns,
    topicArn: settings.alertsTopicArn,
  });
};
