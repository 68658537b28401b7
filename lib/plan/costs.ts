/**
 * Monthly usage and cost of one pipeline under a load, line by line (quantity × unit price), and of
 * what the stack shares (dashboard, alarm topic key). The price of every line is a row of ./prices.ts.
 */
import { pipelineResourceNames, type PipelineConfig } from '../config';
import { pipelineAlarmSpecs } from '../constructs/alarm-specs';
import { ProcessorMetric, WINDOWED_ONLY_METRICS } from '../../lambdas/shared/metrics-contract';
import { invokeBytesPerRecord, type Capacity } from './capacity';
import type { Load } from './load';
import { PRICE_TABLE, type PriceId } from './prices';
import { logBytesPerInvocation, plannedAs, recordUnits } from './processor-figures';

export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
/** Billing GB: 2^30 bytes. */
export const GB = 1024 ** 3;
/** PUT payload unit (provisioned streams). */
export const PUT_PAYLOAD_UNIT_BYTES = 25 * 1024;
/** SQS and SNS bill every 64 KB of a request as one request. */
export const MESSAGING_CHUNK_BYTES = 64 * 1024;
/** A poison record's DLQ message around its base64 data (reason, error, position, event identity). */
export const DLQ_MESSAGE_OVERHEAD_BYTES = 1024;
/** Idempotency item (source#id key, status, expiresAt) plus DynamoDB's 100 bytes of per-item storage overhead. */
export const IDEMPOTENCY_ITEM_BYTES = 200;
/** Credentials that use the pipeline key for Kinesis besides the processor's containers: producers (assumed 2) and the mapping's poller. */
export const KINESIS_KEY_PRINCIPALS = 3;
/** Kinesis, SQS and DynamoDB reuse a data key about 5 minutes per principal: 12 key requests an hour. */
export const KMS_REQUESTS_PER_PRINCIPAL_HOUR = 12;

export type Service = 'Kinesis' | 'Lambda' | 'DynamoDB' | 'SQS' | 'SNS' | 'KMS' | 'CloudWatch';

export interface CostLine {
  readonly service: Service;
  readonly item: string;
  /** In the price's unit (e.g. 2.5 million requests, 730 shard-hours). */
  readonly quantity: number;
  readonly unit: string;
  readonly price: PriceId;
  readonly unitUsd: number;
  readonly monthlyUsd: number;
}

export interface Usage {
  readonly recordsPerMonth: number;
  readonly newRecordsPerMonth: number;
  readonly duplicatesPerMonth: number;
  readonly poisonPerMonth: number;
  readonly lambdaInvocationsPerMonth: number;
  readonly lambdaGbSeconds: number;
  readonly dynamodbWriteUnits: number;
  readonly dynamodbReadUnits: number;
  readonly dynamodbStoredGb: number;
  readonly kinesisIngestGb: number;
  readonly logIngestGb: number;
  readonly alarmMetrics: number;
  readonly customMetrics: number;
  readonly kmsRequests: number;
  readonly snsPublishes: number;
  readonly sqsRequests: number;
  /** How the DynamoDB units per record are made up. */
  readonly unitsBasis: readonly string[];
}

function line(service: Service, item: string, quantity: number, price: PriceId, perUnits = 1): CostLine {
  const p = PRICE_TABLE.prices[price];
  return { service, item, quantity: quantity / perUnits, unit: p.unit, price, unitUsd: p.usd, monthlyUsd: (quantity / perUnits) * p.usd };
}

/** Alarm metrics CloudWatch bills for a pipeline's alarms: one per single-metric alarm, one per metric a math alarm queries. */
export function alarmMetricCount(pipeline: PipelineConfig, stackName: string): number {
  const specs = pipelineAlarmSpecs({ pipeline, names: pipelineResourceNames(stackName, pipeline.name), eventSourceMappingUuid: 'plan' });
  return specs.reduce((sum, spec) => sum + (spec.math ? Object.keys(spec.math.metrics).length : 1), 0);
}

/** Custom metrics of a pipeline: every name of the contract it publishes, with its one dimension set (Pipeline). */
export function customMetricCount(pipeline: PipelineConfig): number {
  return Object.values(ProcessorMetric).filter((name) => pipeline.windows !== undefined || !WINDOWED_ONLY_METRICS.includes(name)).length;
}

export function pipelineCosts(pipeline: PipelineConfig, load: Load, capacity: Capacity, stackName: string): { lines: CostLine[]; usage: Usage } {
  const records = load.meanEventsPerSecond * SECONDS_PER_MONTH;
  const duplicates = records * load.duplicateFraction;
  const poison = records * load.poisonFraction;
  const fresh = records - duplicates - poison;
  const units = recordUnits({
    action: plannedAs(pipeline),
    recordBytes: load.recordBytes,
    thresholdMetrics: Object.keys(pipeline.telemetry?.thresholds ?? {}).length,
    breachFraction: load.breachFraction,
  });
  const lines: CostLine[] = [];

  // Kinesis
  const billedRecordBytes = Math.ceil(load.recordBytes / 1024) * 1024;
  const ingestGb = (records * billedRecordBytes) / GB;
  const meanBytesPerSecond = load.meanEventsPerSecond * billedRecordBytes;
  const storedGbMonth = (fromHours: number, toHours: number): number => (meanBytesPerSecond * Math.max(0, toHours - fromHours) * 3600) / GB;
  const extendedHours = Math.min(load.retentionHours, 168);
  const shardHours = capacity.shards * HOURS_PER_MONTH;
  const efo = load.consumer === 'efo';
  if (pipeline.stream.mode === 'PROVISIONED') {
    lines.push(line('Kinesis', `${capacity.shards} shards`, shardHours, 'kinesisShardHour'));
    lines.push(line('Kinesis', 'PUT payload units', records * Math.ceil(load.recordBytes / PUT_PAYLOAD_UNIT_BYTES), 'kinesisPutPayloadUnitsPerMillion', 1e6));
    if (load.retentionHours > 24) lines.push(line('Kinesis', `retention ${extendedHours} h (beyond 24 h)`, shardHours, 'kinesisExtendedRetentionShardHour'));
    if (efo) {
      lines.push(line('Kinesis', 'enhanced fan-out consumer', shardHours, 'kinesisEfoConsumerShardHour'));
      lines.push(line('Kinesis', 'enhanced fan-out retrieval', (records * load.recordBytes) / GB, 'kinesisEfoRetrievalGb'));
    }
  } else {
    lines.push(line('Kinesis', 'on-demand stream', HOURS_PER_MONTH, 'kinesisOnDemandStreamHour'));
    lines.push(line('Kinesis', 'data in', ingestGb, 'kinesisOnDemandIngestGb'));
    lines.push(line('Kinesis', efo ? 'enhanced fan-out retrieval' : 'data out (polling)', ingestGb, efo ? 'kinesisOnDemandEfoRetrievalGb' : 'kinesisOnDemandRetrievalGb'));
    if (load.retentionHours > 24) lines.push(line('Kinesis', `retention ${extendedHours} h (beyond 24 h)`, storedGbMonth(24, extendedHours), 'kinesisOnDemandExtendedRetentionGbMonth'));
  }
  if (load.retentionHours > 168) lines.push(line('Kinesis', `retention ${load.retentionHours} h (beyond 7 days)`, storedGbMonth(168, load.retentionHours), 'kinesisLongTermRetentionGbMonth'));

  // Lambda
  const invocations = capacity.meanBatch.invocationsPerSecond * SECONDS_PER_MONTH;
  const computeMs = (fresh + poison) * capacity.processing.freshMsPerRecord + duplicates * capacity.processing.duplicateMsPerRecord;
  const gbSeconds = (computeMs / 1000) * (pipeline.processor.memoryMb / 1024);
  lines.push(line('Lambda', 'requests (invocations)', invocations, 'lambdaRequestsPerMillion', 1e6));
  lines.push(line('Lambda', `duration at ${pipeline.processor.memoryMb} MB`, gbSeconds, 'lambdaArmGbSecond'));

  // DynamoDB
  const wru = fresh * units.newRecord.wru + poison * units.poison.wru;
  const rru = fresh * units.newRecord.rru + duplicates * units.duplicate.rru;
  const storedGb = ((load.meanEventsPerSecond * (1 - load.duplicateFraction)) * pipeline.idempotency.ttlHours * 3600 * IDEMPOTENCY_ITEM_BYTES) / GB;
  lines.push(line('DynamoDB', 'write request units', wru, 'dynamodbWriteRequestUnitsPerMillion', 1e6));
  lines.push(line('DynamoDB', 'read request units', rru, 'dynamodbReadRequestUnitsPerMillion', 1e6));
  lines.push(line('DynamoDB', `idempotency keys stored (${pipeline.idempotency.ttlHours} h)`, storedGb, 'dynamodbStorageGbMonth'));
  lines.push(line('DynamoDB', 'point-in-time recovery of the keys', storedGb, 'dynamodbPitrGbMonth'));

  // SQS: each poison record is sent to the DLQ, later received and deleted once (dlq list / replay).
  const dlqChunks = Math.ceil((invokeBytesPerRecord(load.recordBytes) + DLQ_MESSAGE_OVERHEAD_BYTES) / MESSAGING_CHUNK_BYTES);
  const sqsRequests = poison * dlqChunks * 3;
  lines.push(line('SQS', 'DLQ send, receive, delete', sqsRequests, 'sqsRequestsPerMillion', 1e6));

  // SNS: alerts of actions that publish (telemetry).
  const snsPublishes = fresh * units.newRecord.snsPublishes;
  if (pipeline.action === 'telemetry') lines.push(line('SNS', 'alerts published', snsPublishes, 'snsPublishesPerMillion', 1e6));

  // KMS: the pipeline's customer-managed key and its data-key requests.
  const kmsRequests = KMS_REQUESTS_PER_PRINCIPAL_HOUR * HOURS_PER_MONTH * (KINESIS_KEY_PRINCIPALS + capacity.concurrency);
  lines.push(line('KMS', 'pipeline key', 1, 'kmsKeyMonth'));
  lines.push(line('KMS', 'data-key requests', kmsRequests, 'kmsRequestsPer10k', 1e4));

  // CloudWatch
  const alarmMetrics = alarmMetricCount(pipeline, stackName);
  const batchProcessed = capacity.meanBatch.records * (1 - load.duplicateFraction - load.poisonFraction);
  const logGb = (invocations * logBytesPerInvocation(batchProcessed)) / GB;
  const logRetentionMonths = pipeline.processor.logRetentionDays / (HOURS_PER_MONTH / 24);
  lines.push(line('CloudWatch', `alarms (${alarmMetrics} alarm metrics)`, alarmMetrics, 'cloudwatchAlarmMetricMonth'));
  const customMetrics = customMetricCount(pipeline);
  lines.push(line('CloudWatch', `custom metrics (${customMetrics})`, customMetrics, 'cloudwatchCustomMetricMonth'));
  lines.push(line('CloudWatch', 'log ingestion', logGb, 'cloudwatchLogsIngestGb'));
  lines.push(line('CloudWatch', `log storage (${pipeline.processor.logRetentionDays} days)`, logGb * logRetentionMonths, 'cloudwatchLogsStorageGbMonth'));

  return {
    lines,
    usage: {
      recordsPerMonth: records,
      newRecordsPerMonth: fresh,
      duplicatesPerMonth: duplicates,
      poisonPerMonth: poison,
      lambdaInvocationsPerMonth: invocations,
      lambdaGbSeconds: gbSeconds,
      dynamodbWriteUnits: wru,
      dynamodbReadUnits: rru,
      dynamodbStoredGb: storedGb,
      kinesisIngestGb: ingestGb,
      logIngestGb: logGb,
      alarmMetrics,
      customMetrics,
      kmsRequests,
      snsPublishes,
      sqsRequests,
      unitsBasis: units.basis,
    },
  };
}

/** What the stack has once, whatever the number of pipelines. */
export function sharedCosts(): CostLine[] {
  return [line('CloudWatch', 'dashboard', 1, 'cloudwatchDashboardMonth'), line('KMS', 'alarm topic key', 1, 'kmsKeyMonth')];
}

export function total(lines: readonly CostLine[]): number {
  return lines.reduce((sum, l) => sum + l.monthlyUsd, 0);
}
