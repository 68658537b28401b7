/**
 * Showing what a stream or a dead-letter queue holds without trusting it: any bytes or parsed value
 * become a bounded, terminal-safe view, and nothing here throws.
 *
 * - `boundValue` copies a value into a tree that is cut at `maxDepth` (with a marker), whose strings,
 *   arrays and objects are cut with "… N more", and whose compact JSON stays within `renderBound()`
 *   characters. It is depth-capped recursion: however deep the input, it never descends further than
 *   `maxDepth`, so `JSON.stringify` of the result cannot overflow the stack either. Objects are copied
 *   into null-prototype objects with `defineProperty`: a key such as `__proto__`, `constructor` or
 *   `toString` is a plain key, never assigned through a setter and never invoked.
 * - `safeJson` prints JSON that a terminal shows as it is: besides what JSON.stringify escapes (C0
 *   controls, lone surrogates) it escapes DEL, the C1 controls (U+009B is a CSI on some terminals),
 *   bidirectional overrides, line separators and the non-characters U+FFFE and U+FFFF as `\uXXXX`;
 *   the JSON stays valid and decodes to the same strings.
 * - `safeText` is the same for text printed outside JSON (table cells, field values).
 */

export interface RenderLimits {
  /** Arrays and objects nested deeper than this are replaced by a marker. */
  readonly maxDepth: number;
  /** Items of an array, or keys of an object, shown before "… N more". */
  readonly maxItems: number;
  /** Characters of one string (or key) shown before "… N more characters". */
  readonly maxStringChars: number;
  /** Budget for the whole value, in characters of its compact JSON; what does not fit is cut with "… N more". */
  readonly maxChars: number;
}

/** The limits every view of a record or DLQ message uses. */
export const DEFAULT_LIMITS: RenderLimits = { maxDepth: 20, maxItems: 100, maxStringChars: 2000, maxChars: 16_000 };

/** Identifiers, names and times in a view (shard ids, sequence numbers, partition keys, message ids): any longer is not one. */
export const MAX_ID_CHARS = 256;

/** A value as `boundValue` returns it: JSON data only, objects without a prototype. */
export type Bounded = string | number | boolean | null | Bounded[] | { [key: string]: Bounded };

/**
 * What one open level may print past the budget once it ran out: a cut key and a cut value (each at
 * most its quotes and a "… N more characters" marker), separators, and the level's own
 * "… N more" marker.
 */
const LEVEL_SLACK = 160;

/** The most characters `safeJson(boundValue(v, limits))` (compact) can print: the budget, plus LEVEL_SLACK per level. */
export function renderBound(limits: RenderLimits = DEFAULT_LIMITS): number {
  return limits.maxChars + (limits.maxDepth + 2) * LEVEL_SLACK;
}

/** Characters escaped by safeJson / safeText beyond JSON.stringify's own (C0 controls, `"`, `\`, lone surrogates). */
const UNSAFE_PRINTABLE = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff]/g;
const UNSAFE_PRINTABLE_ONE = new RegExp(`^${UNSAFE_PRINTABLE.source}$`);

const hex4 = (code: number): string => code.toString(16).padStart(4, '0');

/** How many characters one UTF-16 code unit takes in safeJson's output (0 for the low half of a pair: counted with the high half). */
function jsonCost(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) return 2;
  if (c < 0x20) return 6;
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = s.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff ? 2 : 6;
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const previous = s.charCodeAt(i - 1);
    return previous >= 0xd800 && previous <= 0xdbff ? 0 : 6;
  }
  return UNSAFE_PRINTABLE_ONE.test(s[i]!) ? 6 : 1;
}

interface Cut {
  readonly text: string;
  /** Characters of the compact JSON string literal, quotes included. */
  readonly cost: number;
}

/** Cuts a string to `maxChars` characters and `budget` JSON characters, never inside a surrogate pair, with a marker. */
function cutString(s: string, maxChars: number, budget: number): Cut {
  let cost = 2;
  let end = 0;
  const limit = Math.min(s.length, maxChars);
  while (end < limit) {
    let step = 1;
    let add = jsonCost(s, end);
    const c = s.charCodeAt(end);
    if (c >= 0xd800 && c <= 0xdbff && end + 1 < s.length) {
      const next = s.charCodeAt(end + 1);
      if (next >= 0xdc00 && next <= 0xdfff) step = 2;
    }
    if (step === 2 && end + 2 > limit) break;
    if (cost + add > budget) break;
    cost += add;
    end += step;
  }
  if (end === s.length) return { text: s, cost };
  const marker = `… ${s.length - end} more characters`;
  return { text: s.slice(0, end) + marker, cost: cost + marker.length + 1 };
}

/** A string cut to `maxChars` characters (with "… N more characters"); the string itself when shorter. */
export function boundString(s: string, maxChars: number = DEFAULT_LIMITS.maxStringChars): string {
  return cutString(s, maxChars, Number.POSITIVE_INFINITY).text;
}

/** An identifier, name or time cut to MAX_ID_CHARS. */
export function boundId(s: string): string {
  return boundString(s, MAX_ID_CHARS);
}

function describeType(value: unknown): string {
  try {
    if (Array.isArray(value)) return `array of ${value.length} items`;
    if (value instanceof Map || value instanceof Set) return `${value instanceof Map ? 'map' : 'set'} of ${value.size} entries`;
    return `object of ${Object.keys(value as object).length} keys`;
  } catch {
    return 'object';
  }
}

/** What a value that JSON cannot hold is shown as. */
function tagOf(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return '[undefined]';
    case 'bigint':
      return `[bigint ${boundString(value.toString(), 40)}]`;
    case 'symbol':
      return `[symbol ${boundString(value.description ?? '', 40)}]`;
    case 'function':
      return '[function]';
    default:
      return `[${String(value)}]`; // NaN, ±Infinity
  }
}

function isBytes(value: unknown): value is Uint8Array | ArrayBuffer {
  return value instanceof Uint8Array || value instanceof ArrayBuffer;
}

/** Reads an own property without running a getter. */
function ownValue(object: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(object, key);
  if (!descriptor) return undefined;
  return 'value' in descriptor ? descriptor.value : '[getter]';
}

function uniqueKey(target: object, key: string): string {
  let unique = key;
  for (let n = 2; Object.prototype.hasOwnProperty.call(target, unique); n++) unique = `${key} #${n}`;
  return unique;
}

function setKey(target: { [key: string]: Bounded }, key: string, value: Bounded): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

class Bounder {
  private remaining: number;
  private readonly ancestors = new Set<object>();

  constructor(private readonly limits: RenderLimits) {
    this.remaining = limits.maxChars;
  }

  value(value: unknown, depth: number): Bounded {
    try {
      return this.unchecked(value, depth);
    } catch (error) {
      // A Proxy or a host object that throws on inspection: shown, never rethrown.
      return this.string(`[unreadable: ${error instanceof Error ? error.name : typeof error}]`);
    }
  }

  /** Once the budget is spent a string is only its quotes and marker. */
  private string(s: string): string {
    const cut = cutString(s, this.limits.maxStringChars, this.remaining);
    this.remaining -= cut.cost;
    return cut.text;
  }

  private marker(text: string): string {
    this.remaining -= text.length + 3;
    return text;
  }

  private unchecked(value: unknown, depth: number): Bounded {
    if (value === null || typeof value === 'boolean') {
      this.remaining -= String(value).length;
      return value;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return this.string(tagOf(value));
      this.remaining -= String(value).length;
      return value;
    }
    if (typeof value === 'string') return this.string(value);
    if (typeof value !== 'object') return this.string(tagOf(value));
    if (isBytes(value)) return this.object(bytesView(value instanceof ArrayBuffer ? new Uint8Array(value) : value), depth);
    if (value instanceof Date) return this.string(Number.isNaN(value.getTime()) ? '[invalid date]' : value.toISOString());
    if (this.ancestors.has(value)) return this.string('[circular]');
    if (depth >= this.limits.maxDepth) return this.string(`[… ${describeType(value)}, nested deeper than ${this.limits.maxDepth} levels]`);
    this.ancestors.add(value);
    try {
      if (Array.isArray(value)) return this.array(value.length, (i) => ownValue(value, String(i)), depth);
      if (value instanceof Map) {
        const entries = [...value.entries()];
        return this.array(entries.length, (i) => entries[i], depth);
      }
      if (value instanceof Set) {
        const items = [...value.values()];
        return this.array(items.length, (i) => items[i], depth);
      }
      return this.object(value, depth);
    } finally {
      this.ancestors.delete(value);
    }
  }

  private array(length: number, at: (i: number) => unknown, depth: number): Bounded[] {
    const out: Bounded[] = [];
    this.remaining -= 2;
    for (let i = 0; i < length; i++) {
      if (i >= this.limits.maxItems || this.remaining <= 0) {
        out.push(this.marker(`… ${length - i} more items`));
        break;
      }
      this.remaining -= 1;
      out.push(this.value(at(i), depth + 1));
    }
    return out;
  }

  private object(value: object, depth: number): { [key: string]: Bounded } {
    const out = Object.create(null) as { [key: string]: Bounded };
    const keys = Object.keys(value);
    this.remaining -= 2;
    for (let i = 0; i < keys.length; i++) {
      if (i >= this.limits.maxItems || this.remaining <= 0) {
        setKey(out, uniqueKey(out, '…'), this.marker(`${keys.length - i} more keys`));
        this.remaining -= 4;
        break;
      }
      const key = keys[i]!;
      // Two long keys cut to the same text stay two keys.
      const shown = uniqueKey(out, this.string(key));
      this.remaining -= 2;
      setKey(out, shown, this.value(ownValue(value, key), depth + 1));
    }
    return out;
  }
}

/** A bounded copy of any value (see the module comment); never throws. */
export function boundValue(value: unknown, limits: RenderLimits = DEFAULT_LIMITS): Bounded {
  return new Bounder(limits).value(value, 0);
}

/**
 * JSON text of a value that safeJson's callers built from bounded parts, with the characters a
 * terminal would act on escaped as `\uXXXX` (still valid JSON, decoding to the same strings). Only
 * string literals can hold those characters, so escaping them after JSON.stringify is exact.
 */
export function safeJson(value: unknown, indent?: number): string {
  let text: string;
  try {
    text = JSON.stringify(value, null, indent) ?? 'null';
  } catch (error) {
    // Callers pass bounded views; should one not be, print that rather than crash the command.
    text = JSON.stringify({ unprintable: error instanceof Error ? error.message : String(error) });
  }
  return text.replace(UNSAFE_PRINTABLE, (c) => `\\u${hex4(c.charCodeAt(0))}`);
}

const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text for a terminal, outside JSON: cut to `maxChars` (with "… N more characters") and with every
 * control character, escape sequence introducer, bidirectional override, line separator, lone
 * surrogate and non-character shown as an escape (`\x1b`, `\u{202e}`), so a record cannot move the
 * cursor, change colours or hide text. Ordinary text, quotes and backslashes are left as they are.
 */
export function safeText(s: string, maxChars: number = DEFAULT_LIMITS.maxStringChars): string {
  const cut = boundString(s, maxChars);
  return cut.replace(/[\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
    const code = c.charCodeAt(0);
    return NAMED_ESCAPES[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
  }).replace(UNSAFE_PRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** Bytes shown in a view: their length, their text when they are UTF-8, and the first of them in base64. */
export interface BytesView {
  readonly bytes: number;
  /** Present when the bytes are valid UTF-8 (cut like any string). */
  readonly text?: string;
  /** Base64 of the first `MAX_BASE64_BYTES` bytes: all of them unless `truncated`. */
  readonly dataBase64: string;
  readonly truncated?: true;
  /** Hex of the first bytes, when they are not UTF-8 (easier to read than base64). */
  readonly hexPreview?: string;
}

/** Bytes kept in a view's base64 (4 KiB of base64). */
export const MAX_BASE64_BYTES = 3072;
const HEX_PREVIEW_BYTES = 32;

/** Decodes UTF-8 strictly; undefined when the bytes are not UTF-8. */
export function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** A bounded view of any bytes (see BytesView). */
export function bytesView(bytes: Uint8Array, maxStringChars: number = DEFAULT_LIMITS.maxStringChars): BytesView {
  const text = utf8OrUndefined(bytes);
  const kept = bytes.subarray(0, MAX_BASE64_BYTES);
  const hex = Buffer.from(bytes.subarray(0, HEX_PREVIEW_BYTES)).toString('hex');
  return {
    bytes: bytes.length,
    ...(text !== undefined ? { text: boundString(text, maxStringChars) } : {}),
    dataBase64: Buffer.from(kept).toString('base64'),
    ...(kept.length < bytes.length ? { truncated: true as const } : {}),
    ...(text === undefined ? { hexPreview: hex + (bytes.length > HEX_PREVIEW_BYTES ? '…' : '') } : {}),
  };
}

/** One line for a person: `text` for UTF-8 bytes, else their length and a hex preview. */
export function bytesSummary(view: BytesView, maxChars = 200): string {
  if (view.text !== undefined) return safeText(view.text, maxChars);
  return `${view.bytes} byte(s), not UTF-8: ${view.hexPreview ?? ''}`;
}
