/**
 * `telemetry` events (lambdas/actions/telemetry.ts): `equipment.reading`, `data.readings` = metric →
 * number, device = `data.deviceId` or the subject (= partition key). Thresholds are the configured
 * ones (lib/config), so readings breach them or not on purpose.
 */
import * as fc from 'fast-check';
import { findPipeline, loadConfig } from '../../../lib/config';
import type { TelemetryConfig } from '../../../lambdas/shared/telemetry-config';
import { TelemetryEventType } from '../../../lambdas/shared/telemetry-events';
import { PoisonReason } from '../../../lambdas/shared/dlq-message';
import { jsonObject, jsonString, type JsonText } from '../support/json-text';
import { poison, RUN, valid, type Expectation } from '../support/plan';
import type { EventParts } from './envelopes';
import { entity, eventTime, type ActionProfile } from './profile';
import { EDGE_NUMBERS, JS_SPECIAL_KEYS, LONE_SURROGATE_STRINGS, plainFields, plainKey, plainNumber, stackOverflowField, storeEdgeField } from './values';

export const telemetryConfig: TelemetryConfig = findPipeline(loadConfig(), 'telemetry').telemetry!;
const thresholds = telemetryConfig.thresholds;
const metrics = Object.keys(thresholds);

/** A value of `metric` inside its limits, or breaching them, as JSON text. */
function reading(metric: string, breach: boolean): fc.Arbitrary<JsonText> {
  const { min, max } = thresholds[metric]!;
  const low = min ?? (max ?? 0) - 1000;
  const high = max ?? (min ?? 0) + 1000;
  if (!breach) return fc.double({ min: low, max: high, noNaN: true }).map((x) => JSON.stringify(Math.round(x * 100) / 100)).filter((t) => Number(t) >= low && Number(t) <= high);
  const above = max !== undefined ? [fc.double({ min: max + 0.01, max: max + 1e6, noNaN: true })] : [];
  const below = min !== undefined ? [fc.double({ min: min - 1e6, max: min - 0.01, noNaN: true })] : [];
  return fc.oneof(...above, ...below).map((x) => JSON.stringify(Math.round(x * 100) / 100)).filter((t) => (max !== undefined && Number(t) > max) || (min !== undefined && Number(t) < min));
}

/**
 * Metrics without a threshold: ignored by the action and never stored, whatever their name or value
 * (finite: the schema wants numbers). A `__proto__` metric is an envelope refusal (./envelopes.ts).
 */
const untrackedMetric: fc.Arbitrary<[string, JsonText]> = fc.tuple(
  fc.oneof(plainKey.filter((k) => !metrics.includes(k)), fc.constantFrom(...JS_SPECIAL_KEYS, '', ...LONE_SURROGATE_STRINGS, 'm'.repeat(3000))),
  fc.oneof(plainNumber, fc.constantFrom(...EDGE_NUMBERS.map((n) => n.text).filter((n) => !/e400/.test(n)))),
);

const trackedReadings: fc.Arbitrary<[string, JsonText][]> = fc
  .uniqueArray(fc.constantFrom(...metrics), { minLength: 1, maxLength: metrics.length })
  .chain((names) => fc.tuple(...names.map((name) => fc.boolean().chain((breach) => reading(name, breach).map((value): [string, JsonText] => [name, value])))));

interface Reading {
  readonly subject: string;
  readonly time: JsonText | undefined;
  readonly withDeviceId: boolean;
  readonly readings: [string, JsonText][];
  readonly extra: [string, JsonText][];
}

const baseReading: fc.Arbitrary<Reading> = fc.record({
  subject: entity('d'),
  // Five-minute steps around the 15-minute incident window; shifted a minute so that no window ends
  // at the arrival time that readings without a time are judged by.
  time: fc.option(eventTime(300_000, 24, 60_000), { nil: undefined, freq: 4 }),
  withDeviceId: fc.boolean(),
  readings: fc.tuple(trackedReadings, fc.array(untrackedMetric, { maxLength: 2 })).map(([tracked, untracked]) => [...tracked, ...untracked]),
  // Fields the action does not read and nothing stores: anything goes, even data no store could hold.
  extra: fc.oneof(
    { weight: 10, arbitrary: plainFields },
    { weight: 1, arbitrary: storeEdgeField.map((edge) => [edge.field]) },
    { weight: 1, arbitrary: stackOverflowField.map((edge) => [edge.field]) },
  ),
});

function parts(r: Reading, label: string, expect: Expectation, change: { deviceId?: JsonText | null; readings?: JsonText | null; data?: JsonText | null } = {}): EventParts {
  const deviceId = change.deviceId !== undefined ? change.deviceId : r.withDeviceId ? jsonString(r.subject) : null;
  const readings = change.readings !== undefined ? change.readings : jsonObject(r.readings);
  const fields: [string, JsonText][] = [...r.extra];
  if (deviceId !== null) fields.push(['deviceId', deviceId]);
  if (readings !== null) fields.push(['readings', readings]);
  const data = change.data !== undefined ? change.data : jsonObject(fields);
  return {
    label,
    expect,
    type: TelemetryEventType.Reading,
    subject: r.subject,
    partitionKey: r.subject,
    ...(r.time !== undefined ? { time: r.time } : {}),
    ...(data !== null ? { data } : {}),
  };
}

const validReading = baseReading.map((r) => parts(r, 'telemetry/valid', valid));

const rejected = poison(PoisonReason.ActionRejected);

const rejectedReading: fc.Arbitrary<EventParts> = fc.oneof(
  baseReading.map((r) => parts(r, 'telemetry/no readings', rejected, { readings: null })),
  fc.tuple(baseReading, fc.constantFrom('"x"', '[]', 'null', '5', '[1,2]')).map(([r, v]) => parts(r, `telemetry/readings ${v}`, rejected, { readings: v })),
  fc
    .tuple(baseReading, fc.constantFrom('"hot"', 'true', 'null', '{}', '[]', '1e400', '-1e400'), fc.constantFrom(...metrics, 'other', '\uffff', '\ud800'))
    .map(([r, v, m]) => parts(r, `telemetry/reading ${JSON.stringify(m)}: ${v}`, rejected, { readings: jsonObject([...r.readings.filter(([k]) => k !== m), [m, v]]) })),
  fc.tuple(baseReading, fc.constantFrom('""', '5', 'null', '{}')).map(([r, v]) => parts(r, `telemetry/deviceId ${v}`, rejected, { deviceId: v })),
  // Contract 2: the device names the incident's key and goes into SNS attributes; the action refuses it.
  fc
    .tuple(baseReading, fc.constantFrom(...LONE_SURROGATE_STRINGS), fc.constantFrom(...metrics), fc.boolean())
    .chain(([r, s, m, breach]) => reading(m, breach).map((v) => parts({ ...r, readings: [[m, v]] }, `telemetry/lone surrogate in deviceId ${JSON.stringify(s)}`, rejected, { deviceId: jsonString(`${r.subject}${s}`) }))),
  fc.tuple(baseReading, fc.constantFrom('"x"', 'null', '[]', '5')).map(([r, v]) => parts(r, `telemetry/data ${v}`, rejected, { data: v })),
  baseReading.map((r) => parts(r, 'telemetry/no data', rejected, { data: null })),
  baseReading.map((r) => ({ ...parts(r, 'telemetry/no device (no deviceId, no subject)', rejected, { deviceId: null }), subject: undefined, partitionKey: `${RUN}-no-device` })),
);

/**
 * Breaching values at DynamoDB's edge: every breach stores the value as the incident's `lastValue`, so
 * one outside DynamoDB's range is `store-rejected` (contract 5; its alert may have gone out first,
 * contract 9), one inside it (1e20, an integer above 2^53 as its double) is applied.
 */
const EDGE_BREACHES: Record<string, readonly string[]> = {
  temperatureC: ['1e20', '9.99e125', '1e126', '1e200', '123456789012345678901234567890', '9007199254740993', '1.7976931348623157e308'],
  vibrationMmS: ['1e20', '1e200', '9007199254740993'],
  pressureBar: ['-1e20', '-1e200', '1e-200', '-1e-131', '5e-324', '1e200', '1e-130'],
};

const storable = (text: string): boolean => EDGE_NUMBERS.find((n) => n.text === text)!.storable;

/**
 * One tracked metric only, so a reading the store refuses has no half-done effect on another metric.
 * Device ids long enough that `device#metric` exceeds DynamoDB's 2048-byte partition key (contract 5):
 * refused before the action runs, whether the value breaches or not.
 */
const storeEdgeReading: fc.Arbitrary<EventParts> = fc.oneof(
  fc
    .tuple(baseReading, fc.constantFrom(...metrics).chain((m) => fc.constantFrom(...EDGE_BREACHES[m]!).map((v): [string, JsonText] => [m, v])))
    .map(([r, [m, v]]) => parts({ ...r, readings: [[m, v]] }, `telemetry/breach ${m}: ${v}`, storable(v) ? valid : poison(PoisonReason.StoreRejected))),
  fc
    .tuple(baseReading, fc.integer({ min: 2_100, max: 3_000 }), fc.constantFrom(...metrics), fc.boolean())
    .chain(([r, length, m, breach]) =>
      reading(m, breach).map((v) => parts({ ...r, readings: [[m, v]] }, `telemetry/deviceId of ${length} characters`, poison(PoisonReason.StoreRejected), { deviceId: jsonString(`${r.subject}-${'d'.repeat(length)}`) })),
    ),
);

export const telemetryProfile: ActionProfile = {
  name: 'telemetry',
  handledTypes: [TelemetryEventType.Reading],
  valid: validReading,
  rejected: rejectedReading,
  storeEdge: storeEdgeReading,
};
