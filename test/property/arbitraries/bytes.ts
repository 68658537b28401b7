/**
 * Record bytes that are not UTF-8 JSON: invalid UTF-8 (lone continuation bytes, overlong encodings,
 * encoded surrogates, truncated sequences), binary, empty, whitespace, JSON with a syntax error or
 * cut short, JSON-like text (NaN, comments, single quotes), the KPL magic number over garbage.
 * All of them are `undecodable` poison.
 */
import * as fc from 'fast-check';
import { PoisonReason } from '../../../lambdas/shared/dlq-message';
import { jsonObject } from '../support/json-text';
import { poison, type UserPlan } from '../support/plan';
import { envelopeFields, userPlan, type EventParts, type UserTemplate } from './envelopes';

const undecodable = poison(PoisonReason.Undecodable);

/** Byte sequences that no UTF-8 decoder may accept. */
const INVALID_UTF8 = {
  'lone continuation byte': [0x80],
  'overlong "/"': [0xc0, 0xaf],
  'encoded surrogate U+D800': [0xed, 0xa0, 0x80],
  'truncated 3-byte sequence': [0xe2, 0x82],
  'byte 0xff': [0xff],
  'code point above U+10FFFF': [0xf4, 0x90, 0x80, 0x80],
} as const;

const hex = (bytes: readonly number[] | Buffer): string => Buffer.from(bytes).toString('hex');

function raw(label: string, partitionKey: string, bytes: readonly number[] | Buffer): UserPlan {
  return { label: `bytes/${label}`, partitionKey, payload: { hex: hex(bytes) }, expect: undecodable };
}

/** Undecodable bytes, some built from the action's own events so they sit among its keys. */
export function hostileBytes(events: fc.Arbitrary<EventParts>): fc.Arbitrary<UserTemplate> {
  const keys = events.map((parts) => parts.partitionKey);
  return fc.oneof(
    // An event whose JSON text carries an invalid UTF-8 sequence inside a string.
    fc.tuple(events, fc.constantFrom(...(Object.keys(INVALID_UTF8) as (keyof typeof INVALID_UTF8)[]))).map(
      ([parts, kind]): UserTemplate =>
        (id) => {
          const text = jsonObject(envelopeFields(parts, id));
          const cut = text.indexOf('"', text.indexOf('"id":') + 6);
          const bytes = Buffer.concat([Buffer.from(text.slice(0, cut)), Buffer.from(INVALID_UTF8[kind]), Buffer.from(text.slice(cut))]);
          return { ...raw(`invalid UTF-8 in an event (${kind})`, parts.partitionKey, []), payload: { hex: hex(bytes) } };
        },
    ),
    fc.tuple(keys, fc.uint8Array({ minLength: 1, maxLength: 64 })).map(
      ([key, bytes]): UserTemplate =>
        () =>
          raw('binary with 0xff', key, [0xff, ...bytes]),
    ),
    keys.map((key): UserTemplate => () => raw('empty', key, [])),
    fc.tuple(keys, fc.constantFrom(' ', '\n\t\r ', '\u00a0')).map(([key, space]): UserTemplate => () => raw(`whitespace ${JSON.stringify(space)}`, key, Buffer.from(space))),
    fc
      .tuple(keys, fc.constantFrom('{"specversion":"1.0",}', "{'specversion':'1.0'}", '{"a":NaN}', '{"a":1} trailing', '{"a":1}{"b":2}', '/* comment */{}', '{"a":undefined}', 'not json at all', '\ufeff{"bom":1}x'))
      .map(([key, text]): UserTemplate => () => raw(`not JSON ${JSON.stringify(text)}`, key, Buffer.from(text))),
    // The event's JSON cut short at any point.
    fc.tuple(events, fc.double({ min: 0, max: 0.999, noNaN: true })).map(
      ([parts, keepFraction]): UserTemplate =>
        (id) => ({ ...userPlan(`bytes/truncated JSON (${parts.label})`, parts.partitionKey, '', undecodable), payload: { truncated: jsonObject(envelopeFields(parts, id)), keepFraction } }),
    ),
    // Looks like a KPL aggregate (the magic number) but is not one.
    fc.tuple(keys, fc.uint8Array({ minLength: 0, maxLength: 40 })).map(([key, bytes]): UserTemplate => () => raw('KPL magic number over garbage', key, [0xf3, 0x89, 0x9a, 0xc2, ...bytes])),
  );
}
