/**
 * Synthesizes the stack the way `cdk synth` does (real esbuild bundles, asset metadata) into a
 * temporary cloud assembly, and helps tests look resources up by their physical names.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig, type PipelinesConfig } from '../../lib/config';
import { StreamPipelineStack } from '../../lib/stream-pipeline-stack';

export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
  Metadata?: Record<string, unknown>;
}

export interface Synthesized {
  readonly stack: StreamPipelineStack;
  readonly template: Template;
  /** The raw template, for lookups by property. */
  readonly json: { Resources: Record<string, CfnResource>; Outputs: Record<string, { Value: unknown }> };
  /** The cloud assembly folder (asset bundles live here). */
  readonly outdir: string;
  /** Removes the cloud assembly folder. */
  readonly dispose: () => void;
}

export interface SynthOptions {
  /** Run cdk-nag AwsSolutions and CDK's built-in CloudFormation checks, as the nag test does. */
  readonly validation?: boolean;
  /**
   * Bundle trivial fixture handlers instead of lambdas/handlers: for tests that check the template
   * but not the bundle, bundling the real processor twice would only cost seconds.
   */
  readonly stubHandlers?: boolean;
  /** Adds test-only constructs to the stack before synthesis. */
  readonly extend?: (stack: StreamPipelineStack) => void;
}

export function synthStack(config: PipelinesConfig = loadConfig(), options: SynthOptions = {}): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-pipeline-synth-'));
  const app = new App({
    outdir,
    context: { 'aws:cdk:enable-asset-metadata': true },
    builtinCloudFormationValidation: options.validation ?? false,
  });
  const stack = new StreamPipelineStack(app, config.stackName, {
    config,
    handlersDir: options.stubHandlers ? path.join(__dirname, 'fixtures', 'handlers') : undefined,
  });
  options.extend?.(stack);
  if (options.validation) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  app.synth();
  const template = Template.fromStack(stack);
  return {
    stack,
    template,
    json: template.toJSON() as Synthesized['json'],
    outdir,
    dispose: () => fs.rmSync(outdir, { recursive: true, force: true }),
  };
}

/** The logical id and resource of the only resource of `type` whose `property` equals `value`. */
export function resourceWhere(json: Synthesized['json'], type: string, property: string, value: unknown): [string, CfnResource] {
  const found = Object.entries(json.Resources).filter(
    ([, r]) => r.Type === type && JSON.stringify(r.Properties?.[property]) === JSON.stringify(value),
  );
  if (found.length !== 1) throw new Error(`expected one ${type} with ${property}=${JSON.stringify(value)}, found ${found.length}`);
  return found[0]!;
}

export function resourcesOfType(json: Synthesized['json'], type: string): [string, CfnResource][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

/** The periods an alarm evaluates: its own, or, for a metric-math alarm, each metric's it reads. */
export function alarmPeriods(alarm: CfnResource): unknown[] {
  const metrics = alarm.Properties.Metrics as { MetricStat?: { Period: number } }[] | undefined;
  return metrics ? metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Period] : [])) : [alarm.Properties.Period];
}

export const ref = (logicalId: string): { Ref: string } => ({ Ref: logicalId });
export const arnOf = (logicalId: string): { 'Fn::GetAtt': [string, string] } => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
