/**
 * The event envelope: CloudEvents 1.0 in structured JSON mode, one event per Kinesis record.
 *
 * Shared by the processor (which decodes and validates what arrives) and the producer client (which
 * builds and validates what it sends), so both sides agree on every rule.
 *
 * Required: specversion ("1.0"), id, source, type. Used when present: time, subject, data.
 * The Kinesis partition key is the subject: the entity whose events must stay in order.
 * Idempotency key: source + id (CloudEvents: producers ensure source+id is unique per distinct event).
 */
// zod/mini: the same validation as zod's classic API, tree-shaken to ~18 KiB instead of ~445 KiB of
// the Lambda bundle (smaller bundle, shorter cold start).
import * as z from 'zod/mini';

export const SPEC_VERSION = '1.0';

/** Kinesis' limit on one record (partition key + data), default quota. */
export const MAX_RECORD_BYTES = 1024 * 1024;
export const MAX_PARTITION_KEY_LENGTH = 256;

/** An unpaired UTF-16 surrogate: it has no UTF-8 form, so no store or key can hold it as written. */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const wellFormed = z.refine<string>((value) => !UNPAIRED_SURROGATE.test(value), { error: 'must be well-formed Unicode (no unpaired surrogate)' });

/** A string that must not be empty, with one message for both the wrong type and the empty string. */
const nonEmptyString = (error: string) => z.string({ error }).check(z.minLength(1, { error }), wellFormed);

export const cloudEventSchema = z.looseObject({
  specversion: z.literal(SPEC_VERSION, { error: `must be "${SPEC_VERSION}"` }),
  id: nonEmptyString('must be a non-empty string'),
  source: nonEmptyString('must be a non-empty URI-reference string'),
  type: nonEmptyString('must be a non-empty string'),
  time: z.optional(
    z.iso
      .datetime({ offset: true, error: 'must be an RFC 3339 timestamp', abort: true })
      // The format admits instants no clock can hold (second 60, year 0000 in some offsets): order needs a real one.
      .check(z.refine((value) => Number.isFinite(Date.parse(value)), { error: 'must be an RFC 3339 timestamp of a real instant' })),
  ),
  subject: z.optional(
    z
      .string({ error: 'must be a string' })
      .check(
        z.minLength(1, { error: 'must not be empty' }),
        z.maxLength(MAX_PARTITION_KEY_LENGTH, { error: `must be at most ${MAX_PARTITION_KEY_LENGTH} characters (it is the partition key)` }),
        wellFormed,
      ),
  ),
  datacontenttype: z.optional(z.string({ error: 'must be a string' })),
  data: z.optional(z.unknown()),
});

/** A validated CloudEvent. Extension attributes are kept (CloudEvents allows them) but not typed. */
export interface CloudEvent<TData = unknown> {
  specversion: typeof SPEC_VERSION;
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  data?: TData;
  [extension: string]: unknown;
}

/**
 * `stage` says which rule failed: `decode` (the bytes are not UTF-8 JSON) or `validate` (JSON, but
 * not a valid envelope), so a consumer can tell garbage from a producer bug.
 */
export type EnvelopeResult = { ok: true; event: CloudEvent } | { ok: false; reason: string; stage: 'decode' | 'validate' };

/**
 * Where a `__proto__` own property sits in a parsed value, if anywhere. JSON can carry such a key, but a
 * JavaScript consumer cannot hold it as data: copying it into an object changes the object's prototype
 * instead (zod and the AWS SDK both drop it silently). Refused at the door rather than lost on the way.
 */
function protoKeyPath(value: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (!Array.isArray(current) && Object.prototype.hasOwnProperty.call(current, '__proto__')) return `${path}.__proto__`.slice(1);
    for (const [key, child] of Object.entries(current)) stack.push({ value: child, path: Array.isArray(current) ? `${path}[${key}]` : `${path}.${key.slice(0, 40)}` });
  }
  return undefined;
}

/** Validates a parsed JSON value as a CloudEvent; the reason names each bad field. */
export function validateEnvelope(value: unknown): EnvelopeResult {
  const result = validateShape(value);
  if (!result.ok) return result;
  const proto = protoKeyPath(value);
  return proto === undefined ? result : protoKeyRefusal(proto);
}

const protoKeyRefusal = (path: string): EnvelopeResult => ({
  ok: false,
  reason: `${path}: a "__proto__" key cannot be carried as data (JavaScript consumers drop it or change an object's prototype); rename it`,
  stage: 'validate',
});

function validateShape(value: unknown): EnvelopeResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'envelope must be a JSON object', stage: 'validate' };
  }
  const result = cloudEventSchema.safeParse(value);
  if (result.success) return { ok: true, event: result.data };
  const reasons = result.error.issues.map((issue) => {
    const field = issue.path.join('.') || 'envelope';
    const missing = issue.code === 'invalid_type' && (value as Record<string, unknown>)[String(issue.path[0])] === undefined;
    return missing ? `${field}: is required` : `${field}: ${issue.message}`;
  });
  return { ok: false, reason: reasons.join('; '), stage: 'validate' };
}

/** Decodes one record's bytes (UTF-8 JSON) into a validated CloudEvent. */
export function decodeEnvelope(bytes: Uint8Array): EnvelopeResult {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, reason: 'record data is not valid UTF-8', stage: 'decode' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `record data is not JSON: ${(error as Error).message}`, stage: 'decode' };
  }
  const result = validateShape(parsed);
  // The key can only be there if the text spells it, plainly or with \u escapes: skip the walk otherwise.
  if (!result.ok || (!text.includes('__proto__') && !text.includes('\\u'))) return result;
  const proto = protoKeyPath(parsed);
  return proto === undefined ? result : protoKeyRefusal(proto);
}

/** Encodes an event as the bytes of one Kinesis record. */
export function encodeEnvelope(event: CloudEvent): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(event));
}

/** The partition key that keeps an entity's events in order: the subject, else the id. */
export function partitionKeyOf(event: CloudEvent): string {
  return event.subject ?? event.id;
}

/** The idempotency key (CloudEvents uniqueness rule: source + id). */
export function idempotencyKeyOf(event: Pick<CloudEvent, 'source' | 'id'>): string {
  return `${event.source}#${event.id}`;
}
