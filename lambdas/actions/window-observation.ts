/**
 * What an event adds to its windows, read the way the pipeline's `windows` configuration says: the key
 * (a field of `data`, or the subject), the summed fields, the top field. For windowed actions that need
 * nothing more; the `returns` action validates its own data first.
 */
import type { WindowsConfig } from '../shared/windows-config';
import { PoisonEventError } from '../processor/errors';
import type { Observation } from '../processor/windows/aggregate';
import type { ActionEvent } from './action';

/** Window keys and top values are cut here; longer ones are refused (keys) or shortened (top values). */
const MAX_KEY_CHARS = 512;
const MAX_TOP_CHARS = 100;
/** Summed values stay far inside DynamoDB's number range however many are added. */
const MAX_VALUE_MAGNITUDE = 1e100;

function dataOf(event: ActionEvent): Record<string, unknown> {
  const { data } = event.event;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new PoisonEventError('data: must be an object');
  return data as Record<string, unknown>;
}

export function observeByConfig(event: ActionEvent, windows: WindowsConfig): Observation {
  const data = windows.keyField === undefined && windows.sumFields.length === 0 && windows.topField === undefined ? {} : dataOf(event);
  const rawKey = windows.keyField === undefined ? event.event.subject : data[windows.keyField];
  const key = typeof rawKey === 'number' && Number.isFinite(rawKey) ? String(rawKey) : rawKey;
  if (typeof key !== 'string' || key.length === 0) throw new PoisonEventError(`${windows.keyField === undefined ? 'subject' : `data.${windows.keyField}`}: the window key must be a non-empty string`);
  if (key.length > MAX_KEY_CHARS) throw new PoisonEventError(`the window key is longer than ${MAX_KEY_CHARS} characters`);
  const values: Record<string, number> = {};
  for (const field of windows.sumFields) {
    const value = data[field];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new PoisonEventError(`data.${field}: must be a number`);
    if (Math.abs(value) >= MAX_VALUE_MAGNITUDE || (value !== 0 && Math.abs(value) < 1 / MAX_VALUE_MAGNITUDE)) throw new PoisonEventError(`data.${field}: ${value} is outside what a window can add up`);
    values[field] = value;
  }
  const topRaw = windows.topField === undefined ? undefined : data[windows.topField];
  const top = topRaw === undefined || topRaw === null ? undefined : String(topRaw).slice(0, MAX_TOP_CHARS);
  return { key, values, ...(top !== undefined && top.length > 0 ? { top } : {}) };
}
