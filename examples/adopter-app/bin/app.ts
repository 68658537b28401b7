#!/usr/bin/env node
/**
 * The team's CDK app: its own stack, with one stream-pipeline `EventPipeline` whose action is the team's
 * code (src/handler.ts), checked with cdk-nag's AwsSolutions rules. Nothing of stream-pipeline's
 * repository (its configuration file, its stack) is used: only the package.
 */
import * as path from 'node:path';
import { App, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EventPipeline } from 'stream-pipeline';

export const STACK_NAME = 'PageViews';

const app = new App({
  // The local target runs each function's bundle from the cloud assembly's asset folder.
  context: { 'aws:cdk:enable-asset-metadata': true },
});
const stack = new Stack(app, STACK_NAME, { description: 'Page views counted exactly once' });

const pipeline = new EventPipeline(stack, 'PageViews', {
  pipelineName: 'page-views',
  description: 'Counts the views of each page',
  action: { entry: path.join(__dirname, '..', 'src', 'handler.ts'), kind: 'transactional' },
  stream: { mode: 'PROVISIONED', shardCount: 1 },
  eventSource: { batchSize: 50 },
  alarms: { latencyObjectiveMs: 2000 },
});
// Producers write here (an upstream application's role gets `pipeline.grantProduce(role)`).
new CfnOutput(stack, 'StreamName', { value: pipeline.stream.streamName });

Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
