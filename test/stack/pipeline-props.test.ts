/**
 * EventPipeline on its own, as a team uses it in its own app: its props' documented defaults are the
 * schema's, a pipeline declared in two lines gets them all (and its own alarm topic) and is cdk-nag clean,
 * an action from the user's own code gets its entry, handler and kind, and bad props are refused with
 * the configuration's messages.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InvalidConfigError, parsePipeline } from '../../lib/config';
import { EventPipeline, type EventPipelineProps } from '../../lib/constructs';
import { ProcessorEnv } from '../../lambdas/shared/environment';
import { resourcesOfType, type CfnResource, type Synthesized } from './synth';

const FIXTURE_HANDLERS = path.join(__dirname, 'fixtures', 'handlers');
const outdirs: string[] = [];
after(() => outdirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function synth(props: EventPipelineProps, options: { nag?: boolean } = {}): { json: Synthesized['json']; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'event-pipeline-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = new Stack(app, 'TeamStack');
  new EventPipeline(stack, 'Pipeline', props);
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  app.synth();
  return { json: Template.fromStack(stack).toJSON() as Synthesized['json'], outdir };
}

describe("the props' documented defaults", () => {
  // Each `@default <value>` of lib/constructs/event-pipeline-props.ts, by section, against what the schema fills in.
  const source = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'constructs', 'event-pipeline-props.ts'), 'utf8');
  const sections = { stream: 'EventPipelineStreamProps', eventSource: 'EventPipelineEventSourceProps', processor: 'EventPipelineProcessorProps', idempotency: 'EventPipelineIdempotencyProps', alarms: 'EventPipelineAlarmsProps' } as const;
  const parsed = parsePipeline({ name: 'clicks', description: 'Clicks', action: 'noop' });

  for (const [section, interfaceName] of Object.entries(sections) as [keyof typeof sections, string][]) {
    test(`${interfaceName}: every literal @default is the schema's default`, () => {
      const body = new RegExp(`export interface ${interfaceName} \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1];
      assert.ok(body, `${interfaceName} found`);
      const documented = [...body.matchAll(/@default ([^\n*]+?) \*\/\n\s+readonly (\w+)\?/g)].map(([, value, field]) => [field!, value!.trim()] as const);
      assert.ok(documented.length > 0);
      for (const [field, value] of documented) {
        const actual = (parsed[section] as Record<string, unknown>)[field];
        // `- text` documents a computed default (none, or derived from another field): nothing is filled in.
        if (value.startsWith('- ')) assert.equal(actual, undefined, `${section}.${field} has no literal default`);
        else assert.deepEqual(actual, JSON.parse(value.replace(/'/g, '"')), `${section}.${field}`);
      }
    });
  }
});

describe('an EventPipeline declared with its name and action only', () => {
  const { json, outdir } = synth({ pipelineName: 'clicks', action: 'noop', handlersDir: FIXTURE_HANDLERS }, { nag: true });

  test('gets the default stream and event source mapping', () => {
    const [[, stream]] = resourcesOfType(json, 'AWS::Kinesis::Stream') as [[string, CfnResource]];
    assert.deepEqual(stream.Properties.StreamModeDetails, { StreamMode: 'ON_DEMAND' });
    assert.equal(stream.Properties.RetentionPeriodHours, 24);
    assert.equal(stream.Properties.Name, 'TeamStack-clicks-events', 'named by the naming rule, from the stack name');
    const [[, mapping]] = resourcesOfType(json, 'AWS::Lambda::EventSourceMapping') as [[string, CfnResource]];
    assert.equal(mapping.Properties.BatchSize, 100);
    assert.equal(mapping.Properties.ParallelizationFactor, 1);
    assert.equal(mapping.Properties.MaximumRetryAttempts, 5);
    assert.deepEqual(mapping.Properties.FunctionResponseTypes, ['ReportBatchItemFailures']);
  });

  test('sends its alarms to an encrypted alarm topic of its own', () => {
    const topics = resourcesOfType(json, 'AWS::SNS::Topic');
    assert.equal(topics.length, 1);
    const [[topicId, topic]] = topics as [[string, CfnResource]];
    assert.equal(topic.Properties.TopicName, 'TeamStack-clicks-alarms');
    assert.ok(topic.Properties.KmsMasterKeyId, 'encrypted');
    const alarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm');
    assert.ok(alarms.length > 0);
    for (const [, alarm] of alarms) assert.deepEqual(alarm.Properties.AlarmActions, [{ Ref: topicId }]);
  });

  test('is cdk-nag clean in an app of its own (the pipeline acknowledges its own findings)', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: { violations: unknown[] }[] };
    assert.deepEqual(report.pluginReports.flatMap((r) => r.violations), []);
  });
});

describe('an action from the user\'s own code', () => {
  const entry = path.join(FIXTURE_HANDLERS, 'noop.ts');

  test('bundles its entry with its handler, tells the processor its kind, and has a state table unless it keeps none', () => {
    const withState = synth({ pipelineName: 'views', action: { entry, kind: 'transactional' } }).json;
    const [[, fn]] = resourcesOfType(withState, 'AWS::Lambda::Function') as [[string, CfnResource]];
    const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    assert.equal(env[ProcessorEnv.ActionKind], 'transactional');
    assert.equal(fn.Properties.Handler, 'index.handler');
    assert.ok(env[ProcessorEnv.StateTable], 'a state table by default');
    assert.equal(resourcesOfType(withState, 'AWS::DynamoDB::Table').length, 2);

    const stateless = synth({ pipelineName: 'hooks', action: { entry, kind: 'external', stateTable: false, handler: 'handler' } }).json;
    const [[, hook]] = resourcesOfType(stateless, 'AWS::Lambda::Function') as [[string, CfnResource]];
    assert.equal((hook.Properties.Environment as { Variables: Record<string, unknown> }).Variables[ProcessorEnv.ActionKind], 'external');
    assert.equal(resourcesOfType(stateless, 'AWS::DynamoDB::Table').length, 1, 'the idempotency table only');
  });

  test('an entry that does not exist is refused with where it was looked for', () => {
    assert.throws(
      () => synth({ pipelineName: 'views', action: { entry: 'src/missing-handler.ts', kind: 'transactional' } }),
      (error: unknown) => error instanceof InvalidConfigError && /^pipeline\(views\)\.action\.entry: no file at .*src\/missing-handler\.ts \("src\/missing-handler\.ts" is resolved from /.test(error.problems[0] ?? ''),
    );
  });
});

test('bad props are refused with every problem, each naming the pipeline and the field', () => {
  assert.throws(
    () => synth({ pipelineName: 'clicks', action: 'noop', handlersDir: FIXTURE_HANDLERS, eventSource: { batchSize: 0 }, stream: { mode: 'PROVISIONED' } }),
    (error: unknown) =>
      error instanceof InvalidConfigError &&
      error.problems.some((p) => /^pipeline\(clicks\)\.eventSource\.batchSize: /.test(p)) &&
      error.problems.some((p) => p === 'pipeline(clicks).stream.shardCount: is required when mode is PROVISIONED'),
  );
});
