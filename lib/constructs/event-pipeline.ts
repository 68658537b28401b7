/**
 * One configured pipeline: stream → event source mapping → processor → idempotency (+ state) table,
 * with its dead-letter queue, encryption key, least-privilege grants and alarms.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { builtInAction, customAction, InvalidConfigError, isWindowed, leaseSeconds, parsePipeline, physicalNameProblems, pipelineResourceNames, type ActionName, type PipelineConfig, type PipelineResourceNames } from '../config';
import { ProcessorEnv } from '../../lambdas/shared/environment';
import { IdempotencyTable, StateTable } from '../../lambdas/shared/tables';
import { pipelineAlarmSpecs, type AlarmSpec } from './alarm-specs';
import { AlarmTopic } from './alarm-topic';
import { pipelineInput, type EventPipelineProps } from './event-pipeline-props';
import { acknowledgePipelineFindings } from './nag-acknowledgements';
import { PipelineAlarms } from './pipeline-alarms';
import { ProcessorFunction } from './processor-function';
import { SqsFailureDestination } from './sqs-failure-destination';
import { StreamReadSource } from './stream-read-source';

/** Actions that keep their own state (current order state, open telemetry incidents, return windows). */
const STATEFUL_ACTIONS: readonly ActionName[] = ['orders', 'telemetry', 'returns'];
/** Actions that publish alerts. */
const ALERTING_ACTIONS: readonly ActionName[] = ['telemetry', 'returns'];
/** How often the closer of a windowed pipeline runs (the watermark and closing advance at this pace). */
export const CLOSER_SCHEDULE_MINUTES = 1;

/** The actions the processor calls on a table: item reads and writes, including transactions. */
const TABLE_ITEM_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  // TransactWriteItems is authorized per item action; condition checks need their own action.
  'dynamodb:ConditionCheckItem',
];

export type { EventPipelineProps } from './event-pipeline-props';

export class EventPipeline extends Construct {
  /** The pipeline's settings: the props validated, with every default filled in. */
  readonly pipeline: PipelineConfig;
  readonly names: PipelineResourceNames;
  /**
   * Customer-managed key of the pipeline's data at rest (stream, DLQ, tables, alerts topic).
   * Retained on stack deletion: the retained tables and DLQ stay readable only with it.
   */
  readonly key: kms.Key;
  readonly stream: kinesis.Stream;
  /** Only with `eventSource.consumer: efo`: the enhanced fan-out consumer the mapping reads through. */
  readonly streamConsumer?: kinesis.StreamConsumer;
  /** Receives the event source mapping's gave-up batches and the processor's poison records. */
  readonly deadLetterQueue: sqs.Queue;
  readonly idempotencyTable: dynamodb.Table;
  /** Only for actions that keep state (`orders`, `telemetry`). */
  readonly stateTable?: dynamodb.Table;
  /** Only for actions that alert (`telemetry`, `returns`). */
  readonly alertsTopic?: sns.Topic;
  /** Only for windowed pipelines (`returns`): the EventBridge schedule that runs the window closer. */
  readonly closerSchedule?: events.Rule;
  readonly processor: nodejs.NodejsFunction;
  readonly processorRole: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly eventSourceMapping: lambda.EventSourceMapping;
  /** The alarm table this pipeline was built from (one row per alarm). */
  readonly alarmSpecs: readonly AlarmSpec[];
  readonly alarms: readonly cloudwatch.Alarm[];
  /** Receives ALARM and OK notifications of every alarm: the one given, or the pipeline's own. */
  readonly alarmTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: EventPipelineProps) {
    super(scope, id);
    const pipeline = parsePipeline(pipelineInput(props));
    const names = props.names ?? defaultNames(Stack.of(this).stackName, pipeline.name);
    this.pipeline = pipeline;
    this.names = names;
    this.alarmTopic = props.alarmTopic ?? new AlarmTopic(this, 'AlarmTopic', { topicName: `${names.alarmNamePrefix}alarms` }).topic;

    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the data of the ${names.streamName} pipeline (stream, DLQ, tables, topic)`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stream = new kinesis.Stream(this, 'Stream', {
      streamName: names.streamName,
      streamMode: pipeline.stream.mode === 'PROVISIONED' ? kinesis.StreamMode.PROVISIONED : kinesis.StreamMode.ON_DEMAND,
      shardCount: pipeline.stream.shardCount,
      retentionPeriod: Duration.hours(pipeline.stream.retentionHours),
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: this.key,
      // A retained stream keeps billing by the hour with nobody reading it; drain before deleting.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: names.dlqName,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      // Unhandled failures are the evidence needed to replay: keep them if the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.idempotencyTable = this.table('IdempotencyTable', names.idempotencyTableName, IdempotencyTable);
    if (keepsState(pipeline)) {
      this.stateTable = this.table('StateTable', names.stateTableName, StateTable);
      if (isWindowed(pipeline)) {
        // Sparse: only open windows and pending alerts carry its keys, so the closer queries what is due.
        this.stateTable.addGlobalSecondaryIndex({
          indexName: StateTable.dueIndex.name,
          partitionKey: { name: StateTable.dueIndex.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: StateTable.dueIndex.sortKey, type: dynamodb.AttributeType.NUMBER },
          projectionType: dynamodb.ProjectionType.INCLUDE,
          nonKeyAttributes: [...StateTable.dueIndex.projected],
        });
      }
    }
    const builtIn = builtInAction(pipeline);
    if (builtIn && ALERTING_ACTIONS.includes(builtIn)) {
      this.alertsTopic = new sns.Topic(this, 'AlertsTopic', {
        topicName: names.alertsTopicName,
        displayName: `${pipeline.name} alerts`,
        masterKey: this.key,
        enforceSSL: true,
      });
    }

    const fn = new ProcessorFunction(this, 'Processor', {
      pipeline,
      functionName: names.functionName,
      handlersDir: props.handlersDir,
      environment: this.processorEnvironment(),
    });
    this.processor = fn.function;
    this.processorRole = fn.role;
    this.logGroup = fn.logGroup;
    this.grantProcessor();
    // The stream or its enhanced fan-out consumer (eventSource.consumer), with the read grants of that mode.
    const readSource = new StreamReadSource(this, 'StreamRead', { stream: this.stream, consumer: pipeline.eventSource.consumer, consumerName: names.consumerName, grantee: this.processorRole });
    this.streamConsumer = readSource.streamConsumer;

    const source = pipeline.eventSource;
    this.eventSourceMapping = this.processor.addEventSourceMapping('KinesisMapping', {
      eventSourceArn: readSource.eventSourceArn,
      enabled: true,
      batchSize: source.batchSize,
      maxBatchingWindow: Duration.seconds(source.maxBatchingWindowSeconds),
      startingPosition: lambda.StartingPosition[source.startingPosition],
      parallelizationFactor: source.parallelizationFactor,
      bisectBatchOnError: source.bisectBatchOnFunctionError,
      retryAttempts: source.maxRetryAttempts,
      maxRecordAge: Duration.seconds(source.maxRecordAgeSeconds),
      reportBatchItemFailures: source.reportBatchItemFailures,
      onFailure: new SqsFailureDestination(this.deadLetterQueue),
      metricsConfig: { metrics: [lambda.MetricType.EVENT_COUNT] },
    });
    // The mapping is validated against the role at creation: create it after the grants.
    this.eventSourceMapping.node.addDependency(this.processorRole);

    if (isWindowed(pipeline)) {
      // Closing runs even when no event arrives: EventBridge's standard scheduled event, no input of its own.
      this.closerSchedule = new events.Rule(this, 'CloserSchedule', {
        description: `Closes the event-time windows of the ${pipeline.name} pipeline that are due`,
        schedule: events.Schedule.rate(Duration.minutes(CLOSER_SCHEDULE_MINUTES)),
        targets: [new targets.LambdaFunction(this.processor, { retryAttempts: 2, maxEventAge: Duration.minutes(5) })],
      });
    }

    this.alarmSpecs = pipelineAlarmSpecs({ pipeline, names, eventSourceMappingUuid: this.eventSourceMapping.eventSourceMappingId });
    this.alarms = new PipelineAlarms(this, 'Alarms', { pipeline, specs: this.alarmSpecs, topic: this.alarmTopic }).alarms;
    acknowledgePipelineFindings(this);
  }

  /**
   * Lets a producer (an upstream application's role) put records: PutRecord(s) and ListShards on the
   * stream, and a data key from the pipeline key (the stream is encrypted with it). Nothing else.
   */
  grantProduce(grantee: iam.IGrantable): iam.Grant {
    const grant = this.stream.grant(grantee, 'kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:ListShards', 'kinesis:DescribeStreamSummary');
    this.key.grant(grantee, 'kms:GenerateDataKey');
    return grant;
  }

  private table(id: string, tableName: string, schema: { partitionKey: string; ttlAttribute: string }): dynamodb.Table {
    return new dynamodb.Table(this, id, {
      tableName,
      partitionKey: { name: schema.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: schema.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private processorEnvironment(): Record<string, string> {
    const { pipeline } = this;
    const env: Record<string, string> = {
      [ProcessorEnv.PipelineName]: pipeline.name,
      [ProcessorEnv.IdempotencyTable]: this.idempotencyTable.tableName,
      [ProcessorEnv.DeadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
      [ProcessorEnv.IdempotencyTtlSeconds]: String(pipeline.idempotency.ttlHours * 3600),
      [ProcessorEnv.LeaseSeconds]: String(leaseSeconds(pipeline)),
      [ProcessorEnv.KeyConcurrency]: String(pipeline.processor.keyConcurrency),
      [ProcessorEnv.TimeMarginMs]: String(pipeline.processor.timeMarginMs),
      [ProcessorEnv.ClockSkewAllowanceSeconds]: String(pipeline.processor.clockSkewAllowanceSeconds),
    };
    if (this.stateTable) env[ProcessorEnv.StateTable] = this.stateTable.tableName;
    if (this.alertsTopic) env[ProcessorEnv.AlertsTopicArn] = this.alertsTopic.topicArn;
    if (pipeline.telemetry) env[ProcessorEnv.TelemetryConfig] = JSON.stringify(pipeline.telemetry);
    if (pipeline.windows) {
      env[ProcessorEnv.WindowsConfig] = JSON.stringify(pipeline.windows);
      env[ProcessorEnv.StreamName] = this.stream.streamName;
    }
    if (pipeline.spike) env[ProcessorEnv.SpikeConfig] = JSON.stringify(pipeline.spike);
    const custom = customAction(pipeline);
    if (custom) env[ProcessorEnv.ActionKind] = custom.kind;
    return env;
  }

  /** Exact actions on exact resources; no CDK grant helper that adds wildcard actions. */
  private grantProcessor(): void {
    const role = this.processorRole;
    // Reading the stream (or its consumer) is granted by StreamReadSource; the key below decrypts the records.
    // Item actions on the tables themselves (CDK's table.grant would add `<table>/index/*` once a table has an index).
    const tables = [this.idempotencyTable, ...(this.stateTable ? [this.stateTable] : [])];
    role.addToPolicy(new iam.PolicyStatement({ actions: TABLE_ITEM_ACTIONS, resources: tables.map((t) => t.tableArn) }));
    if (this.stateTable && isWindowed(this.pipeline)) {
      // The closer queries the due index, nothing else of it.
      role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${this.stateTable.tableArn}/index/${StateTable.dueIndex.name}`] }));
    }
    // Poison records are sent by the processor; gave-up batches by the mapping (SqsFailureDestination).
    this.deadLetterQueue.grant(role, 'sqs:SendMessage');
    if (this.alertsTopic) {
      role.addToPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.alertsTopic.topicArn] }));
    }
    // One key protects all of the pipeline's data: decrypt what is read, generate data keys for what
    // is written (SQS and SNS messages, DynamoDB items).
    this.key.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
  }
}

/** Whether the pipeline's action keeps state items: a built-in stateful one, or one of the user's that says so. */
function keepsState(pipeline: PipelineConfig): boolean {
  const builtIn = builtInAction(pipeline);
  return builtIn ? STATEFUL_ACTIONS.includes(builtIn) : customAction(pipeline)!.stateTable;
}

/** The naming rule's names, refused with the configuration's error when AWS would refuse one at deploy time. */
function defaultNames(stackName: string, pipelineName: string): PipelineResourceNames {
  const problems = physicalNameProblems(stackName, pipelineName);
  if (problems.length > 0) throw new InvalidConfigError(problems.map((p) => `pipeline(${pipelineName}).pipelineName: ${p}`));
  return pipelineResourceNames(stackName, pipelineName);
}
