#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`. Builds the stack (or stacks: `layout`) from the pipeline configuration
 * (lib/config/pipelines.ts) and checks it with cdk-nag's AwsSolutions rules.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../lib/config';
import { buildStacks } from '../lib/layout';

const app = new App({
  context: {
    // Keep `aws:asset:path` on the functions even when the app runs without the CDK CLI: the local
    // target runs each function's bundle from cdk.out/<asset path>.
    'aws:cdk:enable-asset-metadata': true,
  },
  // CDK's built-in CloudFormation rule check doubles synth time (~10 s of WASM); the same check runs
  // with cdk-nag in test/stack/nag.test.ts, which must report nothing.
  builtinCloudFormationValidation: false,
});
const config = loadConfig();
// Environment-agnostic on purpose: the same template deploys to any account and region, and synth
// needs no AWS credentials. One stack, or one per pipeline, by the configuration's `layout`.
buildStacks(app, config);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
