/** `load`: a load generator with injected duplicates, out-of-order and invalid events. Options and printing; the generator is client/operations/load-generator.ts. */
import { SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import type { ExamplePipeline } from '../../client/examples/pipeline-events';
import { generateLoad, type LoadOptions, type LoadSummary } from '../../client/operations/load-generator';
import { ACTION_NAMES, builtInAction, type ActionName } from '../../lib/config';
import { addStreamOptions, EXIT_PARTIAL, parseDuration, parseFraction, parsePositiveInt, printJson, resolveStream, UsageError, withClients, type TargetOptions } from './common';
import { DEFAULT_CLI_SOURCE } from './put';

interface LoadCommandOptions extends TargetOptions {
  readonly rate: number;
  readonly duration?: number;
  readonly count?: number;
  readonly keys: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly invalid: number;
  readonly seed?: number;
  readonly action?: ActionName;
  readonly source: string;
  readonly aggregate?: boolean;
  readonly progress: boolean;
  readonly json?: boolean;
}

/** Without --duration or --count. */
const DEFAULT_DURATION_MS = 10_000;

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
      withClients(async (clients, options: LoadCommandOptions) => {
        if (options.duration !== undefined && options.count !== undefined) throw new UsageError('give --duration or --count, not both');
        const target = resolveStream(options);
        const own = target.pipeline ? builtInAction(target.pipeline) : undefined;
        const action = options.action ?? own;
        if (!action) {
          throw new UsageError(target.pipeline ? `pipeline "${target.pipeline.name}" runs an action of your own: say which example events to generate with --action <${ACTION_NAMES.join('|')}>` : `with --stream, say which events to generate: --action <${ACTION_NAMES.join('|')}>`);
        }
        // --pipeline: its own events (an action of the user's own: the --action's). --stream: the --action's, readings inside the limits of a configured pipeline running it.
        const pipeline: ExamplePipeline = own ? { action: own, telemetry: target.pipeline?.telemetry } : { action, telemetry: target.config.pipelines.find((p) => p.action === action)?.telemetry };
        const until: LoadOptions['until'] = options.count !== undefined ? { count: options.count } : { durationMs: options.duration ?? DEFAULT_DURATION_MS };
        const total = 'count' in until ? until.count : until.durationMs / 1000;

        const bar =
          options.progress && !options.json && process.stderr.isTTY
            ? new SingleBar({ format: `load ${target.streamName} [{bar}] {percentage}% | {events} events, {invalid} invalid | {rate}/s`, hideCursor: true })
            : undefined;
        bar?.start(total, 0, { events: 0, invalid: 0, rate: 0 });

        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        let result;
        try {
          result = await generateLoad({
            streamName: target.streamName,
            pipeline,
            until,
            rate: options.rate,
            keys: options.keys,
            duplicates: options.duplicates,
            outOfOrder: options.outOfOrder,
            invalid: options.invalid,
            seed: options.seed,
            source: options.source,
            aggregate: options.aggregate,
            client: clients.kinesis,
            signal: stop.signal,
            onProgress: ({ planned, events, invalid, elapsedMs }) => {
              const seconds = elapsedMs / 1000;
              bar?.update('count' in until ? planned : Math.min(Math.round(seconds * 10) / 10, total), { events, invalid, rate: Math.round(planned / Math.max(seconds, 0.001)) });
            },
          });
        } finally {
          process.off('SIGINT', onSignal);
          bar?.stop();
        }
        const summary: LoadSummary = result.summary;
        for (const message of result.flushErrors) process.stderr.write(`${message}\n`);
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
