/**
 * JSON values for event `data`: the ones any store keeps unchanged, and the ones at a store's edge
 * (numbers DynamoDB or its SDK cannot hold, nesting deeper than DynamoDB allows, keys special in
 * JavaScript or in the SDK's marshalling, lone surrogates, very long keys), and nesting deep enough
 * to overflow a recursive walk of the data.
 */
import * as fc from 'fast-check';
import { jsonArray, jsonObject, jsonString, nestedArrays, nestedObjects, type JsonText } from '../support/json-text';

/**
 * A labelled field: what the generator put there (for the violation report) and whether DynamoDB can
 * hold it exactly, as the contract states it (the processor's README, "One hostile event never takes
 * its neighbours down"; the limits measured on DynamoDB Local).
 */
export interface LabelledField {
  readonly label: string;
  readonly field: [string, JsonText];
  /** DynamoDB stores it and it reads back as the JSON.parse of the event had it (nesting aside: see `containers`). */
  readonly storable: boolean;
  /** Levels of maps and lists the value spans, itself included (0: a scalar). */
  readonly containers: number;
}

/**
 * DynamoDB refuses a map or list at level 32 or deeper, the item's attribute being level 1 (measured on
 * DynamoDB Local: 31 levels of maps or lists are stored, with a scalar inside too; a 32nd, even empty,
 * is refused). The README's "at most 32 levels of nesting" counts the scalar.
 */
export const MAX_CONTAINER_LEVEL = 31;

/** Whether DynamoDB holds `edge` exactly when its value sits at `level` of an item (the attribute is level 1). */
export const storableAt = (edge: LabelledField, level: number): boolean => edge.storable && (edge.containers === 0 || level + edge.containers - 1 <= MAX_CONTAINER_LEVEL);

/**
 * Keys whose meaning in JavaScript objects (or in the SDK's marshalling, which builds plain objects and
 * reads `value.constructor.name`) is special, but which a JSON object can carry as data: the processor
 * stores them exactly (contract 4). `__proto__` is not among them: JavaScript cannot hold it as data,
 * and the envelope refuses it (./envelopes.ts, protoKeyEnvelope).
 */
export const JS_SPECIAL_KEYS = ['constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'] as const;

/** Keys nothing treats specially: short ASCII words. */
export const plainKey: fc.Arbitrary<string> = fc
  .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 })
  .filter((key) => !(JS_SPECIAL_KEYS as readonly string[]).includes(key) && !['__proto__', 'status', 'readings', 'deviceId'].includes(key));

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

/**
 * Numbers at DynamoDB's edge. Contract 5: a DynamoDB number has a magnitude from 1E-130 to below
 * 1E+126 (or is 0), measured on DynamoDB Local; JSON numbers are the doubles JSON.parse makes of them,
 * so an integer above 2^53 or a 30-digit one is stored as that double, never refused for it.
 * 1e400 parses to Infinity, which no store holds.
 */
export const EDGE_NUMBERS: readonly { readonly text: string; readonly storable: boolean }[] = [
  { text: '1e20', storable: true },
  { text: '-1e20', storable: true },
  { text: '9.99e125', storable: true },
  { text: '1e-130', storable: true },
  { text: '-0', storable: true },
  { text: '123456789012345678901234567890', storable: true },
  { text: '9007199254740993', storable: true },
  { text: '1e126', storable: false },
  { text: '-1e200', storable: false },
  { text: '1e200', storable: false },
  { text: '1e-200', storable: false },
  { text: '-1e-131', storable: false },
  { text: '1e400', storable: false },
  { text: '-1e400', storable: false },
  { text: '1.7976931348623157e308', storable: false },
  { text: '5e-324', storable: false },
];

/** Strings that are not well-formed Unicode: lone surrogates (UTF-8 cannot encode them). */
export const LONE_SURROGATE_STRINGS = ['\ud800', 'a\udfffb', '\udc00\ud800', 'order-\udbff'] as const;

/** DynamoDB's attribute names (map keys too) are below 64 KiB (measured: 65 535 bytes stored, 65 536 refused). */
const KEY_LENGTHS = [{ length: 3_000, storable: true }, { length: 65_535, storable: true }, { length: 65_536, storable: false }, { length: 65_537, storable: false }] as const;

const scalar = (label: string, field: [string, JsonText], storable: boolean): LabelledField => ({ label, field, storable, containers: 0 });

/**
 * A field `[key, value]` at a store's edge, labelled with what DynamoDB makes of it. Contract 2: a
 * string (or key) with a lone surrogate is refused wherever it would be stored (it could not read back
 * as written); contract 4: `constructor` keys are stored exactly; contract 5: numbers, nesting, empty keys.
 */
export const storeEdgeField: fc.Arbitrary<LabelledField> = fc.oneof(
  fc.tuple(plainKey, fc.constantFrom(...EDGE_NUMBERS)).map(([key, n]) => scalar(`number ${n.text}`, [key, n.text], n.storable)),
  fc.tuple(plainKey, fc.constantFrom(...LONE_SURROGATE_STRINGS)).map(([key, s]) => scalar(`lone surrogate in a string ${JSON.stringify(s)}`, [key, jsonString(s)], false)),
  // plainValue nests three levels at most: far from DynamoDB's limit wherever it sits.
  fc.tuple(fc.constantFrom(...JS_SPECIAL_KEYS), plainValue).map(([key, value]) => scalar(`key "${key}"`, [key, value], true)),
  plainValue.map((value) => scalar('empty key ""', ['', value], false)),
  fc.tuple(fc.constantFrom(...LONE_SURROGATE_STRINGS), plainScalar).map(([key, value]) => scalar(`lone surrogate in a key ${JSON.stringify(key)}`, [key, value], false)),
  // The SDK's marshaller tells types apart by `value.constructor.name`: a "constructor" key lies to it.
  fc
    .constantFrom('String', 'Number', 'Boolean', 'Set', 'Map', 'BigInt', 'Uint8Array', 'Buffer')
    .map((name) => ({ label: `key "constructor" naming ${name}`, field: ['constructor', jsonObject([['name', jsonString(name)], ['v', '1']])] as [string, JsonText], storable: true, containers: 1 })),
  fc.integer({ min: 26, max: 36 }).map((depth) => ({ label: `nesting ${depth} levels`, field: ['nested', nestedObjects(depth)] as [string, JsonText], storable: true, containers: depth })),
  fc.integer({ min: 26, max: 36 }).map((depth) => ({ label: `list nesting ${depth} levels`, field: ['lists', nestedArrays(depth)] as [string, JsonText], storable: true, containers: depth })),
  fc.constantFrom(...KEY_LENGTHS).map(({ length, storable }) => scalar(`key of ${length} characters`, ['k'.repeat(length), '1'], storable)),
);

/** Nesting deep enough to overflow the stack of any recursive walk (JSON.stringify, the SDK's marshaller). */
export const stackOverflowField: fc.Arbitrary<LabelledField> = fc
  .tuple(fc.integer({ min: 20_000, max: 100_000 }), fc.boolean())
  .map(([depth, arrays]) => ({ label: `nesting ${depth} levels (${arrays ? 'arrays' : 'objects'})`, field: ['deep', arrays ? nestedArrays(depth) : nestedObjects(depth)] as [string, JsonText], storable: true, containers: depth }));

/** A field wrapped 0 to 2 levels down (`{"a":{…}}` or `{"a":[{…}]}`), so edges are not only at the top. */
export interface BuriedField {
  readonly field: [string, JsonText];
  /** Levels added above the original field's value. */
  readonly levels: number;
}

export function buried(field: [string, JsonText]): fc.Arbitrary<BuriedField> {
  return fc.oneof(
    fc.constant({ field, levels: 0 }),
    plainKey.map((outer): BuriedField => ({ field: [outer, jsonObject([field])], levels: 1 })),
    plainKey.map((outer): BuriedField => ({ field: [outer, jsonArray([jsonObject([field])])], levels: 2 })),
  );
}
