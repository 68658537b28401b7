/**
 * The `telemetry` action's messages: the event type it reads, and the alert it publishes once per incident
 * on the pipeline's alerts topic (a contract with whoever subscribes: an operations team, the `npm start`
 * reconciliation). Its configuration and breach rule are in ./telemetry-config.ts.
 */
import type { Threshold } from './telemetry-config';

/** Event types the `telemetry` action reads. */
export const TelemetryEventType = { Reading: 'equipment.reading' } as const;

/** `kind` of every telemetry alert, and the value of its `kind` SNS message attribute. */
export const TELEMETRY_ALERT_KIND = 'stream-pipeline.telemetry-alert';

/** The alert published once per incident (SNS message body, JSON). */
export interface TelemetryAlert {
  readonly kind: typeof TELEMETRY_ALERT_KIND;
  readonly pipeline: string;
  readonly incidentId: string;
  readonly device: string;
  readonly metric: string;
  readonly value: number;
  readonly threshold: Threshold;
  readonly eventId: string;
  readonly eventTime: string;
}
