/**
 * A small CDK stack synthesized in-process into a temporary cloud assembly, with one resource of each
 * kind the local deploy handles (and some it does not), for testing the deploy from a real template.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { FIXTURE_ENTRY } from './fixture-functions';

const REPO_ROOT = join(__dirname, '..', '..', '..');

export interface FixtureStack {
  readonly cdkOut: string;
  readonly stackName: string;
  /** Physical names the stack sets explicitly. */
  readonly names: { readonly stream: string; readonly table: string; readonly dlq: string; readonly function: string; readonly alarm: string };
}

export function synthFixtureStack(stackName: string): FixtureStack {
  const cdkOut = mkdtempSync(join(tmpdir(), 'fixture-cdk-out-'));
  const app = new App({ outdir: cdkOut, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, stackName, { stackName });
  const names = { stream: `${stackName}-events`, table: `${stackName}-items`, dlq: `${stackName}-dlq`, function: `${stackName}-echo`, alarm: `${stackName}-echo-errors` };

  const key = new kms.Key(stack, 'Key');
  const stream = new kinesis.Stream(stack, 'Events', { streamName: names.stream, shardCount: 3, retentionPeriod: Duration.hours(48) });
  new kinesis.Stream(stack, 'OnDemand', { streamMode: kinesis.StreamMode.ON_DEMAND });
  const table = new dynamodb.Table(stack, 'Items', {
    tableName: names.table,
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: 'expiresAt',
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  table.addGlobalSecondaryIndex({ indexName: 'byStatus', partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING } });
  const dlq = new sqs.Queue(stack, 'Dlq', {
    queueName: names.dlq,
    retentionPeriod: Duration.days(4),
    visibilityTimeout: Duration.seconds(45),
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
  });
  const inbox = new sqs.Queue(stack, 'AlertsInbox');
  const alerts = new sns.Topic(stack, 'Alerts');
  alerts.addSubscription(new subscriptions.SqsSubscription(inbox, { rawMessageDelivery: true }));
  alerts.addSubscription(new subscriptions.EmailSubscription('oncall@example.com'));

  const fn = new nodejs.NodejsFunction(stack, 'Echo', {
    functionName: names.function,
    entry: FIXTURE_ENTRY,
    handler: 'echo',
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    timeout: Duration.seconds(7),
    memorySize: 256,
    depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
    projectRoot: REPO_ROOT,
    environment: {
      TABLE_NAME: table.tableName,
      DLQ_URL: dlq.queueUrl,
      TOPIC_ARN: alerts.topicArn,
      STREAM_ARN: stream.streamArn,
      JOINED: Fn.join('|', [table.tableName, stream.streamName]),
      SUBSTITUTED: Fn.sub('${AWS::Region}/${AWS::AccountId}/${Name}', { Name: dlq.queueName }),
    },
  });
  fn.addEventSource(
    new KinesisEventSource(stream, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 10,
      bisectBatchOnError: true,
      retryAttempts: 2,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(dlq),
    }),
  );
  new cloudwatch.Alarm(stack, 'EchoErrors', {
    alarmName: names.alarm,
    metric: fn.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
  });
  app.synth();
  return { cdkOut, stackName, names };
}
