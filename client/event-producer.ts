/**
 * The producer client for upstream applications: send CloudEvents to a pipeline's stream, batched,
 * retried without reordering a subject's events, never dropped silently.
 *
 * The stream is given by name or ARN: an upstream application takes it from the stack's outputs or the
 * naming rule (`<stack>-<pipeline>-events`); this repository's CLI resolves `--pipeline` from the
 * configuration (lib/config) and passes the name. The client itself knows no configuration.
 *
 *   const producer = new EventProducer({ stream: { streamName: 'StreamPipeline-orders-events' }, source: 'urn:shop:checkout' });
 *   await producer.send({ type: 'order.status-changed', subject: 'order-42', data: { status: 'PAID' } });
 *   await producer.close(); // resolves when all was delivered; rejects with DeliveryError otherwise
 */
import type { CloudEvent } from '../lambdas/shared/envelope';
import { buildEventRecord, type BuildDefaults, type EventInput } from './envelope-builder';
import type { DeliveryFailure } from './errors';
import { RecordPublisher, type PublisherOptions, type PublisherStats, type RecordOutcome } from './record-publisher';

export interface EventProducerOptions extends Omit<PublisherOptions<CloudEvent>, 'aggregation' | 'onFailure'> {
  /** Source of events that do not name one. Default: none (each event must carry `source`). */
  readonly source?: string;
  /**
   * Pack consecutive small events of one subject into KPL aggregated records (up to `maxBytes` each,
   * default 51,200 like the KPL); the processor deaggregates them. Fewer, larger records: more
   * throughput per shard and per key. Default off.
   */
  readonly aggregate?: boolean | { readonly maxBytes?: number };
  /** Called for every event given up on, besides flush() and close() rejecting with a DeliveryError. */
  readonly onFailure?: (failure: DeliveryFailure<CloudEvent>) => void;
  /** Clock for event `time` defaults. Default `() => new Date()`. */
  readonly now?: () => Date;
}

export interface SentEvent {
  /** The envelope as sent (with its generated id and time). */
  readonly event: CloudEvent;
  /** Settles when Kinesis acknowledged the event or it was given up on; never rejects. */
  readonly outcome: Promise<RecordOutcome>;
}

export class EventProducer {
  private readonly publisher: RecordPublisher<CloudEvent>;
  private readonly defaults: BuildDefaults;
  private readonly aggregate: boolean;

  constructor(options: EventProducerOptions) {
    const { aggregate, source, now, ...publisherOptions } = options;
    this.aggregate = aggregate !== undefined && aggregate !== false;
    this.defaults = { source, now };
    this.publisher = new RecordPublisher<CloudEvent>({
      ...publisherOptions,
      aggregation: typeof aggregate === 'object' ? aggregate : aggregate ? {} : false,
    });
  }

  /**
   * Validates the event and accepts it for delivery; waits while the buffer is full. Throws
   * EventValidationError or EventTooLargeError for an event that cannot be sent. Events of one subject
   * are delivered in the order send() was called.
   */
  async send<TData>(input: EventInput<TData>): Promise<SentEvent> {
    const record = buildEventRecord(input, this.defaults);
    const delivery = await this.publisher.put({ partitionKey: record.partitionKey, data: record.data, item: record.event, aggregatable: this.aggregate });
    return { event: record.event, outcome: delivery.outcome };
  }

  /** Resolves when everything sent so far was delivered; rejects with a DeliveryError listing the events given up on. */
  flush(): Promise<void> {
    return this.publisher.flush();
  }

  /** Flushes, then releases the Kinesis client (if the producer created it). */
  close(): Promise<void> {
    return this.publisher.close();
  }

  get stats(): PublisherStats {
    return this.publisher.stats;
  }
}
