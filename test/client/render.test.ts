/**
 * The safe renderer (client/operations/render.ts) and the record view built on it, as properties
 * over generated input (fast-check: a failure prints its seed and the shrunk counterexample): any
 * value, any bytes, any text never makes them throw, stays within the stated bound, and prints no
 * character a terminal would act on. Small JSON comes out unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatRecordLine, recordViewBound, viewRecord } from '../../client/operations/record-view';
import { boundValue, bytesView, DEFAULT_LIMITS, renderBound, safeJson, safeText, type RenderLimits } from '../../client/operations/render';

/**
 * What must never reach a terminal raw: C0 controls (ESC starts ANSI sequences), DEL, C1 controls
 * (U+009B is a CSI), bidirectional overrides and isolates, line separators, lone surrogates, U+FFFE/U+FFFF.
 */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** In one-line output even newlines and tabs are escaped. */
const RAW_CONTROL_OR_NEWLINE = new RegExp(`${RAW_CONTROL.source}|[\\n\\t]`);

function assertTerminalSafe(text: string, what: string, allowNewlines = false): void {
  const match = (allowNewlines ? RAW_CONTROL : RAW_CONTROL_OR_NEWLINE).exec(text);
  assert.equal(match, null, `${what} holds a raw U+${match?.[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${match?.index}`);
}

/** A compact JSON print of any value: valid JSON, within the bound, terminal-safe. */
function assertSafeJson(value: unknown, limits: RenderLimits = DEFAULT_LIMITS): string {
  const printed = safeJson(boundValue(value, limits));
  assert.ok(printed.length <= renderBound(limits), `${printed.length} characters, bound ${renderBound(limits)}`);
  assert.doesNotThrow(() => JSON.parse(printed));
  assertTerminalSafe(printed, 'compact JSON');
  return printed;
}

const SPECIAL_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'toJSON', '__defineGetter__', 'prototype', 'then'];

describe('the safe renderer', () => {
  it('renders any value (objects without a prototype, maps, sets, typed arrays, bigints, sparse arrays) within the bound, as valid terminal-safe JSON', () => {
    const anything = fc.anything({
      maxDepth: 6,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      stringUnit: 'binary',
    });
    fc.assert(fc.property(anything, (value) => void assertSafeJson(value)), { numRuns: 300 });
  });

  it('keeps every limit, also small ones', () => {
    const limits = fc.record({ maxDepth: fc.integer({ min: 0, max: 8 }), maxItems: fc.integer({ min: 0, max: 20 }), maxStringChars: fc.integer({ min: 0, max: 300 }), maxChars: fc.integer({ min: 0, max: 2000 }) });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 8, stringUnit: 'binary' }), limits, (value, l) => void assertSafeJson(value, l)), { numRuns: 300 });
  });

  it('gives small JSON back unchanged: same structure, same strings once decoded', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' }), (value) => {
        fc.pre(JSON.stringify(value).length < 2000);
        assert.deepEqual(JSON.parse(safeJson(boundValue(value))), JSON.parse(JSON.stringify(value)));
        assert.deepEqual(JSON.parse(safeJson(boundValue(value), 2)), JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('cuts nesting 100,000 levels deep at the depth limit, with a marker (arrays and objects, parsed and as record bytes)', () => {
    const levels = 100_000;
    for (const json of [`${'['.repeat(levels)}${']'.repeat(levels)}`, `${'{"a":'.repeat(levels)}0${'}'.repeat(levels)}`]) {
      const printed = assertSafeJson(JSON.parse(json));
      assert.match(printed, /nested deeper than 20 levels/);
      const envelope = `{"specversion":"1.0","id":"deep","source":"/test","type":"t","data":${json}}`;
      const [view] = viewRecord({ shardId: 'shardId-0', sequenceNumber: '1', partitionKey: 'k', data: Buffer.from(envelope) });
      assert.ok(view?.event, 'a valid envelope, however deep its data');
      const line = formatRecordLine(view);
      assert.match(line, /deep/);
      assert.match(line, /nested deeper than/);
      assertTerminalSafe(line, 'tail line');
      assert.ok(safeJson(view).length <= recordViewBound());
    }
  });

  it('cuts 5 MB strings, huge arrays and objects with "… N more"', () => {
    const big = `\u001b[2J${'x'.repeat(5 * 1024 * 1024)}`;
    const printed = assertSafeJson({ big, list: Array.from({ length: 200_000 }, (_, i) => i), keys: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])) });
    assert.match(printed, /x… 5240884 more characters/);
    assert.match(printed, /\\u001b\[2J/);
    assert.match(printed, /… \d+ more (items|keys)/);
    const text = safeText(big, 100);
    assert.ok(text.length < 150);
    assert.match(text, /^\\x1b\[2Jx+… \d+ more characters$/);
  });

  it('shows keys special in JavaScript as plain keys: never assigned through a setter, never invoked', () => {
    const key = fc.oneof(fc.constantFrom(...SPECIAL_KEYS), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 10 }), (dictionary) => {
        // JSON.parse makes `__proto__` an own key, as a record's bytes would.
        const text = JSON.stringify(dictionary);
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const bounded = boundValue(parsed) as Record<string, unknown>;
        assert.equal(Object.getPrototypeOf(bounded), null);
        assert.deepEqual(Object.keys(bounded), Object.keys(parsed));
        assert.equal(safeJson(bounded), safeJson(parsed), 'the same JSON, key for key');
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      }),
      { numRuns: 200 },
    );
    let invoked = 0;
    const hostile = { toJSON: () => ++invoked, toString: () => String(++invoked), get getter() { return ++invoked; }, ['__proto__']: { polluted: true } };
    // A computed `__proto__` key is an own key (as JSON.parse makes it): shown as one.
    assert.equal(safeJson(boundValue(hostile)), '{"toJSON":"[function]","toString":"[function]","getter":"[getter]","__proto__":{"polluted":true}}');
    assert.equal(invoked, 0);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('escapes every control character, escape sequence, bidirectional override, lone surrogate and non-character in text and JSON', () => {
    const hostileChar = fc.constantFrom('\u001b', '\u0007', '\u0000', '\r', '\u007f', '\u009b', '\u0085', '\u202e', '\u2066', '\u2028', '\ud800', '\udfff', '\ufffe', '\uffff', '\u200f');
    const hostileString = fc.array(fc.oneof(hostileChar, fc.string({ unit: 'binary', maxLength: 5 })), { maxLength: 40 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(hostileString, (s) => {
        const text = safeText(s, 500);
        assertTerminalSafe(text, 'text');
        const json = safeJson(boundValue({ [s]: s }));
        assertTerminalSafe(json, 'JSON');
        assert.deepEqual(Object.entries(JSON.parse(json) as object), [[s, s]], 'the JSON decodes to the same strings');
      }),
      { numRuns: 500 },
    );
  });

  it('shows any bytes: their text when UTF-8, else their length and a base64 and hex preview', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8192 }), (bytes) => {
        const view = bytesView(bytes);
        assert.equal(view.bytes, bytes.length);
        const decoded = Buffer.from(view.dataBase64, 'base64');
        assert.deepEqual(decoded, Buffer.from(bytes.subarray(0, decoded.length)), 'the base64 is a prefix of the bytes');
        assert.equal(view.truncated === true, decoded.length < bytes.length);
        if (view.text === undefined) assert.match(view.hexPreview ?? '', /^[0-9a-f]*…?$/);
        for (const record of viewRecord({ shardId: 'shardId-0', sequenceNumber: '7', partitionKey: 'k', data: bytes })) {
          assertTerminalSafe(formatRecordLine(record), 'tail line');
          const json = safeJson(record);
          assertTerminalSafe(json, 'tail --json line');
          assert.ok(json.length <= recordViewBound(), `${json.length} characters`);
        }
      }),
      { numRuns: 300 },
    );
    const invalid = viewRecord({ shardId: 'shardId-0', sequenceNumber: '7', partitionKey: 'k', data: Buffer.from([0xc3, 0x28, 0xff, 0x1b]) })[0]!;
    assert.match(invalid.invalid!.reason, /not valid UTF-8/);
    assert.match(formatRecordLine(invalid), /INVALID: record data is not valid UTF-8 {2}data: 4 byte\(s\), not UTF-8: c328ff1b$/);
    const large = bytesView(new Uint8Array(2 * 1024 * 1024).fill(0xff));
    assert.equal(large.truncated, true);
    assert.ok(large.dataBase64.length <= 4096);
  });

  it('renders any text as a record, valid envelope or not, with the culprit visible', () => {
    const envelope = fc.record({
      specversion: fc.constantFrom('1.0', '0.3'),
      id: fc.string({ unit: 'binary', maxLength: 3000 }),
      source: fc.constant('/test'),
      type: fc.string({ unit: 'binary', maxLength: 20 }),
      data: fc.jsonValue({ maxDepth: 10, stringUnit: 'binary' }),
    });
    fc.assert(
      fc.property(envelope, fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 5000 }), (event, partitionKey, shardId) => {
        // A shard id and sequence number as a hostile DLQ message may claim them.
        for (const record of viewRecord({ shardId, sequenceNumber: shardId, partitionKey, data: Buffer.from(JSON.stringify(event)) })) {
          assert.ok(safeJson(record).length <= recordViewBound(), `${safeJson(record).length} characters`);
          const line = formatRecordLine(record);
          assertTerminalSafe(line, 'tail line');
          assert.ok(line.length <= recordViewBound(), `${line.length} characters`);
          if (record.event === undefined) assert.match(line, /INVALID: /);
        }
      }),
      { numRuns: 200 },
    );
  });
});
