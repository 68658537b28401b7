/**
 * CloudEvents envelopes around an action's events: rendered as JSON text field by field, and bent
 * by a stranger's producer: missing or wrongly typed fields, specversion variants, non-object JSON,
 * `__proto__` keys, unknown types, huge or control-character ids, JS-special extension keys, lone
 * surrogates in the identity, and times in the future.
 */
import * as fc from 'fast-check';
import { PoisonReason } from '../../../lambdas/shared/dlq-message';
import { canonicalJson, jsonArray, jsonObject, jsonString, summarized, type JsonText } from '../support/json-text';
import { poison, RUN, timePlaceholder, type Expectation, type UserPlan } from '../support/plan';
import { JS_SPECIAL_KEYS, LONE_SURROGATE_STRINGS, plainKey, plainValue } from './values';

/** An action's event before it gets its id: what it is and what the contract expects of it. */
export interface EventParts {
  readonly label: string;
  readonly expect: Expectation;
  readonly type: string;
  readonly source?: string;
  readonly subject?: string;
  /** JSON text of `time` (usually a time placeholder string); absent: no `time`. */
  readonly time?: JsonText;
  /** JSON text of `data`; absent: no `data`. */
  readonly data?: JsonText;
  readonly partitionKey: string;
}

/** A user record waiting for its unique id (the mixer numbers them). */
export type UserTemplate = (id: string) => UserPlan;

export const DEFAULT_SOURCE = '/fuzz/producer';

export const eventId = (id: string): string => `${RUN}-${id}`;

type Fields = [string, JsonText][];

export function envelopeFields(parts: EventParts, id: string): Fields {
  const fields: Fields = [
    ['specversion', jsonString('1.0')],
    ['id', jsonString(eventId(id))],
    ['source', jsonString(parts.source ?? DEFAULT_SOURCE)],
    ['type', jsonString(parts.type)],
  ];
  if (parts.time !== undefined) fields.push(['time', parts.time]);
  if (parts.subject !== undefined) fields.push(['subject', jsonString(parts.subject)]);
  if (parts.data !== undefined) fields.push(['data', parts.data]);
  return fields;
}

export function userPlan(label: string, partitionKey: string, text: string, expect: Expectation): UserPlan {
  return { label, partitionKey, payload: { text: summarized(text) }, expect };
}

/**
 * The same JSON with CRLF line breaks and indentation, when re-serializing keeps its meaning (it does
 * not for what only JSON text can say, like 1e400, nor for nesting too deep to serialize).
 */
function prettyPrinted(compact: string): string {
  try {
    const pretty = JSON.stringify(JSON.parse(compact), null, 2).replace(/\n/g, '\r\n');
    return canonicalJson(JSON.parse(pretty)) === canonicalJson(JSON.parse(compact)) ? pretty : compact;
  } catch {
    return compact;
  }
}

/** The event as its producer meant it. */
export const asIs = (parts: EventParts): UserTemplate => (id) => userPlan(parts.label, parts.partitionKey, jsonObject(envelopeFields(parts, id)), parts.expect);

/** The event with its fields changed by `change`, labelled and with a new expectation. */
function bent(parts: EventParts, label: string, expect: Expectation, change: (fields: Fields, id: string) => Fields): UserTemplate {
  return (id) => userPlan(`${label} (${parts.label})`, parts.partitionKey, jsonObject(change(envelopeFields(parts, id), id)), expect);
}

const replace = (fields: Fields, key: string, value: JsonText): Fields => fields.map(([k, v]) => [k, k === key ? value : v]);
const without = (fields: Fields, key: string): Fields => fields.filter(([k]) => k !== key);

const invalid = poison(PoisonReason.InvalidEnvelope);

/** Not a CloudEvent 1.0: each way a required field can be missing or wrong, and wrong optional fields. */
export function invalidEnvelope(events: fc.Arbitrary<EventParts>): fc.Arbitrary<UserTemplate> {
  const wrongTypes = ['5', '{}', '[]', 'null', 'true', '""'];
  return fc.oneof(
    fc.tuple(events, fc.constantFrom('specversion', 'id', 'source', 'type')).map(([parts, key]) => bent(parts, `envelope/missing ${key}`, invalid, (f) => without(f, key))),
    fc
      .tuple(events, fc.constantFrom('"1"', '"1.0.0"', '1.0', '1', '"0.3"', '" 1.0"', '"1.0 "', '"v1.0"', 'null', '"1.0\\u0000"', '"１.０"'))
      .map(([parts, version]) => bent(parts, `envelope/specversion ${version}`, invalid, (f) => replace(f, 'specversion', version))),
    fc
      .tuple(events, fc.constantFrom('id', 'source', 'type'), fc.constantFrom(...wrongTypes))
      .map(([parts, key, value]) => bent(parts, `envelope/${key} ${value}`, invalid, (f) => replace(f, key, value))),
    fc
      .tuple(events, fc.constantFrom('"yesterday"', '"2026-02-30T00:00:00Z"', '"2026-01-01 00:00:00Z"', '1767225600', '"2026-01-01T00:00:60Z"', '""', '"2026-01-01T00:00:00"', '{}'))
      .map(([parts, time]) => bent(parts, `envelope/time ${time}`, invalid, (f) => [...without(f, 'time'), ['time', time]])),
    fc
      .tuple(events, fc.constantFrom('""', '5', 'null', jsonString('s'.repeat(257))))
      .map(([parts, subject]) => bent(parts, `envelope/subject ${subject.length > 20 ? `of ${subject.length - 2} characters` : subject}`, invalid, (f) => [...without(f, 'subject'), ['subject', subject]])),
    events.map((parts) => bent(parts, 'envelope/datacontenttype 5', invalid, (f) => [...f, ['datacontenttype', '5']])),
    // JSON.parse keeps the last of repeated keys: the envelope ends invalid.
    events.map((parts) => bent(parts, 'envelope/specversion repeated, last "2.0"', invalid, (f) => [...f, ['specversion', jsonString('2.0')]])),
    protoKeyEnvelope(events),
  );
}

/** `data` with one more field (raw key text, e.g. `"k"`) first, made an object if it was none. */
function withDataField(data: JsonText | undefined, keyText: string, value: JsonText): JsonText {
  const field = `${keyText}:${value}`;
  if (data === undefined || !data.startsWith('{')) return `{${field}}`;
  return data === '{}' ? `{${field}}` : `{${field},${data.slice(1)}`;
}

/**
 * A `__proto__` own key anywhere in the event: contract 1 (lambdas/shared/envelope.ts) refuses it as
 * `invalid-envelope`, because a JavaScript consumer would drop it silently or change an object's
 * prototype. In data, nested in an array, spelled with a `\u` escape, or as an extension attribute.
 */
function protoKeyEnvelope(events: fc.Arbitrary<EventParts>): fc.Arbitrary<UserTemplate> {
  const proto = jsonString('__proto__');
  return fc.oneof(
    fc.tuple(events, plainValue).map(([parts, value]) => bent(parts, 'envelope/extension "__proto__"', invalid, (f) => [...f, ['__proto__', value]])),
    fc.tuple(events, plainValue).map(([parts, value]) => bent(parts, 'envelope/data key "__proto__"', invalid, (f) => replaceOrAdd(f, 'data', withDataField(parts.data, proto, value)))),
    fc
      .tuple(events, plainKey, plainValue)
      .map(([parts, key, value]) => bent(parts, 'envelope/data key "__proto__" in an array', invalid, (f) => replaceOrAdd(f, 'data', withDataField(parts.data, jsonString(key), `[{${proto}:${value}}]`)))),
    fc.tuple(events, plainValue).map(([parts, value]) => bent(parts, 'envelope/data key "__pro\\u0074o__"', invalid, (f) => replaceOrAdd(f, 'data', withDataField(parts.data, '"__pro\\u0074o__"', value)))),
  );
}

const replaceOrAdd = (fields: Fields, key: string, value: JsonText): Fields => (fields.some(([k]) => k === key) ? replace(fields, key, value) : [...fields, [key, value]]);

/** JSON that is not an object: a scalar, an array, an event wrapped in an array. */
export function nonObjectJson(events: fc.Arbitrary<EventParts>): fc.Arbitrary<UserTemplate> {
  return fc.oneof(
    fc.tuple(fc.constantFrom('null', '5', '"an event"', '[]', 'true', '1e400', '-0'), events).map(
      ([text, parts]): UserTemplate =>
        () =>
          userPlan(`json/${text}`, parts.partitionKey, text, invalid),
    ),
    events.map((parts): UserTemplate => (id) => userPlan(`json/event in an array (${parts.label})`, parts.partitionKey, jsonArray([jsonObject(envelopeFields(parts, id))]), invalid)),
  );
}

/**
 * Valid CloudEvents a careless reader would choke on: huge ids, control characters, unicode sources,
 * JS-special extension attribute names, a repeated key whose last value is valid, pretty-printed JSON,
 * a time with an offset and nanoseconds. The event's own expectation stays.
 */
export function exoticEnvelope(events: fc.Arbitrary<EventParts>): fc.Arbitrary<UserTemplate> {
  return fc.oneof(
    fc
      .tuple(events, fc.integer({ min: 1_100, max: 40_000 }))
      .map(([parts, length]) => bent(parts, `envelope/id of ${length} characters`, parts.expect, (f, id) => replace(f, 'id', jsonString(`${eventId(id)}-${'x'.repeat(length)}`)))),
    events.map((parts) => bent(parts, 'envelope/control characters in id', parts.expect, (f, id) => replace(f, 'id', jsonString(`${eventId(id)}\u0000\u0007\n\u001b[31m`)))),
    fc
      .tuple(events, fc.constantFrom('urn:ソース:👩‍💻', 'https://example.com/a?b=c#d', '/', 'x'.repeat(600), 'source with spaces'))
      .map(([parts, source]) => bent(parts, `envelope/source ${source.length > 20 ? `of ${source.length} characters` : JSON.stringify(source)}`, parts.expect, (f) => replace(f, 'source', jsonString(source)))),
    // CloudEvents names attributes with [a-z0-9] only, but the processor keeps any extension attribute
    // (lambdas/shared/envelope.ts: looseObject) and no action reads them: the event stays what it was.
    fc
      .tuple(events, fc.constantFrom(...JS_SPECIAL_KEYS, 'comexampleextension'), plainValue)
      .map(([parts, key, value]) => bent(parts, `envelope/extension "${key}"`, parts.expect, (f) => [...f, [key, value]])),
    events.map((parts) => bent(parts, 'envelope/specversion repeated, last "1.0"', parts.expect, (f) => [['specversion', jsonString('0.3')], ...f])),
    events.map((parts): UserTemplate => (id) => {
      const compact = jsonObject(envelopeFields(parts, id));
      return userPlan(`envelope/pretty-printed (${parts.label})`, parts.partitionKey, prettyPrinted(compact), parts.expect);
    }),
    events
      .filter((parts) => parts.time !== undefined && /^"@t[+-]\d+@"$/.test(parts.time))
      .map((parts) => bent(parts, 'envelope/time with +05:30 offset and nanoseconds', parts.expect, (f) => replace(f, 'time', parts.time!.replace('@t', '@T')))),
  );
}

/** Events of types the action does not handle (case, spaces, JS-special names, a non-character). */
export function unknownType(events: fc.Arbitrary<EventParts>, handled: readonly string[]): fc.Arbitrary<UserTemplate> {
  // Functions of the handled type, not an object literal: `{ __proto__: … }` would set a prototype.
  const variants: readonly ((type: string) => string)[] = [
    (type) => `${type}.v2`,
    (type) => type.toUpperCase(),
    (type) => ` ${type}`,
    (type) => `${type} `,
    () => '__proto__',
    () => 'constructor',
    () => 'toString',
    (type) => `${type}\uffff`,
    (type) => `${type}\u0000`,
    (type) => (type === 'order.status-changed' ? 'equipment.reading' : 'order.status-changed'),
  ];
  return fc
    .tuple(events, fc.constantFrom(...variants))
    .map(([parts, variant]) => ({ parts, type: variant(parts.type) }))
    .filter(({ type }) => !handled.includes(type))
    .map(({ parts, type }) => bent(parts, `type ${JSON.stringify(type)}`, poison(PoisonReason.UnknownType), (f) => replace(f, 'type', jsonString(type))));
}

/** Events dated further ahead than any clock skew allowance: ten minutes to years, or the year 9999. */
export function futureDated(events: fc.Arbitrary<EventParts>): fc.Arbitrary<UserTemplate> {
  const future = poison(PoisonReason.TimeInFuture);
  return fc.oneof(
    fc
      .tuple(events, fc.integer({ min: 10 * 60, max: 5 * 365 * 24 * 3600 }))
      .map(([parts, seconds]) => bent(parts, `time ${seconds} s ahead`, future, (f) => [...without(f, 'time'), ['time', jsonString(timePlaceholder(seconds * 1000))]])),
    events.map((parts) => bent(parts, 'time 9999-12-31T23:59:59Z', future, (f) => [...without(f, 'time'), ['time', jsonString('9999-12-31T23:59:59Z')]])),
  );
}

/**
 * Lone surrogates in the event's identity: source and id make the idempotency key, the subject the
 * partition and state key. UTF-8 cannot encode them, so no store or key could hold them as written:
 * contract 2 (lambdas/shared/envelope.ts) refuses them as `invalid-envelope`.
 */
export function loneSurrogateIdentity(events: fc.Arbitrary<EventParts>): fc.Arbitrary<UserTemplate> {
  const surrogate = fc.constantFrom(...LONE_SURROGATE_STRINGS);
  return fc.oneof(
    fc.tuple(events, surrogate).map(([parts, s]) => bent(parts, `lone surrogate in id ${JSON.stringify(s)}`, invalid, (f, id) => replace(f, 'id', jsonString(`${eventId(id)}${s}`)))),
    fc.tuple(events, surrogate).map(([parts, s]) => bent(parts, `lone surrogate in source ${JSON.stringify(s)}`, invalid, (f) => replace(f, 'source', jsonString(`${DEFAULT_SOURCE}${s}`)))),
    fc.tuple(events, surrogate).map(([parts, s]) => {
      const subject = `${parts.subject ?? RUN}${s}`;
      return asIs({ ...parts, label: `lone surrogate in subject ${JSON.stringify(s)} (${parts.label})`, subject, partitionKey: subject, expect: invalid });
    }),
  );
}
