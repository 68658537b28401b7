/**
 * The embedded local CloudWatch: a metric store (the MetricSink of every part of the local target), an
 * SQS queue depth sampler, a Kinesis stream metrics sampler, and an alarm evaluator for the template's `AWS::CloudWatch::Alarm`s.
 *
 *   const clock = new SimulatedClock(timeScale);
 *   const store = new MetricStore(clock);
 *   const alarms = new AlarmEvaluator({ store, sns, logger });  alarms.add(properties) ...; alarms.start();
 *   const sampler = new QueueDepthSampler({ sqs, store, sqsEndpoint, queues });  sampler.start();
 *   const streams = new StreamMetricsSampler({ kinesis, store, streamNames });  streams.start();
 */
export { SimulatedClock } from './clock';
export { MetricStore, identityKey, type MetricIdentity, type StatisticQuery, type StatisticSeries } from './metric-store';
export { computeStatistic, isSupportedStatistic } from './statistics';
export { AlarmEvaluator, type AlarmEvaluatorOptions, type AlarmHistoryItem, type AlarmStatus, type UnsupportedAlarm } from './alarm-evaluator';
export { parseAlarm, type AlarmDefinition } from './alarm-definition';
export { decideState, type AlarmStateValue } from './alarm-state';
export { alarmMessage, alarmSubject } from './alarm-message';
export { QueueDepthSampler, type QueueDepthSamplerOptions, type SampledQueue } from './queue-depth-sampler';
export { StreamMetricsSampler, type StreamMetricsSamplerOptions } from './stream-metrics-sampler';
