/**
 * `stream-pipeline plan`: capacity, monthly cost and warnings for the configured pipelines under an
 * expected load. Pure: configuration and load in, a plan out (the CLI prints it, tests check it).
 */
import { actionLabel, findPipeline, type PipelineConfig, type PipelinesConfig } from '../config';
import {
  MAX_PARALLELIZATION_FACTOR,
  MAX_RECORD_BYTES,
  MIB,
  ON_DEMAND_HEADROOM,
  ON_DEMAND_MIN_SHARDS,
  planCapacity,
  SHARD_WRITE_BYTES_PER_SECOND,
  SHARD_WRITE_RECORDS_PER_SECOND,
  TARGET_SLOT_UTILISATION,
  type Capacity,
} from './capacity';
import { GB, HOURS_PER_MONTH, IDEMPOTENCY_ITEM_BYTES, pipelineCosts, sharedCosts, total, type CostLine, type Usage } from './costs';
import { LoadError, resolveLoad, type Load, type LoadOverrides, type PipelineSelection } from './load';
import { PRICE_TABLE } from './prices';
import { BENCHMARK, CONSUMER_MODES, LOG_BYTES } from './processor-figures';

/** Lambda's default concurrency quota per account and region. */
export const ACCOUNT_DEFAULT_CONCURRENCY = 1000;

export type WarningCode =
  | 'hot-key'
  | 'record-too-large'
  | 'batch-capped-by-payload'
  | 'concurrency-above-account-default'
  | 'parallelization-below-needed'
  | 'parallelization-above-maximum'
  | 'shards-below-needed'
  | 'latency-floor-above-objective';

export interface PlanWarning {
  readonly code: WarningCode;
  /** Absent for warnings about the plan as a whole. */
  readonly pipeline?: string;
  readonly message: string;
}

export interface PipelinePlan {
  readonly name: string;
  /** A built-in action's name, or `<kind> <entry>` for an action from the user's own code. */
  readonly action: string;
  readonly load: Load;
  readonly capacity: Capacity;
  readonly usage: Usage;
  readonly costs: readonly CostLine[];
  readonly monthlyUsd: number;
  readonly warnings: readonly PlanWarning[];
}

export interface Plan {
  readonly region: string;
  readonly currency: string;
  readonly pricesCheckedOn: string;
  readonly pipelines: readonly PipelinePlan[];
  /** Stack-wide lines (dashboard, alarm topic key). */
  readonly shared: readonly CostLine[];
  readonly monthlyUsd: number;
  readonly concurrency: number;
  /** Every warning: the pipelines' and the plan's. */
  readonly warnings: readonly PlanWarning[];
  readonly assumptions: readonly string[];
}

export interface PlanRequest {
  /** Load options for every pipeline. */
  readonly load?: LoadOverrides;
  /** Pipelines to plan, with their own overrides; all configured pipelines when empty. */
  readonly pipelines?: readonly PipelineSelection[];
}

const round = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits });

function pipelineWarnings(pipeline: PipelineConfig, load: Load, capacity: Capacity): PlanWarning[] {
  const warnings: PlanWarning[] = [];
  const warn = (code: WarningCode, message: string): void => {
    warnings.push({ code, pipeline: pipeline.name, message });
  };
  const { hotKey } = capacity;
  if (hotKey.recordsPerSecond > SHARD_WRITE_RECORDS_PER_SECOND || hotKey.bytesPerSecond > SHARD_WRITE_BYTES_PER_SECOND) {
    warn(
      'hot-key',
      `the busiest partition key takes ${round(hotKey.recordsPerSecond)} records/s (${round(hotKey.bytesPerSecond / MIB, 2)} MiB/s) at the peak: one key goes to one shard, which takes 1,000 records/s or 1 MiB/s; more shards do not help, spread the key (a subject per entity) or the writes are throttled`,
    );
  }
  if (load.recordBytes > MAX_RECORD_BYTES) {
    warn('record-too-large', `records of ${round(load.recordBytes)} bytes are above Kinesis's 1 MiB record limit (larger records need the opt-in up to 10 MiB, and no DLQ message can carry them)`);
  }
  if (capacity.maxBatchRecords < pipeline.eventSource.batchSize) {
    warn('batch-capped-by-payload', `records of ${round(load.recordBytes)} bytes fill the 6 MB invoke payload at ${capacity.maxBatchRecords} records: batches never reach batchSize ${pipeline.eventSource.batchSize}`);
  }
  if (capacity.concurrency > ACCOUNT_DEFAULT_CONCURRENCY) {
    warn('concurrency-above-account-default', `keeping up needs ${round(capacity.concurrency)} concurrent executions, above the account default of ${ACCOUNT_DEFAULT_CONCURRENCY} (request a quota increase)`);
  }
  const factor = capacity.parallelizationFactor;
  if (factor.needed > MAX_PARALLELIZATION_FACTOR) {
    warn(
      'parallelization-above-maximum',
      `keeping up needs a parallelization factor of ${factor.needed} on ${capacity.shards} on-demand shards, above the maximum of ${MAX_PARALLELIZATION_FACTOR}: use a PROVISIONED stream with more shards, larger batches or a faster action`,
    );
  } else if (factor.needed > factor.configured) {
    warn('parallelization-below-needed', `eventSource.parallelizationFactor is ${factor.configured}; keeping up with the peak needs ${factor.needed}`);
  }
  if (capacity.configuredShards !== undefined && capacity.shards > capacity.configuredShards) {
    warn('shards-below-needed', `stream.shardCount is ${capacity.configuredShards}; the peak needs ${capacity.shards} shards (costed at ${capacity.shards})`);
  }
  if (capacity.latencyFloorMs >= capacity.latencyObjectiveMs) {
    warn(
      'latency-floor-above-objective',
      `the latency floor (${round(capacity.latencyFloorMs)} ms: ${CONSUMER_MODES[load.consumer].label}, the ${pipeline.eventSource.maxBatchingWindowSeconds} s batching window and a batch) reaches the latency objective of ${capacity.latencyObjectiveMs} ms`,
    );
  }
  return warnings;
}

export function planPipeline(config: PipelinesConfig, pipeline: PipelineConfig, ...overrides: readonly LoadOverrides[]): PipelinePlan {
  const load = resolveLoad(pipeline, ...overrides);
  const capacity = planCapacity(pipeline, load);
  const { lines, usage } = pipelineCosts(pipeline, load, capacity, config.stackName);
  return { name: pipeline.name, action: actionLabel(pipeline), load, capacity, usage, costs: lines, monthlyUsd: total(lines), warnings: pipelineWarnings(pipeline, load, capacity) };
}

export function planPipelines(config: PipelinesConfig, request: PlanRequest = {}): Plan {
  const selections = request.pipelines && request.pipelines.length > 0 ? request.pipelines : config.pipelines.map((p) => ({ name: p.name, overrides: {} }));
  const twice = selections.find((s, i) => selections.findIndex((t) => t.name === s.name) !== i);
  if (twice) throw new LoadError(`--pipeline ${twice.name} is given twice: put all of its overrides in one, e.g. ${twice.name}:peak=2000,mean=400`);
  const pipelines = selections.map((s) => planPipeline(config, findPipeline(config, s.name), request.load ?? {}, s.overrides));
  const shared = sharedCosts();
  const concurrency = pipelines.reduce((sum, p) => sum + p.capacity.concurrency, 0);
  const warnings = pipelines.flatMap((p) => p.warnings);
  if (pipelines.length > 1 && concurrency > ACCOUNT_DEFAULT_CONCURRENCY) {
    warnings.push({ code: 'concurrency-above-account-default', message: `the planned pipelines together need ${round(concurrency)} concurrent executions, above the account default of ${ACCOUNT_DEFAULT_CONCURRENCY}` });
  }
  return {
    region: PRICE_TABLE.region,
    currency: PRICE_TABLE.currency,
    pricesCheckedOn: Object.values(PRICE_TABLE.prices).map((p) => p.checkedOn).sort()[0]!,
    pipelines,
    shared,
    monthlyUsd: pipelines.reduce((sum, p) => sum + p.monthlyUsd, 0) + total(shared),
    concurrency,
    warnings,
    assumptions: ASSUMPTIONS,
  };
}

/** What the numbers rest on, printed with every plan. */
export const ASSUMPTIONS: readonly string[] = [
  `Prices: ${PRICE_TABLE.region}, on-demand list prices in ${PRICE_TABLE.currency} (lib/plan/prices.ts, with the source and date of each); not included: ${PRICE_TABLE.excludes}.`,
  `A month is ${HOURS_PER_MONTH} hours; a GB is ${GB.toLocaleString('en-US')} bytes. Costs follow the mean load; shards, parallelization and concurrency follow the peak.`,
  `Partition keys spread evenly over the shards (except the busiest key, checked on its own). On-demand streams are taken to run max(${ON_DEMAND_MIN_SHARDS}, shards for ${ON_DEMAND_HEADROOM}× the peak) shards, as AWS keeps room for twice the recent peak.`,
  `Processing time: the processor benchmark's median per 100-record batch (README "Benchmark", ${BENCHMARK.run}): noop ${BENCHMARK.medianBatchMs.noop.fresh} ms fresh / ${BENCHMARK.medianBatchMs.noop.duplicate} ms duplicate, orders ${BENCHMARK.medianBatchMs.orders.fresh} / ${BENCHMARK.medianBatchMs.orders.duplicate} ms; telemetry is assumed as orders. Batch time is proportional to its records, with no invoke overhead (not measured); on DynamoDB Local, so AWS round trips may differ either way.`,
  `Keeping up: each parallelization slot (shard × factor) is kept at most ${TARGET_SLOT_UTILISATION * 100}% busy at the peak; concurrency = shards × the larger of the configured and the needed factor.`,
  'Batches at the mean load gather for the batching window, at least one delivery interval (polling 1 s, enhanced fan-out 70 ms), up to batchSize and the 6 MB payload.',
  `Latency floor: delivery (polling ~${CONSUMER_MODES.polling.deliveryMs} ms per shard poll, enhanced fan-out ~${CONSUMER_MODES.efo.deliveryMs} ms) + the batching window + one mean batch; producer linger and network are not included.`,
  'DynamoDB units per record (lib/plan/processor-figures.ts): noop 2 WRU + 1 RRU and orders 3 WRU + 1.5 RRU per new record (measured; orders with two events per order per batch, state items as large as the record); telemetry 3 WRU + (1 + threshold metrics) RRU, plus 2 WRU and one SNS alert per breaching reading (from the code); a duplicate costs its reads only; a poison record 1 WRU (its dead-letter marker) and 3 SQS requests (send, receive, delete).',
  `Stored: idempotency keys for idempotency.ttlHours at ${IDEMPOTENCY_ITEM_BYTES} bytes each, the same again for point-in-time recovery; state tables are not estimated (they depend on the number of entities).`,
  `Logs per invocation: about ${LOG_BYTES.platformLinesPerInvocation} bytes of Lambda START/END/REPORT lines, the ${LOG_BYTES.batchSummaryLine}-byte batch line and the EMF documents (${LOG_BYTES.emfFirstDocument} bytes + ${LOG_BYTES.emfPerProcessedRecord} per processed record); stored uncompressed for the log retention.`,
  'KMS: one customer-managed key per pipeline and one for the alarm topic; a data-key request every 5 minutes per principal (3 for Kinesis: two producer credentials and the mapping, plus one per processor container).',
  'CloudWatch: every alarm of lib/constructs/alarm-specs.ts at standard resolution, a metric-math alarm counted once per metric it queries; the metrics of lambdas/shared/metrics-contract.ts with their one dimension (Pipeline); the event source mapping and AWS service metrics are not charged here.',
];
