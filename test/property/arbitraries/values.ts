/**
 * JSON values for event `data`: the ones any store keeps unchanged, and the ones at a store's edge
 * (numbers DynamoDB or its SDK cannot hold, nesting deeper than DynamoDB allows, keys special in
 * JavaScript or in the SDK's marshalling, lone surrogates, very long keys), and nesting deep enough
 * to overflow a recursive walk of the data.
 */
import * as fc from 'fast-check';
import { jsonArray, jsonObject, jsonString, nestedArrays, nestedObjects, type JsonText } from '../support/json-text';

/** A labelled field: what the generator put there, for the violation report. */
export interface LabelledField {
  readonly label: string;
  readonly field: [string, JsonText];
}

/** Keys whose meaning in JavaScript objects (or in the SDK's marshalling, which builds plain objects) is special. */
export const JS_SPECIAL_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'] as const;

/** Keys nothing treats specially: short ASCII words. */
export const plainKey: fc.Arbitrary<string> = fc
  .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 })
  .filter((key) => !(JS_SPECIAL_KEYS as readonly string[]).includes(key) && key !== 'status' && key !== 'readings' && key !== 'deviceId');

/** A string of well-formed Unicode (any script, emoji, control characters): stored and read back unchanged. */
export const plainString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('', ' ', 'naïve café', '注文', '👩‍💻 shipped', 'tab\there', 'line\nbreak', '\u0001\u001f', 'quote " and \\ backslash'),
);

/** Numbers DynamoDB and its SDK hold exactly: safe integers and doubles of moderate magnitude. */
export const plainNumber: fc.Arbitrary<JsonText> = fc.oneof(
  fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }).map(String),
  fc.double({ min: -1e12, max: 1e12, noNaN: true, noDefaultInfinity: true }).filter((x) => x === 0 || Math.abs(x) > 1e-100).map((x) => JSON.stringify(x)),
  fc.constantFrom('0', '-0', '0.1', '1.5e3', '9007199254740991', '-9007199254740991'),
);

export const plainScalar: fc.Arbitrary<JsonText> = fc.oneof(plainNumber, plainString.map(jsonString), fc.constantFrom('true', 'false', 'null'));

/** Objects and arrays of plain scalars, up to three levels. */
export const plainValue: fc.Arbitrary<JsonText> = fc.letrec<{ value: JsonText }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    plainScalar,
    fc.array(tie('value'), { maxLength: 3 }).map(jsonArray),
    fc.uniqueArray(fc.tuple(plainKey, tie('value')), { maxLength: 3, selector: ([key]) => key }).map(jsonObject),
  ),
})).value;

/** Plain fields for an object (distinct plain keys). */
export const plainFields: fc.Arbitrary<[string, JsonText][]> = fc.uniqueArray(fc.tuple(plainKey, plainValue), { maxLength: 4, selector: ([key]) => key });

/** Numbers a DynamoDB number (38 digits, 1e-130 to 1e126) or the SDK's marshalling (safe integers, finite) cannot hold. */
export const EDGE_NUMBERS = [
  '1e20',
  '-1e20',
  '1e126',
  '-1e200',
  '1e200',
  '1e-200',
  '-1e-131',
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '9007199254740993',
  '1.7976931348623157e308',
  '5e-324',
] as const;

/** Strings that are not well-formed Unicode: lone surrogates (UTF-8 cannot encode them). */
export const LONE_SURROGATE_STRINGS = ['\ud800', 'a\udfffb', '\udc00\ud800', 'order-\udbff'] as const;

/** 64 KB is DynamoDB's limit on an attribute name. */
const LONG_KEY_LENGTH = 65_537;

/** A field `[key, value]` at a store's edge, labelled. */
export const storeEdgeField: fc.Arbitrary<LabelledField> = fc.oneof(
  fc.tuple(plainKey, fc.constantFrom(...EDGE_NUMBERS)).map(([key, n]) => ({ label: `number ${n}`, field: [key, n] as [string, JsonText] })),
  fc.tuple(plainKey, fc.constantFrom(...LONE_SURROGATE_STRINGS)).map(([key, s]) => ({ label: `lone surrogate in a string ${JSON.stringify(s)}`, field: [key, jsonString(s)] as [string, JsonText] })),
  fc.tuple(fc.constantFrom(...JS_SPECIAL_KEYS), plainValue).map(([key, value]) => ({ label: `key "${key}"`, field: [key, value] as [string, JsonText] })),
  plainValue.map((value) => ({ label: 'empty key ""', field: ['', value] as [string, JsonText] })),
  fc.tuple(fc.constantFrom(...LONE_SURROGATE_STRINGS), plainScalar).map(([key, value]) => ({ label: `lone surrogate in a key ${JSON.stringify(key)}`, field: [key, value] as [string, JsonText] })),
  // The SDK's marshaller tells types apart by `value.constructor.name`: a "constructor" key lies to it.
  fc
    .constantFrom('String', 'Number', 'Boolean', 'Set', 'Map', 'BigInt', 'Uint8Array', 'Buffer')
    .map((name) => ({ label: `key "constructor" naming ${name}`, field: ['constructor', jsonObject([['name', jsonString(name)], ['v', '1']])] as [string, JsonText] })),
  fc.integer({ min: 30, max: 40 }).map((depth) => ({ label: `nesting ${depth} levels`, field: ['nested', nestedObjects(depth)] as [string, JsonText] })),
  fc.integer({ min: 30, max: 40 }).map((depth) => ({ label: `list nesting ${depth} levels`, field: ['lists', nestedArrays(depth)] as [string, JsonText] })),
  fc.constant({ label: `key of ${LONG_KEY_LENGTH} characters`, field: ['k'.repeat(LONG_KEY_LENGTH), '1'] as [string, JsonText] }),
);

/** Nesting deep enough to overflow the stack of any recursive walk (JSON.stringify, the SDK's marshaller). */
export const stackOverflowField: fc.Arbitrary<LabelledField> = fc
  .tuple(fc.integer({ min: 20_000, max: 100_000 }), fc.boolean())
  .map(([depth, arrays]) => ({ label: `nesting ${depth} levels (${arrays ? 'arrays' : 'objects'})`, field: ['deep', arrays ? nestedArrays(depth) : nestedObjects(depth)] as [string, JsonText] }));

/** Wraps a field 0 to 2 levels down (`{"a":{…}}` or `[…]`), so edges are not only at the top. */
export function buried(field: [string, JsonText]): fc.Arbitrary<[string, JsonText]> {
  return fc.oneof(
    fc.constant(field),
    plainKey.map((outer): [string, JsonText] => [outer, jsonObject([field])]),
    plainKey.map((outer): [string, JsonText] => [outer, jsonArray([jsonObject([field])])]),
  );
}
