/**
 * A CDK stack with the schedules the local target runs, synthesized in-process: EventBridge rules on a
 * rate (CDK's events.Rule + targets.LambdaFunction, the standard Scheduled Event), on a cron with a
 * constant input, and a DISABLED one; an EventBridge Scheduler schedule with context attributes in its
 * input, aimed at a function that always fails; and what the local target does not run (a rule on an
 * event pattern, a rule whose only target is a queue). Every function is the parity recorder, which sends
 * each event it gets (with its container's pid) to the `Invocations` queue.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const RECORDER_ENTRY = join(REPO_ROOT, 'test', 'fixtures', 'functions', 'parity-recorder.ts');

export interface ScheduleFixtureStack {
  readonly cdkOut: string;
  readonly stackName: string;
  /** Logical ids of the schedules, to find them in what the local target deployed. */
  readonly ids: {
    readonly rate: string;
    readonly cron: string;
    readonly disabled: string;
    readonly schedule: string;
    readonly queue: string;
    readonly onPattern: string;
    readonly toQueue: string;
  };
  /** The constant input of the cron rule. */
  readonly cronInput: Readonly<Record<string, unknown>>;
}

export function synthScheduleFixtureStack(stackName: string): ScheduleFixtureStack {
  const cdkOut = mkdtempSync(join(tmpdir(), 'schedule-cdk-out-'));
  const app = new App({ outdir: cdkOut, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, stackName, { stackName });
  const queue = new sqs.Queue(stack, 'Invocations');
  const recorder = (id: string, environment: Record<string, string> = {}): nodejs.NodejsFunction =>
    new nodejs.NodejsFunction(stack, id, {
      entry: RECORDER_ENTRY,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      timeout: Duration.seconds(10),
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      projectRoot: REPO_ROOT,
      // The AWS SDK inside the bundle, as the stack's functions have it: the local runtime provides none.
      bundling: { externalModules: [] },
      environment: { RECORD_QUEUE_URL: queue.queueUrl, ...environment },
    });
  const closer = recorder('Closer');
  const failing = recorder('Failing', { FAIL_ALWAYS: '1' });

  // What the stack will add per windowed pipeline: every minute, the standard Scheduled Event.
  const rate = new events.Rule(stack, 'EveryMinute', { schedule: events.Schedule.rate(Duration.minutes(1)), targets: [new targets.LambdaFunction(closer)] });
  const cronInput = { from: 'cron', note: 'a constant input' };
  const cron = new events.Rule(stack, 'CronEveryMinute', {
    schedule: events.Schedule.expression('cron(* * * * ? *)'),
    targets: [new targets.LambdaFunction(closer, { event: events.RuleTargetInput.fromObject(cronInput) })],
  });
  const disabled = new events.Rule(stack, 'Disabled', { enabled: false, schedule: events.Schedule.rate(Duration.minutes(1)), targets: [new targets.LambdaFunction(closer)] });
  const schedule = new scheduler.Schedule(stack, 'FailingSchedule', {
    schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
    target: new schedulerTargets.LambdaInvoke(failing, {
      input: scheduler.ScheduleTargetInput.fromObject({ schedule: scheduler.ContextAttribute.scheduleArn, at: scheduler.ContextAttribute.scheduledTime }),
    }),
  });
  const onPattern = new events.Rule(stack, 'OnPattern', { eventPattern: { source: ['my.app'] }, targets: [new targets.LambdaFunction(closer)] });
  const toQueue = new events.Rule(stack, 'ToQueue', { schedule: events.Schedule.rate(Duration.minutes(5)), targets: [new targets.SqsQueue(queue)] });
  app.synth();
  return {
    cdkOut,
    stackName,
    ids: {
      rate: stack.getLogicalId(rate.node.defaultChild as events.CfnRule),
      cron: stack.getLogicalId(cron.node.defaultChild as events.CfnRule),
      disabled: stack.getLogicalId(disabled.node.defaultChild as events.CfnRule),
      schedule: stack.getLogicalId(schedule.node.defaultChild as scheduler.CfnSchedule),
      queue: stack.getLogicalId(queue.node.defaultChild as sqs.CfnQueue),
      onPattern: stack.getLogicalId(onPattern.node.defaultChild as events.CfnRule),
      toQueue: stack.getLogicalId(toQueue.node.defaultChild as events.CfnRule),
    },
    cronInput,
  };
}
