/** The producer client's public surface. */
export { EventProducer, type EventProducerOptions, type SentEvent } from './event-producer';
export { buildEventRecord, type EventInput, type BuiltRecord } from './envelope-builder';
export { RecordPublisher, type PublisherOptions, type PublisherStats, type RecordOutcome, type StreamTarget } from './record-publisher';
export { ClientError, DeliveryError, EventTooLargeError, EventValidationError, ProducerClosedError, SpoolFullError, SpoolLockedError, type DeliveryFailure } from './errors';
export { ProducerMetricsPublisher, PRODUCER_METRICS_NAMESPACE, producerMetrics, type MetricsPublication, type ProducerMetrics } from './producer-metrics';
export { Spool, type FsyncPolicy, type SpoolCorruption, type SpoolOptions, type SpoolStats, type SpooledRecord } from './spool/spool';
export { createKinesisClient } from '../sdk/clients';
export type { CloudEvent } from '../lambdas/shared/envelope';
