/**
 * The `stack-per-pipeline` layout: 60 pipelines (the three example pipelines, each twenty times) stay
 * within CloudFormation's per-stack limits, no stack imports another's export, every Lambda bundle is
 * built once per action however many pipelines run it, and a pipeline's data-holding resources keep the
 * logical ids and physical names they have in the single stack (what moving between layouts needs).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { App, Validations, type Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { actionLabel, layoutStackNames, loadConfig, parseConfig, type PipelinesConfig } from '../../lib/config';
import { pipelinesConfig } from '../../lib/config/pipelines';
import { buildStacks, DashboardStack, PipelineStack, PIPELINES_PER_DASHBOARD } from '../../lib/layout';
import { synthStack } from './synth';

/** CloudFormation quotas per stack (AWS CloudFormation User Guide, "Quotas"). */
const LIMITS = { resources: 500, outputs: 200, parameters: 200, mappings: 200, templateBytes: 1_000_000 };
/** CloudWatch: widgets per dashboard. */
const MAX_WIDGETS_PER_DASHBOARD = 500;
const PIPELINES = 60;

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }>;
  Outputs?: Record<string, { Export?: unknown }>;
  Parameters?: Record<string, unknown>;
  Mappings?: Record<string, unknown>;
}

function manyPipelines(count: number, layout: 'single-stack' | 'stack-per-pipeline'): PipelinesConfig {
  const examples = pipelinesConfig.pipelines;
  return parseConfig({
    ...pipelinesConfig,
    layout,
    pipelines: Array.from({ length: count }, (_, i) => ({ ...examples[i % examples.length]!, name: `${examples[i % examples.length]!.name}-${String(i).padStart(2, '0')}` })),
  });
}

function synthApp(config: PipelinesConfig): { outdir: string; stacks: Stack[]; templates: Map<string, { json: Template; bytes: number }>; ms: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-pipeline-layout-'));
  const began = Date.now();
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true }, builtinCloudFormationValidation: false });
  const stacks = buildStacks(app, config);
  const assembly = app.synth();
  const ms = Date.now() - began;
  const templates = new Map<string, { json: Template; bytes: number }>();
  for (const stack of assembly.stacks) {
    const text = fs.readFileSync(path.join(outdir, stack.templateFile), 'utf8');
    templates.set(stack.stackName, { json: JSON.parse(text) as Template, bytes: Buffer.byteLength(text) });
  }
  return { outdir, stacks, templates, ms };
}

describe(`stack-per-pipeline with ${PIPELINES} pipelines`, () => {
  let synth: ReturnType<typeof synthApp>;
  const config = manyPipelines(PIPELINES, 'stack-per-pipeline');
  const names = layoutStackNames(config.stackName);

  before(() => {
    synth = synthApp(config);
    // A figure for the README, not a pass mark: wall-clock time depends on the machine's load.
    process.stderr.write(`[layout] ${PIPELINES} pipelines, ${synth.templates.size} stacks synthesized in ${(synth.ms / 1000).toFixed(1)} s\n`);
  });
  after(() => synth && fs.rmSync(synth.outdir, { recursive: true, force: true }));

  it('is an alarms stack, one stack per pipeline and a dashboard stack', () => {
    assert.deepEqual(
      [...synth.templates.keys()].sort(),
      [names.alarmsStackName, names.dashboardStackName, ...config.pipelines.map((p) => names.pipelineStackName(p.name))].sort(),
    );
  });

  it('every stack stays within CloudFormation quotas: resources, outputs, parameters, mappings, template size', () => {
    for (const [name, { json, bytes }] of synth.templates) {
      const counts = {
        resources: Object.keys(json.Resources).length,
        outputs: Object.keys(json.Outputs ?? {}).length,
        parameters: Object.keys(json.Parameters ?? {}).length,
        mappings: Object.keys(json.Mappings ?? {}).length,
        templateBytes: bytes,
      };
      for (const [quota, value] of Object.entries(counts)) assert.ok(value < LIMITS[quota as keyof typeof LIMITS], `${name}: ${quota} ${value} ≥ ${LIMITS[quota as keyof typeof LIMITS]}`);
    }
    const perPipeline = Object.keys(synth.templates.get(names.pipelineStackName(config.pipelines[0]!.name))!.json.Resources).length;
    assert.ok(perPipeline > 20 && perPipeline < 60, `a pipeline stack holds ${perPipeline} resources`);
  });

  it('no stack exports or imports a value: each deploys, changes and replaces its resources on its own', () => {
    for (const [name, { json }] of synth.templates) {
      assert.doesNotMatch(JSON.stringify(json), /Fn::ImportValue/, `${name} imports an export`);
      const exported = Object.entries(json.Outputs ?? {}).filter(([, o]) => o.Export !== undefined);
      assert.deepEqual(exported, [], `${name} exports`);
    }
  });

  it('the dashboards show every pipeline, within CloudWatch\'s widgets per dashboard, reading each mapping\'s UUID from its SSM parameter', () => {
    const dashboard = synth.stacks.find((s): s is DashboardStack => s instanceof DashboardStack)!;
    assert.equal(dashboard.dashboards.length, Math.ceil(PIPELINES / PIPELINES_PER_DASHBOARD));
    const json = synth.templates.get(names.dashboardStackName)!.json;
    const bodies = Object.values(json.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard').map((r) => JSON.stringify(r.Properties?.DashboardBody));
    for (const body of bodies) assert.ok((body.match(/\\"type\\":/g) ?? []).length < MAX_WIDGETS_PER_DASHBOARD, 'widgets per dashboard');
    for (const p of config.pipelines) assert.equal(bodies.filter((b) => new RegExp(`## ${p.name}(?![a-z0-9-])`).test(b)).length, 1, `${p.name} has a row on one dashboard`);
    // BootstrapVersion is the CDK bootstrap's own (every stack has it).
    const ssmParameters = Object.entries(json.Parameters ?? {}).filter(([id]) => id !== 'BootstrapVersion').map(([, p]) => p) as { Type: string; Default: string }[];
    assert.deepEqual(
      ssmParameters.map((p) => [p.Type, p.Default]).sort(),
      config.pipelines.map((p) => ['AWS::SSM::Parameter::Value<String>', names.eventSourceMappingParameter(p.name)]).sort(),
    );
  });

  it('each action is bundled once, however many pipelines run it (CDK caches identical bundling)', () => {
    const codeOf = (stack: PipelineStack): string => {
      const json = synth.templates.get(stack.stackName)!.json;
      const fn = Object.values(json.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.FunctionName === stack.pipeline.names.functionName);
      return JSON.stringify((fn!.Properties!.Code as { S3Key: unknown }).S3Key);
    };
    const byAction = new Map<string, Set<string>>();
    for (const stack of synth.stacks.filter((s): s is PipelineStack => s instanceof PipelineStack)) {
      const set = byAction.get(actionLabel(stack.pipeline.pipeline)) ?? new Set<string>();
      set.add(codeOf(stack));
      byAction.set(actionLabel(stack.pipeline.pipeline), set);
    }
    for (const [action, keys] of byAction) assert.equal(keys.size, 1, `${action}: ${keys.size} different bundles`);
    const bundleDirs = fs.readdirSync(synth.outdir).filter((entry) => entry.startsWith('asset.') && fs.statSync(path.join(synth.outdir, entry)).isDirectory());
    assert.ok(bundleDirs.length <= byAction.size + 2, `${bundleDirs.length} bundle folders for ${byAction.size} actions`);
  });
});

describe('moving between layouts', () => {
  it('a pipeline\'s resources keep their logical ids, types and physical names in both layouts, and the data-holding ones are retained', () => {
    const single = synthStack(loadConfig(), { stubHandlers: true });
    const splitConfig = parseConfig({ ...pipelinesConfig, layout: 'stack-per-pipeline' });
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-pipeline-layout-'));
    try {
      const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
      const stacks = buildStacks(app, splitConfig, { handlersDir: path.join(__dirname, 'fixtures', 'handlers') });
      app.synth();
      const names = layoutStackNames(splitConfig.stackName);
      const dataHolding = ['AWS::Kinesis::Stream', 'AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::KMS::Key'];
      for (const pipeline of splitConfig.pipelines) {
        const stack = stacks.find((s) => s.stackName === names.pipelineStackName(pipeline.name))!;
        const split = (JSON.parse(fs.readFileSync(path.join(outdir, `${stack.artifactId}.template.json`), 'utf8')) as Template).Resources;
        const moved = Object.entries(split).filter(([, r]) => dataHolding.includes(r.Type));
        assert.ok(moved.length >= 4, `${pipeline.name}: stream, queue, tables, key`);
        for (const [logicalId, resource] of moved) {
          const before = single.json.Resources[logicalId];
          assert.ok(before, `${pipeline.name}: ${logicalId} (${resource.Type}) has the same logical id in the single stack`);
          assert.equal(before.Type, resource.Type);
          for (const nameProperty of ['StreamName', 'TableName', 'QueueName']) assert.deepEqual(before.Properties[nameProperty], resource.Properties?.[nameProperty], `${logicalId}.${nameProperty}`);
          if (resource.Type !== 'AWS::Kinesis::Stream') assert.equal(resource.DeletionPolicy, 'Retain', `${logicalId} is retained when its stack lets it go`);
        }
      }
    } finally {
      single.dispose();
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('cdk-nag on the split layout', () => {
  it('AwsSolutions finds nothing unacknowledged in any of its stacks', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-pipeline-layout-'));
    try {
      const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
      // Rules look at resources, not code: the fixture handlers give the same templates but for asset hashes.
      buildStacks(app, parseConfig({ ...pipelinesConfig, layout: 'stack-per-pipeline' }), { handlersDir: path.join(__dirname, 'fixtures', 'handlers') });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
      let synthError: unknown;
      try {
        app.synth();
      } catch (error) {
        synthError = error;
      }
      const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[] };
      const open = report.pluginReports.flatMap((r) => r.violations.map((v) => `${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`));
      assert.deepEqual(open, []);
      assert.equal(synthError, undefined, String(synthError));
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
