/** `load`: a load generator with injected duplicates, out-of-order and invalid events. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import { EventProducer } from '../../client/event-producer';
import { exampleEvents } from '../../client/examples/pipeline-events';
import { RecordPublisher } from '../../client/record-publisher';
import { ACTION_NAMES, type PipelineConfig } from '../../lib/config';
import { seededRandom } from '../../client/operations/seeded-random';
import { addStreamOptions, EXIT_PARTIAL, parseDuration, parseFraction, parsePositiveInt, printJson, resolveStream, UsageError, withClients, type TargetOptions } from './common';
import { DEFAULT_CLI_SOURCE } from './put';

interface LoadOptions extends TargetOptions {
  readonly rate: number;
  readonly duration?: number;
  readonly count?: number;
  readonly keys: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly invalid: number;
  readonly seed?: number;
  readonly action?: PipelineConfig['action'];
  readonly source: string;
  readonly aggregate?: boolean;
  readonly progress: boolean;
  readonly json?: boolean;
}

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

/** Invalid records of two kinds, each a future DLQ entry with its own reason. */
function invalidRecord(n: number, subject: string, source: string): Uint8Array {
  const body =
    n % 2 === 0
      ? `not json: load-generator invalid record ${n}`
      : JSON.stringify({ id: `invalid-${randomUUID()}`, source, subject, time: 'not-a-time', data: { n } }); // no specversion/type, bad time
  return new TextEncoder().encode(body);
}

export function registerLoad(program: Command): void {
  addStreamOptions(program.command('load'))
    .description("generate events of the pipeline's action (orders: order status changes; telemetry: device readings) at a steady rate, with optional injected duplicates, out-of-order and invalid events")
    .option('-r, --rate <events/s>', 'events per second', parsePositiveInt, 50)
    .option('-d, --duration <time>', 'how long, e.g. 30s, 2m (default 10s unless --count)', parseDuration)
    .option('-c, --count <events>', 'how many events (instead of --duration)', parsePositiveInt)
    .option('-k, --keys <count>', 'size of the key space (orders or devices)', parsePositiveInt, 100)
    .option('--duplicates <fraction>', 'share of events sent twice (same id: the processor must skip the second)', parseFraction, 0)
    .option('--out-of-order <fraction>', 'share of events followed by an OLDER event of the same key', parseFraction, 0)
    .option('--invalid <fraction>', 'share of records that are not valid events (they must reach the DLQ)', parseFraction, 0)
    .option('--seed <n>', 'seed for a repeatable run', parsePositiveInt)
    .addOption(new Option('--action <action>', 'event shapes to generate with --stream (default: the pipeline action)').choices(ACTION_NAMES))
    .option('--source <uri>', 'CloudEvents source of the events', DEFAULT_CLI_SOURCE)
    .option('--aggregate', 'pack small events of one key into KPL aggregated records')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ stream-pipeline load --pipeline orders --rate 200 --duration 1m --keys 500
  $ stream-pipeline load -p orders -c 1000 --duplicates 0.05 --out-of-order 0.02 --invalid 0.01
  $ stream-pipeline load -p telemetry -r 100 -d 30s --json`,
    )
    .action(
      withClients(async (clients, options: LoadOptions) => {
        if (options.duration !== undefined && options.count !== undefined) throw new UsageError('give --duration or --count, not both');
        const target = resolveStream(options);
        const action = options.action ?? target.pipeline?.action;
        if (!action) throw new UsageError('with --stream, say which events to generate: --action <orders|telemetry|noop>');
        const pipeline: PipelineConfig = target.pipeline ?? ({ action, telemetry: target.config.pipelines.find((p) => p.action === action)?.telemetry } as PipelineConfig);
        const runId = randomUUID().slice(0, 6);
        const examples = exampleEvents(pipeline, runId);
        const random = seededRandom(options.seed ?? Date.now());
        const stream = { streamName: target.streamName };
        const producer = new EventProducer({ stream, client: clients.kinesis, source: options.source, aggregate: options.aggregate ?? false });
        const raw = new RecordPublisher<string>({ stream, client: clients.kinesis });
        const durationMs = options.count === undefined ? (options.duration ?? 10_000) : undefined;
        const summary: LoadSummary = { stream: target.streamName, elapsedMs: 0, events: 0, duplicates: 0, outOfOrder: 0, invalid: 0, acknowledged: 0, failed: 0, putRecordsCalls: 0, eventsPerSecond: 0 };

        const bar =
          options.progress && !options.json && process.stderr.isTTY
            ? new SingleBar({ format: `load ${target.streamName} [{bar}] {percentage}% | {events} events, {invalid} invalid | {rate}/s`, hideCursor: true })
            : undefined;
        bar?.start(options.count ?? durationMs! / 1000, 0, { events: 0, invalid: 0, rate: 0 });

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

        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        const start = Date.now();
        let planned = 0;
        try {
          while (!stop.signal.aborted) {
            const elapsed = Date.now() - start;
            if (durationMs !== undefined && elapsed >= durationMs) break;
            if (options.count !== undefined && planned >= options.count) break;
            const due = Math.min(Math.floor((elapsed / 1000) * options.rate) + 1, options.count ?? Infinity);
            while (planned < due) await emitOne(planned++);
            const seconds = (Date.now() - start) / 1000;
            bar?.update(options.count !== undefined ? planned : Math.min(Math.round(seconds * 10) / 10, durationMs! / 1000), {
              events: summary.events,
              invalid: summary.invalid,
              rate: Math.round(planned / Math.max(seconds, 0.001)),
            });
            await sleep(Math.min(100, 1000 / options.rate));
          }
        } finally {
          process.off('SIGINT', onSignal);
          const results = await Promise.allSettled([producer.flush(), raw.flush()]);
          bar?.stop();
          summary.elapsedMs = Date.now() - start;
          summary.acknowledged = producer.stats.acknowledged + raw.stats.acknowledged;
          summary.failed = producer.stats.failed + raw.stats.failed;
          summary.putRecordsCalls = producer.stats.putRecordsCalls + raw.stats.putRecordsCalls;
          summary.eventsPerSecond = Math.round(((summary.events + summary.invalid) / summary.elapsedMs) * 1000 * 10) / 10;
          for (const r of results) if (r.status === 'rejected') process.stderr.write(`${(r.reason as Error).message}\n`);
        }
        if (options.json) printJson(summary);
        else {
          process.stdout.write(
            `Put ${summary.events} event(s) (${summary.duplicates} duplicate(s), ${summary.outOfOrder} out-of-order pair(s)) and ${summary.invalid} invalid record(s) on ${summary.stream} ` +
              `in ${(summary.elapsedMs / 1000).toFixed(1)} s (${summary.eventsPerSecond}/s, ${summary.putRecordsCalls} PutRecords calls); ${summary.failed} failed.\n`,
          );
        }
        return summary.failed > 0 ? EXIT_PARTIAL : 0;
      }),
    );
}
