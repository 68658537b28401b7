/**
 * The client's error types, one base class for the area (as Powertools' BatchProcessingError): what the
 * producer raises at the call site, and the report of events it could not deliver.
 */

/** Base of every error the client itself defines. */
export class ClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The event was rejected before sending: the envelope is invalid. `reason` names each bad field. */
export class EventValidationError extends ClientError {
  constructor(
    readonly reason: string,
    readonly input: unknown,
  ) {
    super(`Invalid event: ${reason}`);
  }
}

/** The event was rejected before sending: as one Kinesis record it would exceed the record size limit. */
export class EventTooLargeError extends ClientError {
  constructor(
    readonly sizeBytes: number,
    readonly limitBytes: number,
    readonly eventId: string,
  ) {
    super(`Event ${eventId} is ${sizeBytes} bytes as a Kinesis record (partition key + data); the limit is ${limitBytes} bytes`);
  }
}

/** Records the producer gave up on: the reason, the attempts made and what they carried. */
export interface DeliveryFailure<T> {
  readonly partitionKey: string;
  readonly reason: string;
  readonly attempts: number;
  /** What the caller enqueued (events for the EventProducer). */
  readonly items: readonly T[];
}

/** Raised by flush() and close() when some records could not be delivered since the last flush. */
export class DeliveryError<T> extends ClientError {
  constructor(readonly failures: readonly DeliveryFailure<T>[]) {
    const count = failures.reduce((n, f) => n + f.items.length, 0);
    const reasons = [...new Set(failures.map((f) => f.reason))].slice(0, 3).join('; ');
    super(`${count} record(s) could not be delivered after retries (${reasons})`);
  }

  /** Every undelivered item, in the order they were enqueued per key. */
  get items(): T[] {
    return this.failures.flatMap((f) => f.items);
  }
}

/** send() after close(). */
export class ProducerClosedError extends ClientError {
  constructor() {
    super('The producer is closed');
  }
}

/** send() waited `waitedMs` for room in a full spool (its unacknowledged records fill `maxBytes`) and gave up. */
export class SpoolFullError extends ClientError {
  constructor(
    readonly directory: string,
    readonly maxBytes: number,
    readonly waitedMs: number,
  ) {
    super(`The spool ${directory} is full (${maxBytes} bytes of unacknowledged records): waited ${waitedMs} ms for Kinesis to acknowledge some`);
  }
}

/** Another live process holds the spool directory: one producer per spool. */
export class SpoolLockedError extends ClientError {
  constructor(
    readonly directory: string,
    readonly ownerPid: number,
  ) {
    super(`The spool ${directory} is in use by process ${ownerPid}: one producer per spool directory`);
  }
}
