/**
 * What the `returns` pipeline reads and publishes: its event type and its spike alert (a contract with
 * the producers, the subscribers of the alerts topic and the npm start scenario).
 */
export const ReturnEventType = { Returned: 'order.returned' } as const;
export const SPIKE_ALERT_KIND = 'stream-pipeline.spike-alert';

/** The alert published once per SKU and window that spikes. */
export interface SpikeAlert {
  readonly kind: typeof SPIKE_ALERT_KIND;
  readonly pipeline: string;
  readonly alertId: string;
  readonly sku: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly count: number;
  readonly baseline: number;
  readonly threshold: number;
  readonly topReasons: readonly { readonly reason: string; readonly count: number }[];
}

