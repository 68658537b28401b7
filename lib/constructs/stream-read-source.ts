/**
 * How a pipeline's event source mapping reads its stream (`eventSource.consumer`), and the grants that
 * takes: the one piece of EventPipeline that knows the consumer modes.
 *
 * - `polling` (shared throughput): the mapping's EventSourceArn is the stream; the role may read it
 *   (GetRecords, GetShardIterator, the describes and ListShards), nothing more.
 * - `efo` (enhanced fan-out): a registered stream consumer (`AWS::Kinesis::StreamConsumer`), and the
 *   mapping's EventSourceArn is the consumer's ARN. The role gets the stream reads Lambda's guide lists
 *   (the mapping still lists shards and describes the stream) plus `kinesis:SubscribeToShard` and
 *   `kinesis:DescribeStreamConsumer` on the consumer ARN alone.
 *
 * CDK's `KinesisConsumerEventSource` is not used: its grant (`IStreamConsumer.grantRead`) also runs the
 * stream's `grantRead`, which puts `kinesis:SubscribeToShard`, `kinesis:DescribeStreamConsumer` and
 * `kinesis:ListStreams` on the stream ARN as well. The mapping is the same `AWS::Lambda::EventSourceMapping`
 * it would create (`addEventSourceMapping` on the consumer ARN), with the same logical ID in both modes.
 */
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import type { EventSourceConsumer } from '../config';

/** What the mapping needs to read the stream: shards, iterators, records. */
export const STREAM_READ_ACTIONS = ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'] as const;
/** What an enhanced fan-out mapping adds, on its consumer only. */
export const CONSUMER_READ_ACTIONS = ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'] as const;

export interface StreamReadSourceProps {
  readonly stream: kinesis.IStream;
  /** The configured mode. */
  readonly consumer: EventSourceConsumer;
  /** Name of the stream consumer (efo only). */
  readonly consumerName: string;
  /** The role the mapping reads with (the processor's). */
  readonly grantee: iam.IGrantable;
}

/** The stream (polling) or a consumer of it (efo), read by one mapping with least privilege. */
export class StreamReadSource extends Construct {
  /** The mapping's EventSourceArn: the stream's ARN, or the consumer's. */
  readonly eventSourceArn: string;
  /** Only with enhanced fan-out. */
  readonly streamConsumer?: kinesis.StreamConsumer;

  constructor(scope: Construct, id: string, props: StreamReadSourceProps) {
    super(scope, id);
    // Explicit actions: the stream's grantRead would add the consumer actions and ListStreams on the stream.
    props.stream.grant(props.grantee, ...STREAM_READ_ACTIONS);
    if (props.consumer === 'efo') {
      this.streamConsumer = new kinesis.StreamConsumer(this, 'Consumer', { streamConsumerName: props.consumerName, stream: props.stream });
      this.streamConsumer.grant(props.grantee, ...CONSUMER_READ_ACTIONS);
      this.eventSourceArn = this.streamConsumer.streamConsumerArn;
    } else {
      this.eventSourceArn = props.stream.streamArn;
    }
  }
}
