/**
 * What `stream-pipeline load` does: puts example events of a pipeline's action (client/examples) on a
 * stream at a steady rate, with injected producer duplicates, out-of-order pairs and invalid records,
 * and counts what it sent. The CLI (bin/commands/load.ts) parses the options and prints.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { EventProducer } from '../event-producer';
import { exampleEvents, type ExamplePipeline } from '../examples/pipeline-events';
import { RecordPublisher } from '../record-publisher';
import { seededRandom } from './seeded-random';

export interface LoadOptions {
  readonly streamName: string;
  /** Whose events to generate: the action and, for telemetry, the limits its readings stay inside. */
  readonly pipeline: ExamplePipeline;
  /** How long, or how many events (exactly one of them). */
  readonly until: { readonly durationMs: number } | { readonly count: number };
  /** Events per second. */
  readonly rate: number;
  /** Size of the key space (orders or devices). */
  readonly keys: number;
  /** Shares (0–1) of events sent twice, followed by an older event of their key, and of invalid records. */
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly invalid: number;
  /** Seed of the random choices. Default: the clock (a different run each time). */
  readonly seed?: number;
  /** CloudEvents source of the events. */
  readonly source: string;
  /** Pack small events of one key into KPL aggregated records. Default false. */
  readonly aggregate?: boolean;
  readonly client: KinesisClient;
  /** Aborting stops the load; what was sent is flushed and counted. */
  readonly signal?: AbortSignal;
  /** Called after every tick, for a progress bar. */
  readonly onProgress?: (progress: LoadProgress) => void;
}

export interface LoadProgress {
  /** Sends planned so far (an out-of-order pair or a duplicate counts once). */
  readonly planned: number;
  readonly events: number;
  readonly invalid: number;
  readonly elapsedMs: number;
}

/** What `load --json` prints. */
export interface LoadSummary {
  stream: string;
  elapsedMs: number;
  /** Valid events sent, duplicates and out-of-order companions included. */
  events: number;
  duplicates: number;
  outOfOrder: number;
  invalid: number;
  acknowledged: number;
  failed: number;
  putRecordsCalls: number;
  eventsPerSecond: number;
}

export interface LoadResult {
  readonly summary: LoadSummary;
  /** Why the final flush failed, one message per publisher that failed (events given up on are in `failed`). */
  readonly flushErrors: readonly string[];
}

/** Invalid records of two kinds, each a future DLQ entry with its own reason. */
function invalidRecord(n: number, subject: string, source: string): Uint8Array {
  const body =
    n % 2 === 0
      ? `not json: load-generator invalid record ${n}`
      : JSON.stringify({ id: `invalid-${randomUUID()}`, source, subject, time: 'not-a-time', data: { n } }); // no specversion/type, bad time
  return new TextEncoder().encode(body);
}

export async function generateLoad(options: LoadOptions): Promise<LoadResult> {
  const examples = exampleEvents(options.pipeline, randomUUID().slice(0, 6));
  const random = seededRandom(options.seed ?? Date.now());
  const stream = { streamName: options.streamName };
  const producer = new EventProducer({ stream, client: options.client, source: options.source, aggregate: options.aggregate ?? false });
  const raw = new RecordPublisher<string>({ stream, client: options.client });
  const durationMs = 'durationMs' in options.until ? options.until.durationMs : undefined;
  const count = 'count' in options.until ? options.until.count : undefined;
  const summary: LoadSummary = { stream: options.streamName, elapsedMs: 0, events: 0, duplicates: 0, outOfOrder: 0, invalid: 0, acknowledged: 0, failed: 0, putRecordsCalls: 0, eventsPerSecond: 0 };

  const emitOne = async (n: number): Promise<void> => {
    const subject = examples.subject(random.int(0, options.keys - 1));
    if (random.chance(options.invalid)) {
      await raw.put({ partitionKey: subject, data: invalidRecord(n, subject, options.source), item: subject });
      summary.invalid++;
      return;
    }
    const now = Date.now();
    if (random.chance(options.outOfOrder)) {
      const older = examples.next(subject, new Date(now - 50));
      const newer = examples.next(subject, new Date(now));
      await producer.send(newer);
      await producer.send(older);
      summary.events += 2;
      summary.outOfOrder++;
      return;
    }
    const { event } = await producer.send(examples.next(subject, new Date(now)));
    summary.events++;
    if (random.chance(options.duplicates)) {
      await producer.send(event);
      summary.events++;
      summary.duplicates++;
    }
  };

  const start = Date.now();
  let planned = 0;
  const flushErrors: string[] = [];
  try {
    while (!options.signal?.aborted) {
      const elapsed = Date.now() - start;
      if (durationMs !== undefined && elapsed >= durationMs) break;
      if (count !== undefined && planned >= count) break;
      const due = Math.min(Math.floor((elapsed / 1000) * options.rate) + 1, count ?? Infinity);
      while (planned < due) await emitOne(planned++);
      options.onProgress?.({ planned, events: summary.events, invalid: summary.invalid, elapsedMs: Date.now() - start });
      await sleep(Math.min(100, 1000 / options.rate));
    }
  } finally {
    const results = await Promise.allSettled([producer.flush(), raw.flush()]);
    summary.elapsedMs = Date.now() - start;
    summary.acknowledged = producer.stats.acknowledged + raw.stats.acknowledged;
    summary.failed = producer.stats.failed + raw.stats.failed;
    summary.putRecordsCalls = producer.stats.putRecordsCalls + raw.stats.putRecordsCalls;
    summary.eventsPerSecond = Math.round(((summary.events + summary.invalid) / summary.elapsedMs) * 1000 * 10) / 10;
    for (const r of results) if (r.status === 'rejected') flushErrors.push((r.reason as Error).message);
  }
  return { summary, flushErrors };
}
