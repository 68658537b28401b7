/**
 * The generated configuration reference covers every field the schema accepts, each with a meaning,
 * and shows the defaults parseConfig really applies.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../lib/config';
import { configFields, configReferenceMarkdown } from '../../lib/config/reference';

const fields = configFields();
const byPath = new Map(fields.map((f) => [f.path, f]));

/** Leaf paths of a parsed value, arrays as `[]`, telemetry threshold names as `<name>`. */
function leafPaths(value: unknown, prefix: string): string[] {
  if (Array.isArray(value)) return value.length && typeof value[0] === 'object' ? leafPaths(value[0], `${prefix}[]`) : [`${prefix}[]`];
  if (value === null || typeof value !== 'object') return [prefix];
  return Object.entries(value).flatMap(([key, v]) => {
    const name = prefix.endsWith('.thresholds') ? '<name>' : key;
    return leafPaths(v, prefix ? `${prefix}.${name}` : name);
  });
}

test('every field of a fully specified configuration is documented, with a meaning', () => {
  const parsed = parseConfig({
    stackName: 'S',
    pipelines: [
      { name: 'a', description: 'd', action: 'telemetry', stream: { mode: 'PROVISIONED', shardCount: 1 }, idempotency: { leaseSeconds: 60 }, alarms: { iteratorAgeThresholdMs: 9 }, telemetry: {} },
    ],
  });
  const leaves = [...new Set(leafPaths(parsed, ''))];
  assert.ok(leaves.length > 30);
  for (const leaf of leaves) {
    const field = byPath.get(leaf);
    assert.ok(field, `${leaf} is in the reference`);
    assert.ok(field.description.length > 10, `${leaf} has a meaning`);
  }
});

test('the documented defaults are the ones parseConfig applies', () => {
  const p = parseConfig({ stackName: 'S', pipelines: [{ name: 'a', description: 'd', action: 'noop' }] }).pipelines[0]!;
  assert.equal(byPath.get('pipelines[].eventSource.batchSize')?.defaultValue, String(p.eventSource.batchSize));
  assert.equal(byPath.get('pipelines[].eventSource.startingPosition')?.defaultValue, JSON.stringify(p.eventSource.startingPosition));
  assert.equal(byPath.get('pipelines[].stream.retentionHours')?.defaultValue, String(p.stream.retentionHours));
  assert.equal(byPath.get('pipelines[].alarms.latencyObjectiveMs')?.defaultValue, String(p.alarms.latencyObjectiveMs));
  assert.equal(byPath.get('pipelines[].alarms.latencyMinLateEvents')?.defaultValue, String(p.alarms.latencyMinLateEvents));
  assert.equal(byPath.get('pipelines[].name')?.defaultValue, '(required)');
});

test('ranges come from the schema', () => {
  assert.equal(byPath.get('pipelines[].eventSource.batchSize')?.type, 'integer, 1–10000');
  assert.equal(byPath.get('pipelines[].eventSource.maxRecordAgeSeconds')?.type, 'integer, 60–604800');
  assert.match(configReferenceMarkdown(), /^\| field \| type and range \| default \| meaning \|\n\|---\|/);
});
