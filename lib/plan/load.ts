/**
 * The expected load of a pipeline: what `stream-pipeline plan` is asked about. One table of parameters
 * serves the command-line options (`--peak 500`), the per-pipeline overrides
 * (`--pipeline orders:peak=2000,consumer=efo`) and the defaults, so the three never disagree.
 */
import { EVENT_SOURCE_CONSUMERS, type EventSourceConsumer, type PipelineConfig } from '../config';
import { plannedAs, processingTime } from './processor-figures';

/** The configuration's consumer modes (`eventSource.consumer`): one vocabulary for the stack and the plan. */
export type ConsumerModeName = EventSourceConsumer;

export interface Load {
  /** Events per second at the busiest moment: sizes shards, parallelization and concurrency. */
  readonly peakEventsPerSecond: number;
  /** Events per second averaged over the month: sizes the bill. */
  readonly meanEventsPerSecond: number;
  /** Average Kinesis record (one CloudEvent as JSON), in bytes. */
  readonly recordBytes: number;
  /** Stream retention in hours (24–8,760). */
  readonly retentionHours: number;
  readonly consumer: ConsumerModeName;
  /** Share of records that are duplicates (producer retries, redeliveries, replays). */
  readonly duplicateFraction: number;
  /** Share of records that are poison (dead-lettered). */
  readonly poisonFraction: number;
  /** Share of the peak on the busiest partition key. */
  readonly hotKeyShare: number;
  /** Processing time of a new record (ms); the duplicate figure stays the measured one. */
  readonly msPerRecord: number;
  /** telemetry: share of new readings outside a threshold. */
  readonly breachFraction: number;
}

/** A problem with the load as given (printed to the user as is). */
export class LoadError extends Error {
  override name = 'LoadError';
}

type Parse = (text: string, key: string) => number | ConsumerModeName;

/** Without a mean, the month averages this share of the peak. */
export const DEFAULT_MEAN_SHARE = 0.2;

const number =
  (check: (n: number) => boolean, what: string): Parse =>
  (text, key) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || !check(value)) throw new LoadError(`${key}: "${text}" is not ${what}`);
    return value;
  };
const nonNegative = number((n) => n >= 0, 'a number ≥ 0');
const positive = number((n) => n > 0, 'a number > 0');
const fraction = number((n) => n >= 0 && n <= 1, 'a fraction between 0 and 1');
const wholeBytes = number((n) => Number.isInteger(n) && n >= 1 && n <= 10 * 1024 * 1024, 'a whole number of bytes between 1 and 10 MiB');
const retention = number((n) => Number.isInteger(n) && n >= 24 && n <= 8760, 'a whole number of hours between 24 and 8,760');
const consumer: Parse = (text, key) => {
  const mode = EVENT_SOURCE_CONSUMERS.find((m) => m === text);
  if (mode) return mode;
  throw new LoadError(`${key}: "${text}" is not a consumer mode (${EVENT_SOURCE_CONSUMERS.join(' or ')})`);
};

/** One load parameter: its option and override key, its field, its default. */
export interface LoadParameter {
  /** `--<key>` on the command line, `<key>=` in a `--pipeline` override. */
  readonly key: string;
  readonly field: keyof Load;
  readonly description: string;
  /** The default, as shown in --help. */
  readonly defaultText: string;
  readonly parse: Parse;
}

export const LOAD_PARAMETERS: readonly LoadParameter[] = [
  { key: 'peak', field: 'peakEventsPerSecond', description: 'peak events/s', defaultText: '100', parse: nonNegative },
  { key: 'mean', field: 'meanEventsPerSecond', description: 'mean events/s over the month', defaultText: `${DEFAULT_MEAN_SHARE * 100}% of the peak`, parse: nonNegative },
  { key: 'record-bytes', field: 'recordBytes', description: 'average record size in bytes', defaultText: '512', parse: wholeBytes },
  { key: 'retention-hours', field: 'retentionHours', description: 'stream retention in hours', defaultText: "the pipeline's stream.retentionHours", parse: retention },
  { key: 'consumer', field: 'consumer', description: 'consumer mode: polling (shared throughput) or efo (enhanced fan-out)', defaultText: "the pipeline's eventSource.consumer", parse: consumer },
  { key: 'duplicates', field: 'duplicateFraction', description: 'share of records that are duplicates', defaultText: '0.01', parse: fraction },
  { key: 'poison', field: 'poisonFraction', description: 'share of records that are poison (dead-lettered)', defaultText: '0', parse: fraction },
  { key: 'hot-key-share', field: 'hotKeyShare', description: 'share of the peak on the busiest partition key', defaultText: '0.01', parse: fraction },
  { key: 'ms-per-record', field: 'msPerRecord', description: 'processing time of a new record in ms', defaultText: 'measured by the processor benchmark', parse: positive },
  { key: 'breach-fraction', field: 'breachFraction', description: 'telemetry: share of readings outside a threshold', defaultText: '0.01', parse: fraction },
];

/** Parsed values by field: what the command line gave, for all pipelines or for one. */
export type LoadOverrides = Partial<Load>;

/** The load of a pipeline: its own settings and the defaults, then the global options, then its overrides. */
export function resolveLoad(pipeline: PipelineConfig, ...overrides: readonly LoadOverrides[]): Load {
  const given: LoadOverrides = Object.assign({}, ...overrides);
  const peak = given.peakEventsPerSecond ?? 100;
  const load: Load = Object.assign(
    {
      peakEventsPerSecond: peak,
      meanEventsPerSecond: peak * DEFAULT_MEAN_SHARE,
      recordBytes: 512,
      retentionHours: pipeline.stream.retentionHours,
      consumer: pipeline.eventSource.consumer,
      duplicateFraction: 0.01,
      poisonFraction: 0,
      hotKeyShare: 0.01,
      msPerRecord: processingTime(plannedAs(pipeline)).freshMsPerRecord,
      breachFraction: 0.01,
    } satisfies Load,
    given,
  );
  if (load.meanEventsPerSecond > load.peakEventsPerSecond) {
    throw new LoadError(`${pipeline.name}: the mean (${load.meanEventsPerSecond} events/s) is above the peak (${load.peakEventsPerSecond} events/s)`);
  }
  if (load.duplicateFraction + load.poisonFraction > 1) {
    throw new LoadError(`${pipeline.name}: duplicates (${load.duplicateFraction}) and poison (${load.poisonFraction}) add up to more than every record`);
  }
  return load;
}

/** Parses one option's text for `key`. */
export function parseLoadValue(key: string, text: string): LoadOverrides {
  const parameter = LOAD_PARAMETERS.find((p) => p.key === key);
  if (!parameter) throw new LoadError(`unknown load parameter "${key}" (known: ${LOAD_PARAMETERS.map((p) => p.key).join(', ')})`);
  // Each parameter's parser returns its field's type (the consumer parser the mode name, the others numbers).
  return { [parameter.field]: parameter.parse(text, key) } as LoadOverrides;
}

/** A `--pipeline` value: `orders` or `orders:peak=2000,consumer=efo`. */
export interface PipelineSelection {
  readonly name: string;
  readonly overrides: LoadOverrides;
}

export function parsePipelineSelection(text: string): PipelineSelection {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  if (name === '') throw new LoadError(`--pipeline "${text}": name the pipeline first, e.g. orders:peak=2000`);
  const overrides: LoadOverrides = {};
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  for (const pair of rest.split(',').filter((p) => p.trim() !== '')) {
    const equals = pair.indexOf('=');
    if (equals < 0) throw new LoadError(`--pipeline "${text}": "${pair}" is not key=value`);
    Object.assign(overrides, parseLoadValue(pair.slice(0, equals).trim(), pair.slice(equals + 1).trim()));
  }
  return { name, overrides };
}
