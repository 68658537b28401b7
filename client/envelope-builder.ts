/**
 * Turns what an application wants to say into a CloudEvents envelope that the processor will accept,
 * using the processor's own validation (lambdas/shared/envelope.ts): a bad event fails here, at the
 * call site, instead of in the dead-letter queue.
 */
import { randomUUID } from 'node:crypto';
import {
  encodeEnvelope,
  MAX_RECORD_BYTES,
  partitionKeyOf,
  SPEC_VERSION,
  validateEnvelope,
  type CloudEvent,
} from '../lambdas/shared/envelope';
import { EventTooLargeError, EventValidationError } from './errors';

/** An event as an application writes it: only `type` is always needed (and `source`, unless the producer has a default). */
export interface EventInput<TData = unknown> {
  /** What happened, e.g. `order.status-changed`. */
  readonly type: string;
  /** The entity whose events must stay in order (the partition key), e.g. the order id. Default: the id (no ordering). */
  readonly subject?: string;
  readonly data?: TData;
  /** Unique per distinct event within its source. Default: a random UUID. Keep it when re-sending the same event. */
  readonly id?: string;
  /** Who produced it (URI reference). Default: the producer's `source`. */
  readonly source?: string;
  /** When it happened (RFC 3339 or a Date). Default: now. */
  readonly time?: string | Date;
  /** Default `application/json` when there is data. */
  readonly datacontenttype?: string;
  /** CloudEvents extension attributes and `specversion`, kept as given. */
  readonly [attribute: string]: unknown;
}

export interface BuildDefaults {
  readonly source?: string;
  /** For tests and replays of the past. Default `() => new Date()`. */
  readonly now?: () => Date;
}

export interface BuiltRecord {
  readonly event: CloudEvent;
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

/** Builds, validates and encodes one event. Throws EventValidationError or EventTooLargeError. */
export function buildEventRecord(input: EventInput, defaults: BuildDefaults = {}): BuiltRecord {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new EventValidationError('an event must be an object with at least a type', input);
  }
  const { time, ...given } = input;
  // An attribute passed as undefined means "not given", so it must not erase a default.
  const rest = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  const candidate: Record<string, unknown> = {
    specversion: SPEC_VERSION,
    id: randomUUID(),
    ...(defaults.source !== undefined ? { source: defaults.source } : {}),
    ...rest,
    time: time instanceof Date ? time.toISOString() : (time ?? (defaults.now?.() ?? new Date()).toISOString()),
  };
  if (candidate.data !== undefined && candidate.datacontenttype === undefined) candidate.datacontenttype = 'application/json';
  const result = validateEnvelope(candidate);
  if (!result.ok) throw new EventValidationError(result.reason, input);
  const event = result.event;
  const partitionKey = partitionKeyOf(event);
  const data = encodeEnvelope(event);
  const size = data.byteLength + Buffer.byteLength(partitionKey, 'utf8');
  if (size > MAX_RECORD_BYTES) throw new EventTooLargeError(size, MAX_RECORD_BYTES, event.id);
  return { event, partitionKey, data };
}
