/**
 * FilterCriteria for Kinesis event source mappings, with Lambda's event-filtering semantics: up to 5
 * filters, ORed; a record that matches none is dropped before the invoke (FilteredOutEventCount). A
 * pattern is matched against the record as Lambda sees it (`partitionKey`, `sequenceNumber`,
 * `approximateArrivalTimestamp`, `kinesisSchemaVersion`, `data`), with `data` decoded from base64 and
 * parsed as JSON; data that is not a JSON object never matches a pattern that looks into `data`.
 *
 * The pattern language is EventBridge's as Lambda documents it: exact values (strings, numbers, null,
 * ""), and the operators prefix, suffix, equals-ignore-case, anything-but (values, prefix, suffix),
 * numeric (=, <, <=, >, >= and ranges), exists, and $or. No maintained npm package implements this
 * matcher (the package lists here hold none; LocalStack has its own in Python), hence this module, held
 * to AWS's documented examples by test/local/esm-filter.test.ts.
 */
import { isDeepStrictEqual } from 'node:util';
import type { PolledRecord } from './records';

/** Lambda's quota: filters per event source mapping. */
export const MAX_FILTERS = 5;
const MAX_PATTERN_LENGTH = 4096;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Pattern = { readonly [key: string]: unknown };

/** The message AWS answers with for any pattern it cannot read. */
export const INVALID_PATTERN = 'Invalid filter pattern definition.';

export class InvalidFilterError extends Error {}

/** A compiled FilterCriteria: `matches(record)` is true if any filter matches (or there are none). */
export class RecordFilter {
  private constructor(private readonly patterns: readonly Pattern[]) {}

  /** Parses `{ Filters: [{ Pattern: "<json>" }] }`; throws InvalidFilterError with AWS's message. */
  static compile(criteria: unknown): RecordFilter {
    if (criteria === undefined || criteria === null) return new RecordFilter([]);
    const filters = (criteria as { Filters?: unknown }).Filters ?? [];
    if (!Array.isArray(filters)) throw new InvalidFilterError(INVALID_PATTERN);
    if (filters.length > MAX_FILTERS) throw new InvalidFilterError(`The maximum number of filters (${MAX_FILTERS}) for an event source mapping has been exceeded.`);
    const patterns = filters.map((f: unknown) => {
      const text = (f as { Pattern?: unknown } | null)?.Pattern;
      if (typeof text !== 'string' || text.length === 0 || text.length > MAX_PATTERN_LENGTH) throw new InvalidFilterError(INVALID_PATTERN);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new InvalidFilterError(INVALID_PATTERN);
      }
      if (!isObject(parsed)) throw new InvalidFilterError(INVALID_PATTERN);
      validatePattern(parsed);
      return parsed;
    });
    return new RecordFilter(patterns);
  }

  get active(): boolean {
    return this.patterns.length > 0;
  }

  matches(record: PolledRecord): boolean {
    if (this.patterns.length === 0) return true;
    const event = filterView(record);
    return this.patterns.some((p) => matchesPattern(p, event));
  }
}

/** The record as filters see it: Lambda's `kinesis` object with `data` as JSON (absent if it is not JSON). */
function filterView(record: PolledRecord): Record<string, Json> {
  const view: Record<string, Json> = {
    kinesisSchemaVersion: '1.0',
    partitionKey: record.partitionKey,
    sequenceNumber: record.sequenceNumber,
    approximateArrivalTimestamp: record.arrivalMs / 1000,
  };
  try {
    const data = JSON.parse(Buffer.from(record.data).toString('utf8')) as Json;
    if (isObject(data)) view.data = data;
  } catch {
    // Not JSON: a pattern on `data` cannot match it.
  }
  return view;
}

/** Whether `event` (an object) matches `pattern`: every key must match (AND), `$or` any of its branches. */
export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(rule as Pattern[]).some((branch) => matchesPattern(branch, event))) return false;
      continue;
    }
    const value = isObject(event) ? (event as Record<string, unknown>)[key] : undefined;
    if (isObject(rule)) {
      if (!isObject(value)) {
        // A nested pattern needs an object; only `exists: false` inside it could hold, and AWS requires the path.
        if (!matchesPattern(rule as Pattern, {})) return false;
        if (value !== undefined) return false;
        continue;
      }
      if (!matchesPattern(rule as Pattern, value)) return false;
      continue;
    }
    if (!matchesField(rule as unknown[], value, isObject(event) && key in (event as object))) return false;
  }
  return true;
}

/** A leaf: a list of alternatives, any of which may match the value (or any element of an array value). */
function matchesField(alternatives: readonly unknown[], value: unknown, present: boolean): boolean {
  const values: unknown[] = Array.isArray(value) ? value : [value];
  return alternatives.some((alt) => {
    if (isObject(alt) && 'exists' in alt) return (alt as { exists: boolean }).exists === present && (present ? !isObject(value) : true);
    if (!present) return false;
    return values.some((v) => matchesValue(alt, v));
  });
}

function matchesValue(alt: unknown, value: unknown): boolean {
  if (!isObject(alt)) {
    if (alt === null) return value === null;
    return typeof alt === typeof value && isDeepStrictEqual(alt, value);
  }
  const [operator, operand] = Object.entries(alt)[0] as [string, unknown];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && (isObject(operand) ? value.toLowerCase().startsWith(String((operand as { 'equals-ignore-case': string })['equals-ignore-case']).toLowerCase()) : value.startsWith(operand as string));
    case 'suffix':
      return typeof value === 'string' && (isObject(operand) ? value.toLowerCase().endsWith(String((operand as { 'equals-ignore-case': string })['equals-ignore-case']).toLowerCase()) : value.endsWith(operand as string));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === (operand as string).toLowerCase();
    case 'numeric':
      return typeof value === 'number' && matchesNumeric(operand as unknown[], value);
    case 'anything-but':
      return matchesAnythingBut(operand, value);
    default:
      return false;
  }
}

function matchesAnythingBut(operand: unknown, value: unknown): boolean {
  if (isObject(operand)) {
    if (typeof value !== 'string') return true;
    const [op, arg] = Object.entries(operand)[0] as [string, string];
    if (op === 'prefix') return !value.startsWith(arg);
    if (op === 'suffix') return !value.endsWith(arg);
    if (op === 'equals-ignore-case') return !(Array.isArray(arg) ? arg : [arg]).some((a: string) => a.toLowerCase() === value.toLowerCase());
    return true;
  }
  const excluded = Array.isArray(operand) ? operand : [operand];
  return !excluded.some((e) => isDeepStrictEqual(e, value));
}

function matchesNumeric(conditions: readonly unknown[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const op = conditions[i] as string;
    const bound = conditions[i + 1] as number;
    const ok = op === '=' ? value === bound : op === '<' ? value < bound : op === '<=' ? value <= bound : op === '>' ? value > bound : op === '>=' ? value >= bound : false;
    if (!ok) return false;
  }
  return true;
}

/** Rejects what AWS rejects: leaves that are not lists, unknown operators, malformed operands. */
function validatePattern(pattern: Pattern): void {
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(rule) || rule.length < 2 || !rule.every(isObject)) throw new InvalidFilterError(INVALID_PATTERN);
      for (const branch of rule) validatePattern(branch as Pattern);
      continue;
    }
    if (isObject(rule)) {
      validatePattern(rule as Pattern);
      continue;
    }
    if (!Array.isArray(rule) || rule.length === 0) throw new InvalidFilterError(INVALID_PATTERN);
    for (const alt of rule) if (isObject(alt)) validateOperator(alt as Pattern);
  }
}

function validateOperator(alt: Pattern): void {
  const entries = Object.entries(alt);
  if (entries.length !== 1) throw new InvalidFilterError(INVALID_PATTERN);
  const [op, arg] = entries[0] as [string, unknown];
  const ok =
    op === 'exists'
      ? typeof arg === 'boolean'
      : op === 'prefix' || op === 'suffix'
        ? typeof arg === 'string' || (isObject(arg) && typeof (arg as Pattern)['equals-ignore-case'] === 'string')
        : op === 'equals-ignore-case'
          ? typeof arg === 'string'
          : op === 'anything-but'
            ? typeof arg === 'string' || typeof arg === 'number' || (Array.isArray(arg) && arg.length > 0) || (isObject(arg) && Object.keys(arg).length === 1)
            : op === 'numeric'
              ? Array.isArray(arg) && arg.length > 0 && arg.length % 2 === 0 && arg.every((x, i) => (i % 2 === 0 ? ['=', '<', '<=', '>', '>='].includes(x as string) : typeof x === 'number'))
              : false;
  if (!ok) throw new InvalidFilterError(INVALID_PATTERN);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
