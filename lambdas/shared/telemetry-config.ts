/**
 * The `telemetry` section of a pipeline's configuration (see lib/config/schema.ts for the rest).
 *
 * Written with zod/mini because the telemetry processor validates its configuration with this very
 * schema at run time: zod's classic API would add ~445 KiB to the Lambda bundle, zod/mini ~20 KiB.
 * Field comments feed the configuration reference like those in lib/config/schema.ts.
 */
import * as z from 'zod/mini';

const thresholdSchema = z
  .strictObject({
    /** A reading below this is a breach. */
    min: z.optional(z.number({ error: 'must be a number' })),
    /** A reading above this is a breach. */
    max: z.optional(z.number({ error: 'must be a number' })),
  })
  .check(
    z.refine((t) => t.min !== undefined || t.max !== undefined, { error: 'needs min, max or both' }),
    z.refine((t) => t.min === undefined || t.max === undefined || t.min < t.max, { error: 'min must be below max' }),
  );

export const telemetrySchema = z.strictObject({
  /** Per-metric limits; a reading outside them is a breach. */
  thresholds: z._default(z.record(z.string().check(z.minLength(1)), thresholdSchema), {
    temperatureC: { max: 90 },
    vibrationMmS: { max: 8 },
    pressureBar: { min: 1, max: 12 },
  }),
  /** A device's breaches of one metric within this window are one incident (seconds). Default 900. */
  incidentWindowSeconds: z._default(z.int().check(z.minimum(1), z.maximum(86_400)), 900),
});

export type TelemetryConfig = z.output<typeof telemetrySchema>;
/** One metric's limits. */
export type Threshold = TelemetryConfig['thresholds'][string];

/** The breach rule, written once: a reading above `max` or below `min` breaches its threshold. */
export function breaches(value: number, threshold: Threshold): boolean {
  return (threshold.max !== undefined && value > threshold.max) || (threshold.min !== undefined && value < threshold.min);
}
