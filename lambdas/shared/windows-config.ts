/**
 * The `windows` and `spike` sections of a pipeline's configuration (see lib/config/schema.ts for the
 * rest): event-time windows of a windowed action, and the spike rule of the `returns` action.
 *
 * zod/mini, like lambdas/shared/telemetry-config.ts: the processor validates its configuration with
 * this very schema at run time. Field comments feed the configuration reference.
 */
import * as z from 'zod/mini';

const fieldName = z.string({ error: 'must be a field name' }).check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { error: 'must be a field name of data (letters, digits, _)' }));

export const windowsSchema = z
  .strictObject({
    /** The window key: a field of the event's `data` (for example `sku`). Default: the event's `subject`. */
    keyField: z.optional(fieldName),
    /**
     * Window size in event time (seconds, 1–86,400). Default 600. The closer runs every minute, so a window
     * shorter than that may close up to a minute after it is due (the `npm start` scenario runs 10 s windows).
     */
    sizeSeconds: z._default(z.int().check(z.minimum(1), z.maximum(86_400)), 600),
    /**
     * Hopping windows: a new window starts every `slideSeconds` (it must divide `sizeSeconds`), so an event
     * counts in sizeSeconds / slideSeconds windows. Default: equal to the size (tumbling windows).
     */
    slideSeconds: z.optional(z.int().check(z.minimum(1), z.maximum(86_400))),
    /** Numeric fields of `data` summed per window (with their min and max). Default none: count only. */
    sumFields: z._default(z.array(fieldName).check(z.maxLength(5)), []),
    /** A field of `data` whose most frequent values each window keeps (for example `reason`). Default none. */
    topField: z.optional(fieldName),
    /** Watermark: how far out of order (seconds of event time) events may arrive and still be on time. Default 60. */
    outOfOrderSeconds: z._default(z.int().check(z.minimum(0), z.maximum(3600)), 60),
    /** After the watermark passes a window's end, events for it still count for this long (seconds). Default 300. */
    allowedLatenessSeconds: z._default(z.int().check(z.minimum(0), z.maximum(86_400)), 300),
    /**
     * A shard with no events for this long (seconds of wall-clock time) stops holding the watermark back; with no
     * events at all, the watermark follows the clock minus this, so windows still close. Default 120.
     */
    idleTimeoutSeconds: z._default(z.int().check(z.minimum(10), z.maximum(3600)), 120),
    /** How long closed window results are kept (hours). Default 168 (7 days). */
    resultRetentionHours: z._default(z.int().check(z.minimum(1), z.maximum(24 * 400)), 168),
  })
  .check(
    z.refine((w) => w.slideSeconds === undefined || w.slideSeconds <= w.sizeSeconds, { error: 'slideSeconds must be at most sizeSeconds', path: ['slideSeconds'] }),
    z.refine((w) => w.slideSeconds === undefined || w.sizeSeconds % w.slideSeconds === 0, { error: 'slideSeconds must divide sizeSeconds', path: ['slideSeconds'] }),
    z.refine((w) => (w.slideSeconds === undefined ? 1 : w.sizeSeconds / w.slideSeconds) <= 24, { error: 'at most 24 windows per event (sizeSeconds / slideSeconds)', path: ['slideSeconds'] }),
  );

export const spikeSchema = z
  .strictObject({
    /** A window never counts as a spike below this many events. Default 20. */
    minimumVolume: z._default(z.int().check(z.minimum(1), z.maximum(1_000_000)), 20),
    /** A spike is a running count reaching this many times the key's baseline. Default 3. */
    factor: z._default(z.number().check(z.minimum(1), z.maximum(1000)), 3),
    /** Weight of the newest closed window in the key's baseline (exponentially weighted average, 0–1). Default 0.3. */
    baselineWeight: z._default(z.number().check(z.gt(0), z.lte(1)), 0.3),
    /** How many of the most frequent `topField` values an alert and a result carry. Default 3. */
    topValues: z._default(z.int().check(z.minimum(1), z.maximum(20)), 3),
  })
  .check(z.refine((s) => Number.isFinite(s.factor), { error: 'factor must be finite' }));

export type WindowsConfig = z.output<typeof windowsSchema>;
export type SpikeConfig = z.output<typeof spikeSchema>;

/** Parses JSON of a `windows` section (what the stack puts in the processor's environment). */
export function parseWindowsConfig(json: string): WindowsConfig {
  return windowsSchema.parse(JSON.parse(json));
}

export function parseSpikeConfig(json: string): SpikeConfig {
  return spikeSchema.parse(JSON.parse(json));
}

/**
 * The spike rule's threshold: max(minimum volume, factor × baseline), the baseline being the key's
 * exponentially weighted average of its closed windows (none yet: 0). The returns action alerts when a
 * window's running count reaches it; the npm start scenario's judge and report read it from here.
 */
export function spikeThreshold(spike: SpikeConfig, baseline: number | undefined): number {
  return Math.max(spike.minimumVolume, spike.factor * (baseline ?? 0));
}
