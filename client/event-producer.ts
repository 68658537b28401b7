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
 *
 * Durability modes (README "Producer durability"):
 *  - in memory (default): send() resolves once the event is buffered; a failing record is retried for
 *    `retryWindowMs` (60 s) and then given back (flush() rejects, onFailure, the outcome). A crash of
 *    the process loses what is buffered.
 *  - spooled (`spool: { directory }`): send() resolves once the event is on local disk (./spool/spool.ts);
 *    retryable failures are retried without a time limit; a restarted producer on the same directory
 *    sends again, first and in order, every event Kinesis had not acknowledged, with the same envelope
 *    id (the processor's idempotency skips the ones that had landed).
 */
import { decodeEnvelope, type CloudEvent } from '../lambdas/shared/envelope';
import { describeError } from './backoff';
import { buildEventRecord, type BuildDefaults, type EventInput } from './envelope-builder';
import type { DeliveryFailure } from './errors';
import { producerMetrics, type ProducerMetrics } from './producer-metrics';
import { RecordPublisher, type PublisherOptions, type PublisherStats, type RecordOutcome } from './record-publisher';
import { Spool, type SpoolCorruption, type SpoolOptions, type SpoolStats } from './spool/spool';

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
  /**
   * Keep every event on local disk until Kinesis acknowledged it (see above). With a spool the retry
   * window defaults to no limit (set `retryWindowMs` to give back after a time anyway). Default none.
   */
  readonly spool?: SpoolOptions;
  /** Called for each event a previous process left unacknowledged in the spool, as it is sent again. */
  readonly onRecovered?: (sent: SentEvent) => void;
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
  private readonly spoolReady: Promise<Spool> | undefined;
  private spool: Spool | undefined;

  constructor(options: EventProducerOptions) {
    const { aggregate, source, now, spool, onRecovered, ...publisherOptions } = options;
    this.aggregate = aggregate !== undefined && aggregate !== false;
    this.defaults = { source, now };
    this.publisher = new RecordPublisher<CloudEvent>({
      ...publisherOptions,
      retryWindowMs: publisherOptions.retryWindowMs ?? (spool ? Infinity : undefined),
      aggregation: typeof aggregate === 'object' ? aggregate : aggregate ? {} : false,
    });
    if (spool) {
      this.spoolReady = Spool.open(spool).then((opened) => {
        this.spool = opened;
        // Queued before any new send (those wait for this promise), so recovered events go first, in order.
        for (const record of opened.recovered) {
          const decoded = decodeEnvelope(record.data);
          // The frame's checksum passed, so these are the bytes a previous send() wrote: a valid envelope.
          const event = decoded.ok ? decoded.event : ({ id: `spool-seq-${record.seq}` } as CloudEvent);
          const outcome = this.deliver(opened, record.seq, record.partitionKey, record.data, event);
          onRecovered?.({ event, outcome });
        }
        return opened;
      });
      // A failure to open surfaces on the first send(), flush() or EventProducer.open(), not as an unhandled rejection.
      this.spoolReady.catch(() => undefined);
    }
  }

  /** A producer whose spool (if any) is open and whose recovered events are queued; throws if the spool cannot be opened. */
  static async open(options: EventProducerOptions): Promise<EventProducer> {
    const producer = new EventProducer(options);
    await producer.spoolReady;
    return producer;
  }

  /**
   * Validates the event and accepts it for delivery: in memory (waits while the buffer is full), or on
   * the spool's disk (waits while the spool is full, then rejects with SpoolFullError). Throws
   * EventValidationError or EventTooLargeError for an event that cannot be sent. Events of one subject
   * are delivered in the order send() was called.
   */
  async send<TData>(input: EventInput<TData>): Promise<SentEvent> {
    const record = buildEventRecord(input, this.defaults);
    if (this.spoolReady) {
      const spool = await this.spoolReady;
      const spooled = await spool.append(record.partitionKey, record.data);
      return { event: record.event, outcome: this.deliver(spool, spooled.seq, record.partitionKey, record.data, record.event) };
    }
    const delivery = await this.publisher.put({ partitionKey: record.partitionKey, data: record.data, item: record.event, aggregatable: this.aggregate });
    return { event: record.event, outcome: delivery.outcome };
  }

  /** Resolves when everything sent so far was delivered; rejects with a DeliveryError listing the events given up on. */
  async flush(): Promise<void> {
    await this.spoolReady;
    return this.publisher.flush();
  }

  /** Flushes, then releases the Kinesis client (if the producer created it) and the spool. */
  async close(): Promise<void> {
    try {
      await this.spoolReady?.catch(() => undefined);
      await this.publisher.close();
    } finally {
      await this.spool?.close();
    }
  }

  /** The publisher's counters (calls, records, retries). */
  get stats(): PublisherStats {
    return this.publisher.stats;
  }

  /** The spool's counters; undefined without a spool (or before it is open). */
  get spoolStats(): SpoolStats | undefined {
    return this.spool?.stats;
  }

  /** Torn or corrupt spool tails found when the spool was opened (never sent as data). */
  get spoolCorruption(): readonly SpoolCorruption[] {
    return this.spool?.corruption ?? [];
  }

  /** The counters an application reads or publishes (./producer-metrics.ts). */
  metrics(): ProducerMetrics {
    return producerMetrics(this.publisher.stats, this.spool?.stats);
  }

  /**
   * Hands a spooled record to the publisher without waiting for room in memory (send() already
   * resolved: the record is on disk); the publisher keeps put order, so per-key order holds.
   * Delivered or given up on, the record is acknowledged in the spool and not sent again.
   */
  private deliver(spool: Spool, seq: number, partitionKey: string, data: Uint8Array, event: CloudEvent): Promise<RecordOutcome> {
    const delivery = this.publisher.put({ partitionKey, data, item: event, aggregatable: this.aggregate });
    return delivery.then(
      (d) =>
        d.outcome.then((outcome) => {
          spool.acknowledge(seq);
          return outcome;
        }),
      // Closed before it could be handed over: it stays in the spool for the next process.
      (error: unknown): RecordOutcome => ({ ok: false, reason: `not sent, kept in the spool: ${describeError(error)}`, attempts: 0 }),
    );
  }
}
