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
