/**
 * Defaults of the processor settings, declared once: the configuration schema (lib/config/schema.ts)
 * uses them for its defaults and the processor (lambdas/processor/settings.ts) for an unset variable.
 */
export const ProcessorDefaults = {
  /** How long a completed idempotency key is remembered (hours). */
  idempotencyTtlHours: 48,
  /** How long an in-progress claim blocks another record with the same key when no processor timeout is known (seconds). */
  leaseSeconds: 60,
  /** Partition keys processed at once. */
  keyConcurrency: 16,
  /** Stop starting records when less than this remains of the invocation (ms). */
  timeMarginMs: 5000,
  /** How far an event's `time` may be ahead of the processor's clock before it is refused as `time-in-future` (seconds). */
  clockSkewAllowanceSeconds: 300,
} as const;
