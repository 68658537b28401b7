/** What the local deploy hands to the runtime, the event source mappings and the alarm evaluator. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';

export interface DeployClients {
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

/** One deployed resource, as `LocalAws.resources` lists it. */
export interface DeployedResource {
  readonly type: string;
  readonly physicalId: string;
  readonly arn?: string;
}

/** An `AWS::Lambda::Function`, resolved. */
export interface FunctionModel {
  readonly logicalId: string;
  readonly functionName: string;
  readonly arn: string;
  /** `file.export`, e.g. `index.handler`. */
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly architectures: readonly string[];
  /** Template environment, every intrinsic resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** Absolute folder of the staged asset (cdk.out/<aws:asset:path>); undefined for inline code. */
  readonly assetDir: string | undefined;
  /** The execution role's ARN, when the role is known (IAM is not emulated: informational). */
  readonly roleArn?: string;
}

/** An `AWS::Lambda::EventSourceMapping`: its template properties resolved, plus what the Lambda API adds. */
export interface EventSourceMappingModel {
  readonly logicalId: string;
  readonly uuid: string;
  /** CloudFormation property names (BatchSize, StartingPosition, DestinationConfig...) with UUID, FunctionName and FunctionArn. */
  readonly properties: Readonly<Record<string, unknown>> & { readonly UUID: string; readonly FunctionName: string; readonly FunctionArn: string };
}

/** An `AWS::CloudWatch::Alarm`, every property resolved (AlarmName filled in). */
export interface AlarmModel {
  readonly logicalId: string;
  readonly alarmName: string;
  readonly arn: string;
  readonly properties: Readonly<Record<string, unknown>> & { readonly AlarmName: string };
}

/** What a scheduled target gets: the rule's Scheduled Event, a constant Input, or the part of the event an InputPath selects. */
export type ScheduleInputModel =
  | { readonly kind: 'scheduled-event' }
  | { readonly kind: 'input'; readonly text: string }
  | { readonly kind: 'input-path'; readonly path: string };

/** One Lambda function a schedule invokes. */
export interface ScheduleTargetModel {
  /** The rule target's Id (a Scheduler schedule has one target: its schedule name). */
  readonly id: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly input: ScheduleInputModel;
}

/** An `AWS::Events::Rule` with a ScheduleExpression, or an `AWS::Scheduler::Schedule`, resolved. */
export interface ScheduleModel {
  readonly logicalId: string;
  readonly type: 'AWS::Events::Rule' | 'AWS::Scheduler::Schedule';
  readonly name: string;
  /** The rule's or the schedule's ARN (a rule's Scheduled Event names it in `resources`). */
  readonly arn: string;
  /** rate(...), cron(...), or at(...) (Scheduler only), as the template writes it. */
  readonly expression: string;
  /** IANA time zone of cron and at expressions: UTC for rules, ScheduleExpressionTimezone for schedules. */
  readonly timezone: string;
  /** State ENABLED (rules: also ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS); a disabled schedule never fires. */
  readonly enabled: boolean;
  /** Scheduler's StartDate / EndDate (ISO-8601): no invocation before or after. */
  readonly startDate?: string;
  readonly endDate?: string;
  readonly targets: readonly ScheduleTargetModel[];
}
