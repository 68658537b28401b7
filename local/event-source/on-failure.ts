/**
 * The on-failure destination: the invocation record AWS sends when records give up, built field by
 * field in the order AWS writes them. SQS and SNS get the metadata only; an S3 bucket gets it with the
 * records themselves (`payload.Records`, the Lambda event's records) as one object per failure, under
 * AWS's key `aws/lambda/<ESM UUID>/<shard id>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random UUID>` (UTC, from
 * the record's timestamp).
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { PolledRecord } from './records';

export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

export interface FailureRecordInput {
  readonly condition: FailureCondition;
  readonly functionArn: string;
  readonly streamArn: string;
  /** The records that gave up, in shard order (one shard). */
  readonly records: readonly PolledRecord[];
  readonly approximateInvokeCount: number;
  /** The last invocation's outcome; `functionError` null when the function answered (a partial or malformed response). */
  readonly response?: { readonly functionError: 'Unhandled' | null };
  readonly now: Date;
}

export interface OnFailureInvocationRecord {
  requestContext: { requestId: string; functionArn: string; condition: FailureCondition; approximateInvokeCount: number };
  responseContext?: { statusCode: number; executedVersion: string; functionError: string | null };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export function buildFailureRecord(input: FailureRecordInput): OnFailureInvocationRecord {
  const first = input.records[0];
  const last = input.records[input.records.length - 1];
  if (!first || !last) throw new Error('an on-failure record needs at least one record');
  // RecordAgeExceeded records were never answered for: AWS omits responseContext for them.
  const responseContext =
    input.condition === 'RetryAttemptsExhausted'
      ? { responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: input.response?.functionError ?? null } }
      : {};
  // Spread keeps AWS's field order on the wire.
  const record: OnFailureInvocationRecord = {
    requestContext: {
      requestId: randomUUID(),
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.approximateInvokeCount,
    },
    ...responseContext,
    version: '1.0',
    timestamp: input.now.toISOString(),
    KinesisBatchInfo: {
      shardId: first.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
      approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
      batchSize: input.records.length,
      streamArn: input.streamArn,
    },
  };
  return record;
}

/** The object key AWS gives an invocation record in an S3 destination. */
export function s3FailureObjectKey(mappingUuid: string, shardId: string, timestamp: string): string {
  const [date = '', time = ''] = timestamp.split('T');
  return `aws/lambda/${mappingUuid}/${shardId}/${date.replace(/-/g, '/')}/${date}T${time.slice(0, 8).replace(/:/g, '.')}-${randomUUID()}`;
}

/** What only an S3 destination uses: the mapping's UUID (in the key) and the records (in the payload). */
export interface FailureDetails {
  readonly mappingUuid: string;
  readonly records: readonly KinesisStreamRecord[];
}

/** Sends invocation records to an SQS queue, an SNS topic or an S3 bucket ARN. */
export class OnFailureDestination {
  private queueUrl: string | undefined;

  constructor(
    readonly arn: string,
    private readonly clients: { readonly sqs?: SQSClient; readonly sns?: SNSClient; readonly s3?: S3Client },
  ) {}

  async deliver(record: OnFailureInvocationRecord, details: FailureDetails): Promise<void> {
    const body = JSON.stringify(record);
    const [, , service, , account = '', name = ''] = this.arn.split(':');
    if (service === 's3') {
      const s3 = this.clients.s3;
      if (!s3) throw new Error(`no S3 client to deliver to ${this.arn}`);
      const bucket = this.arn.slice(this.arn.lastIndexOf(':') + 1);
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: s3FailureObjectKey(details.mappingUuid, record.KinesisBatchInfo.shardId, record.timestamp),
          Body: JSON.stringify({ ...record, payload: { Records: details.records } }),
          ContentType: 'application/json',
        }),
      );
      return;
    }
    if (service === 'sqs') {
      const sqs = this.clients.sqs;
      if (!sqs) throw new Error(`no SQS client to deliver to ${this.arn}`);
      this.queueUrl ??= (await sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }))).QueueUrl;
      await sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }));
    } else if (service === 'sns') {
      const sns = this.clients.sns;
      if (!sns) throw new Error(`no SNS client to deliver to ${this.arn}`);
      await sns.send(new PublishCommand({ TopicArn: this.arn, Message: body }));
    } else {
      throw new Error(`unsupported on-failure destination ${this.arn} (SQS, SNS and S3 are supported locally)`);
    }
  }
}
