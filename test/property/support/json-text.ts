/**
 * JSON written as text, not through JSON.stringify of a JS value: the generators need JSON that no
 * JS value serializes to (1e400, duplicate keys, an own `__proto__` key, 100 000 levels of nesting),
 * and the oracle needs one comparable form of what was sent and what a store gave back.
 */
import * as fc from 'fast-check';
import { NumberValue } from '@aws-sdk/lib-dynamodb';

/** A JSON text fragment (a value), e.g. `"a"`, `1e400`, `{"x":[1]}`. */
export type JsonText = string;

export const jsonString = (value: string): JsonText => JSON.stringify(value);

/** An object from ordered [key, value] pairs; keys may repeat (the last one wins in JSON.parse). */
export function jsonObject(fields: readonly (readonly [string, JsonText])[]): JsonText {
  return `{${fields.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;
}

export const jsonArray = (items: readonly JsonText[]): JsonText => `[${items.join(',')}]`;

/** `depth` levels of objects (`{"n":{"n":…leaf…}}`), cheap to build at any depth. */
export function nestedObjects(depth: number, leaf: JsonText = '1'): JsonText {
  return `${'{"n":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
}

/** `depth` levels of arrays (`[[[…]]]`). */
export function nestedArrays(depth: number): JsonText {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/**
 * A long text that prints as a short summary in a counterexample (fast-check's toStringMethod), so a
 * shrunk failure stays readable when it carries 300 KB of payload.
 */
export interface SummarizedText {
  readonly text: string;
  [fc.toStringMethod](): string;
}

const SUMMARY_LIMIT = 600;

export function summarized(text: string): SummarizedText | string {
  if (text.length <= SUMMARY_LIMIT) return text;
  return {
    text,
    [fc.toStringMethod]: () => `«${text.length} chars: ${JSON.stringify(text.slice(0, 300))}…${JSON.stringify(text.slice(-60))}»`,
  };
}

export const textOf = (value: SummarizedText | string): string => (typeof value === 'string' ? value : value.text);

/**
 * One comparable form of a JSON-like value: object keys sorted (own keys, `__proto__` included),
 * numbers by value (so a DynamoDB number read back as a string or a NumberValue compares equal to
 * the number sent, and -0 equals 0), strings exactly (a replaced lone surrogate shows).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : `"<${value}>"`;
  if (typeof value === 'bigint') return canonicalJson(Number(value));
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    // A DynamoDB number read with wrapNumbers carries the number as a string.
    if (value instanceof NumberValue) return canonicalJson(Number(value.value));
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(String(value));
}
