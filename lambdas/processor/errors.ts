/**
 * The two kinds of failure a record can meet, and how the processor tells them apart.
 *
 * Non-retryable (the record itself is bad: retrying can never help) → dead-letter queue, then the
 * record counts as handled so it never blocks its shard. Everything else is retryable → the record
 * (and the later records of its partition key) is reported as a batch item failure.
 */

/** Thrown by an action when the event's data can never be processed (bad field, impossible state). */
export class PoisonEventError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonEventError';
  }
}

/**
 * Another invocation holds the record's idempotency claim, or changed the state it read, first.
 * Retrying later is the right answer, so it is retryable.
 */
export class ConcurrentUpdateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConcurrentUpdateError';
  }
}

export function isPoison(error: unknown): error is PoisonEventError {
  return error instanceof PoisonEventError;
}

/** A one-line description of an error for logs and DLQ messages (never the event payload). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
