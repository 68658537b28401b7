/** `stream-pipeline plan` end to end: the installed bin, the repository's configuration, text and --json. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../../lib/config';
import type { Plan } from '../../lib/plan';
import { jsonOf, runCli } from './support/run-cli';

test('plan --json covers every configured pipeline, and its totals are the sum of its lines', async () => {
  const run = await runCli(['plan', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const plan = jsonOf<Plan>(run);
  assert.deepEqual(plan.pipelines.map((p) => p.name), loadConfig().pipelines.map((p) => p.name));
  assert.equal(plan.region, 'us-east-1');
  for (const p of plan.pipelines) {
    const sum = p.costs.reduce((s, l) => s + l.monthlyUsd, 0);
    assert.ok(Math.abs(sum - p.monthlyUsd) < 1e-9, p.name);
    assert.ok(p.costs.every((l) => Math.abs(l.quantity * l.unitUsd - l.monthlyUsd) < 1e-9), `${p.name}: quantity × unit price`);
  }
  const shared = plan.shared.reduce((s, l) => s + l.monthlyUsd, 0);
  assert.ok(Math.abs(plan.pipelines.reduce((s, p) => s + p.monthlyUsd, 0) + shared - plan.monthlyUsd) < 1e-9);
  assert.deepEqual(plan.warnings, []);
  assert.ok(plan.assumptions.length > 0);
});

test('plan prints a table per pipeline, the stack, the total and the assumptions', async () => {
  const run = await runCli(['plan']);
  assert.equal(run.code, 0, run.stderr);
  for (const name of loadConfig().pipelines.map((p) => p.name)) assert.match(run.stdout, new RegExp(`^${name} \\(`, 'm'));
  assert.match(run.stdout, /^SERVICE +ITEM +QUANTITY +UNIT PRICE +MONTHLY +UNIT$/m);
  assert.match(run.stdout, /^Kinesis +on-demand stream +730 +\$0\.04 +\$29\.20 /m);
  assert.match(run.stdout, /^Total: \$[\d,]+\.\d\d a month; concurrency \d+\.$/m);
  assert.match(run.stdout, /^Assumptions:$/m);
  assert.doesNotMatch(run.stdout, /^Warnings:$/m);
});

test('--pipeline plans only the named pipeline with its own load, and the warnings say what is wrong', async () => {
  const run = await runCli(['plan', '--json', '--mean', '50', '--pipeline', 'orders:peak=20000,hot-key-share=0.1,record-bytes=2048']);
  assert.equal(run.code, 0, run.stderr);
  const plan = jsonOf<Plan>(run);
  assert.deepEqual(plan.pipelines.map((p) => [p.name, p.load.peakEventsPerSecond, p.load.meanEventsPerSecond, p.load.recordBytes]), [['orders', 20000, 50, 2048]]);
  // 20,000/s × 10% = 2,000 records/s on one key, above a shard's 1,000.
  assert.deepEqual(plan.warnings.map((w) => [w.code, w.pipeline]), [['hot-key', 'orders']]);
  const text = await runCli(['plan', '--mean', '50', '--pipeline', 'orders:peak=20000,hot-key-share=0.1']);
  assert.match(text.stdout, /^Warnings:\n {2}! orders: the busiest partition key takes 2,000 records\/s/m);
});

test('bad load options fail with a message and exit code 1, before printing a plan', async () => {
  for (const args of [['--duplicates', '2'], ['--consumer', 'push'], ['--pipeline', 'orders:peak'], ['--pipeline', 'orders:speed=3'], ['--peak', '10', '--mean', '20'], ['--pipeline', 'nosuch']]) {
    const run = await runCli(['plan', ...args]);
    assert.equal(run.code, 1, `${args.join(' ')}: ${run.stdout}`);
    assert.equal(run.stdout, '', args.join(' '));
    assert.match(run.stderr, /^error: /m, args.join(' '));
  }
});

test("the README's example plan is what `plan` prints for the configured pipelines today", async () => {
  const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
  const section = readme.indexOf('The default pipelines at the default load');
  assert.ok(section > 0, 'README section "Capacity and cost plan" with its example');
  const start = readme.indexOf('```text\n', section) + '```text\n'.length;
  const example = readme.slice(start, readme.indexOf('\n```', start));
  const run = await runCli(['plan']);
  assert.equal(run.code, 0, run.stderr);
  const printed = run.stdout.slice(0, run.stdout.indexOf('\n\nAssumptions:'));
  assert.equal(example, printed, 'the configuration or the prices changed: paste the output of `npx stream-pipeline plan` (up to "Assumptions:") into the README example');
});
