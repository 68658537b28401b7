/**
 * The event source mapping's on-failure destination, granted with exact actions.
 *
 * aws-lambda-event-sources' `SqsDlq` grants through `queue.grantSendMessages()`, which adds
 * `kms:GenerateDataKey*` and `kms:ReEncrypt*` (wildcard actions) for an encrypted queue. Lambda sends
 * the invocation record with the function's role, so the role needs exactly sqs:SendMessage on the
 * queue and kms:GenerateDataKey + kms:Decrypt on the queue's key: this binding grants only those.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

export class SqsFailureDestination implements lambda.IEventSourceDlq {
  constructor(private readonly queue: sqs.IQueue) {}

  bind(_target: lambda.IEventSourceMapping, targetHandler: lambda.IFunction): lambda.DlqDestinationConfig {
    this.queue.grant(targetHandler, 'sqs:SendMessage');
    this.queue.encryptionMasterKey?.grant(targetHandler, 'kms:GenerateDataKey', 'kms:Decrypt');
    return { destination: this.queue.queueArn };
  }
}
