/**
 * The processor's error types, one base class for the area (as Powertools' BatchProcessingError).
 * Which errors are retried and which make a record poison is decided in ./failure-policy.ts, not here.
 */

/** Base of every error the processor itself defines. */
export class ProcessorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Thrown by an action when the event's data can never be processed (bad field, impossible state). */
export class PoisonEventError extends ProcessorError {}

/**
 * Another invocation holds the record's idempotency claim, or changed the state it read, first.
 * Retrying later is the right answer, so it is retryable.
 */
export class ConcurrentUpdateError extends ProcessorError {}

/**
 * A store (DynamoDB, SNS, SQS) cannot take a write for a reason that repeats on every retry: the item
 * breaks one of the store's limits. Raised before sending when the processor can tell (./storable.ts),
 * or derived from the store's own answer (./failure-policy.ts).
 */
export class StoreRejectedError extends ProcessorError {}

/** A missing or malformed processor setting (an environment variable the stack sets). */
export class SettingsError extends ProcessorError {}

/** A one-line description of an error for logs and DLQ messages (never the event payload). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
