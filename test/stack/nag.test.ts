/**
 * cdk-nag (AwsSolutions) and CDK's built-in CloudFormation checks on the default stack: nothing
 * unsuppressed, errors and warnings alike, and every acknowledgement carries a reason.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../lib/config';
import { PIPELINE_ACKNOWLEDGEMENTS } from '../../lib/constructs/nag-acknowledgements';
import { synthStack, type Synthesized } from './synth';

interface Violation {
  ruleName: string;
  severity: string;
  description: string;
  violatingConstructs: { constructPath: string }[];
  reason?: string;
  acknowledgedId?: string;
}
interface Report {
  pluginReports: { pluginName: string; conclusion: string; violations: Violation[]; suppressedViolations?: Violation[] }[];
}

let s: Synthesized | undefined;
let report: Report;
let synthError: unknown;

before(() => {
  try {
    // Rules look at resources, not code: trivial handlers give the same template but for asset hashes.
    s = synthStack(loadConfig(), { validation: true, stubHandlers: true });
  } catch (error) {
    // A failed validation throws from synth; the report still says why.
    synthError = error;
  }
  const outdir = s?.outdir ?? (String(synthError).match(/found in: (\S+)\/validation-report\.json/)?.[1] ?? '');
  report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Report;
});
after(() => s?.dispose());

test('synth with AwsSolutions checks succeeds', () => {
  assert.equal(synthError, undefined, String(synthError));
  assert.ok(report.pluginReports.some((r) => r.pluginName === 'AwsSolutions'), 'the AwsSolutions pack ran');
});

test('zero unsuppressed findings, errors or warnings, from any validation plugin', () => {
  const open = report.pluginReports.flatMap((r) =>
    r.violations.map((v) => `${r.pluginName} ${v.severity} ${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}: ${v.description}`),
  );
  assert.deepEqual(open, []);
});

test('only the deliberate acknowledgements are used, each with a written reason', () => {
  const suppressed = report.pluginReports.flatMap((r) => r.suppressedViolations ?? []);
  const expectedIds = new Set(Object.values(PIPELINE_ACKNOWLEDGEMENTS).flatMap((acks) => acks.map((a) => a.id)));
  assert.deepEqual(new Set(suppressed.map((v) => v.acknowledgedId)), expectedIds);
  for (const v of suppressed) assert.ok((v.reason ?? '').length >= 40, `${v.ruleName} has a real reason`);
  // One acknowledgement per pipeline resource, never stack-wide.
  for (const v of suppressed) {
    for (const c of v.violatingConstructs) assert.match(c.constructPath, /^StreamPipeline\/Pipeline-[a-z0-9-]+\//);
  }
});
