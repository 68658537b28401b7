/**
 * What the processor costs per record, in one place: DynamoDB units per action and record kind,
 * processing time per record, log bytes per batch, and how each consumer mode delivers records.
 * Every figure says where it comes from: a measurement (README "Benchmark: processor vs Powertools",
 * run 2026-11-25 17:23), the processor's code (lambdas/processor/), or an AWS figure.
 */
import type { ActionName, EventSourceConsumer, PipelineConfig } from '../config';

/** The processor benchmark's medians for one 100-record batch on DynamoDB Local (README "Benchmark"). */
export const BENCHMARK = {
  run: '2026-11-25 17:23, 2 cores, load average 3.5, median of 11 batches',
  recordsPerBatch: 100,
  medianBatchMs: {
    noop: { fresh: 40, duplicate: 12 },
    orders: { fresh: 74, duplicate: 12 },
  },
} as const;

/** Processing time per record (ms) of a new record and of a duplicate, for one action. */
export interface ProcessingTime {
  readonly freshMsPerRecord: number;
  readonly duplicateMsPerRecord: number;
  /** Where the figure comes from. */
  readonly basis: string;
}

/**
 * Batch duration is taken as proportional to the records in it: the benchmark's 100-record median
 * divided by 100. `telemetry` was not benchmarked: it is assumed to cost what `orders` costs (both read
 * keys and state in one BatchGetItem and write per record; telemetry also publishes to SNS on a breach).
 */
/**
 * The built-in action whose figures plan a pipeline: its own, or for an action from the user's own code the
 * nearest built-in (nothing of its code is known): a transactional one with state like `orders`, without
 * state like `noop`, an external one like `telemetry` without thresholds (claim, action, completion).
 */
export function plannedAs(pipeline: Pick<PipelineConfig, 'action'>): ActionName {
  const action = pipeline.action;
  if (typeof action === 'string') return action;
  if (action.kind === 'external') return 'telemetry';
  return action.stateTable ? 'orders' : 'noop';
}

export function processingTime(action: ActionName): ProcessingTime {
  const per = (ms: number): number => ms / BENCHMARK.recordsPerBatch;
  if (action === 'noop') {
    return { freshMsPerRecord: per(BENCHMARK.medianBatchMs.noop.fresh), duplicateMsPerRecord: per(BENCHMARK.medianBatchMs.noop.duplicate), basis: 'the noop benchmark' };
  }
  const orders = BENCHMARK.medianBatchMs.orders;
  return {
    freshMsPerRecord: per(orders.fresh),
    duplicateMsPerRecord: per(orders.duplicate),
    basis: action === 'orders' ? 'the orders benchmark' : `assumed equal to orders: ${action} is not benchmarked`,
  };
}

/** DynamoDB units (and SNS publishes) one record costs, by what happens to it. */
export interface RecordUnits {
  readonly newRecord: { readonly wru: number; readonly rru: number; readonly snsPublishes: number };
  /** A duplicate is read, never written. */
  readonly duplicate: { readonly rru: number };
  /** A poison record: its dead-letter marker (one plain put) in the idempotency table. */
  readonly poison: { readonly wru: number };
  /** One line per figure: how it is made up. */
  readonly basis: readonly string[];
}

export interface RecordUnitInputs {
  readonly action: ActionName;
  /** Average record size; the orders state item is taken to be as large as the record (it keeps the event's data). */
  readonly recordBytes: number;
  /** telemetry: the metrics with thresholds (one state item per device and metric is read with the batch). */
  readonly thresholdMetrics: number;
  /** telemetry: the share of new readings outside a threshold (each opens or extends an incident). */
  readonly breachFraction: number;
}

/** DynamoDB's rules: 1 WRU per 1 KB written (2 in a transaction), 1 RRU per 4 KB read strongly consistent. */
const writeUnits = (bytes: number, transactional: boolean): number => Math.ceil(bytes / 1024) * (transactional ? 2 : 1);
const readUnits = (bytes: number): number => Math.ceil(bytes / 4096);

/**
 * Units per record. Idempotency items stay below 1 KB (lambdas/processor/idempotency.ts).
 * - noop (measured): the key in one transactional put, 2 WRU; read first in the batch's BatchGetItem, 1 RRU.
 * - orders (measured with two events per order per batch): the key, 2 WRU, plus one transactional state
 *   write per order per batch, shared by its two events (2 × ⌈state KB⌉ ÷ 2); reads: the key, 1 RRU, plus
 *   the state item once per order (⌈state / 4 KB⌉ ÷ 2). 3 WRU and 1.5 RRU for records up to 1 KB, as measured.
 * - telemetry (from the code, not measured; external action): the claim, a transactional put, 2 WRU, and
 *   the completion, a plain put, 1 WRU; reads: the key and one state item per threshold metric, 1 RRU
 *   each (an upper bound: a device with several readings in one batch is read once); a breaching reading
 *   also writes its incident (a plain put, 1 WRU), deletes it when it closes (1 WRU) and publishes one
 *   alert (counted per breach: an upper bound, later breaches of an open incident publish none).
 * A duplicate is found by the same read and costs its RRU only.
 */
export function recordUnits(inputs: RecordUnitInputs): RecordUnits {
  const key = { transactionalPut: writeUnits(1, true), plainPut: writeUnits(1, false), read: readUnits(1) };
  switch (inputs.action) {
    case 'noop':
      return {
        newRecord: { wru: key.transactionalPut, rru: key.read, snsPublishes: 0 },
        duplicate: { rru: key.read },
        poison: { wru: key.plainPut },
        basis: ['noop: 2 WRU (the key, one transactional put) and 1 RRU (the key) per new record, measured', 'duplicate: 1 RRU'],
      };
    case 'orders': {
      const eventsPerOrderPerBatch = 2;
      const stateWrite = writeUnits(inputs.recordBytes, true) / eventsPerOrderPerBatch;
      const stateRead = readUnits(inputs.recordBytes) / eventsPerOrderPerBatch;
      return {
        newRecord: { wru: key.transactionalPut + stateWrite, rru: key.read + stateRead, snsPublishes: 0 },
        duplicate: { rru: key.read + stateRead },
        poison: { wru: key.plainPut },
        basis: [
          `orders: ${key.transactionalPut + stateWrite} WRU per new record (the key 2, the state item ${stateWrite}: one transactional write per order per batch, two events per order), measured 3 for records up to 1 KB`,
          `orders: ${key.read + stateRead} RRU per new or duplicate record (the key 1, the state item ${stateRead}), measured 1.5`,
        ],
      };
    }
    case 'returns': {
      // One transactional window write per SKU and window per batch, shared by that SKU's events of the batch.
      const eventsPerWindowPerBatch = 10;
      const windowWrite = writeUnits(1, true) / eventsPerWindowPerBatch;
      return {
        newRecord: { wru: key.transactionalPut + windowWrite, rru: key.read + 2 * key.read / eventsPerWindowPerBatch, snsPublishes: 0 },
        duplicate: { rru: key.read + 2 * key.read / eventsPerWindowPerBatch },
        poison: { wru: key.plainPut },
        basis: [
          `returns: ${key.transactionalPut + windowWrite} WRU per new record (the key 2, the window item ${windowWrite}: one transactional write per SKU and window per batch, ${eventsPerWindowPerBatch} events each), from the code`,
          'returns: the closer adds per closed window one result update, one window put and one baseline put (transactional), not counted per record',
        ],
      };
    }
    case 'telemetry': {
      const breach = inputs.breachFraction;
      return {
        newRecord: {
          wru: key.transactionalPut + key.plainPut + breach * 2 * key.plainPut,
          rru: key.read + inputs.thresholdMetrics * key.read,
          snsPublishes: breach,
        },
        duplicate: { rru: key.read + inputs.thresholdMetrics * key.read },
        poison: { wru: key.plainPut },
        basis: [
          `telemetry: 3 WRU per new record (claim 2, completion 1) + 2 WRU per breach (incident put and delete), from the code`,
          `telemetry: ${1 + inputs.thresholdMetrics} RRU per new or duplicate record (the key and ${inputs.thresholdMetrics} incident items), from the code`,
          'telemetry: one SNS publish per breach (upper bound)',
        ],
      };
    }
  }
}

/**
 * Bytes one invocation writes to CloudWatch Logs, measured on 2026-12-01 from the processor's own
 * emitters (test/plan/log-bytes.test.ts measures them again against these figures): Lambda's
 * START/END/REPORT lines (assumed, about 300 bytes), the `batch processed` line (about 400 bytes
 * without problems), and the EMF documents (about 770 bytes for the first with the counts, 430 for each
 * further 100 latency values, and 9 bytes per processed record: its two latency values).
 */
export const LOG_BYTES = {
  platformLinesPerInvocation: 300,
  batchSummaryLine: 400,
  emfFirstDocument: 770,
  emfFurtherDocument: 430,
  emfPerProcessedRecord: 9,
  emfValuesPerDocument: 100,
} as const;

/** Log bytes of one invocation in which `processed` records were processed. */
export function logBytesPerInvocation(processed: number): number {
  const documents = Math.max(1, Math.ceil(processed / LOG_BYTES.emfValuesPerDocument));
  return (
    LOG_BYTES.platformLinesPerInvocation +
    LOG_BYTES.batchSummaryLine +
    LOG_BYTES.emfFirstDocument +
    (documents - 1) * LOG_BYTES.emfFurtherDocument +
    processed * LOG_BYTES.emfPerProcessedRecord
  );
}

/** How a consumer mode delivers records: the latency it adds and how often a batch can start. */
export interface ConsumerMode {
  readonly name: EventSourceConsumer;
  readonly label: string;
  /** Delay from a record's arrival to its delivery, before any batching window (ms). */
  readonly deliveryMs: number;
  readonly basis: string;
}

export const CONSUMER_MODES: Readonly<Record<ConsumerMode['name'], ConsumerMode>> = {
  polling: {
    name: 'polling',
    label: 'shared-throughput polling',
    deliveryMs: 1000,
    basis: 'the event source mapping polls each shard about once a second (AWS Lambda developer guide)',
  },
  efo: {
    name: 'efo',
    label: 'enhanced fan-out',
    deliveryMs: 70,
    basis: 'SubscribeToShard pushes records in about 70 ms (Kinesis developer guide, "typically ~70 ms")',
  },
};
