/** `tail`: follow a stream's shards and print decoded events, each bounded and terminal-safe (client/operations/render.ts). */
import type { Command } from 'commander';
import { formatRecordLine, viewRecord } from '../../client/operations/record-view';
import { safeJson } from '../../client/operations/render';
import { followStream, type StartPosition } from '../../client/operations/stream-reader';
import { addStreamOptions, parsePositiveInt, resolveStream, UsageError, withClients, type TargetOptions } from './common';

interface TailOptions extends TargetOptions {
  readonly from: string;
  readonly follow: boolean;
  readonly limit?: number;
  readonly json?: boolean;
}

function parseFrom(text: string): StartPosition {
  if (text === 'latest') return { type: 'LATEST' };
  if (text === 'trim-horizon' || text === 'oldest') return { type: 'TRIM_HORIZON' };
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) throw new UsageError(`--from must be latest, trim-horizon or a timestamp, not "${text}"`);
  return { type: 'AT_TIMESTAMP', timestamp: time };
}

export function registerTail(program: Command): void {
  addStreamOptions(program.command('tail'))
    .description("follow a stream's shards and print each event decoded (KPL aggregates unpacked; invalid records flagged)")
    .option('--from <position>', 'latest, trim-horizon, or an ISO timestamp', 'latest')
    .option('--no-follow', 'stop once every shard is read to its end')
    .option('-n, --limit <count>', 'stop after this many events', parsePositiveInt)
    .option('--json', 'one JSON object per line (shard, sequence number, partition key, event or invalid reason)')
    .addHelpText(
      'after',
      `
Examples:
  $ stream-pipeline tail --pipeline orders
  $ stream-pipeline tail -p orders --from trim-horizon --no-follow --json | jq .event.type
  $ stream-pipeline tail -p telemetry --from 2026-11-25T14:00:00Z -n 20`,
    )
    .action(
      withClients(async (clients, options: TailOptions) => {
        const target = resolveStream(options);
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        let printed = 0;
        try {
          for await (const record of followStream(clients.kinesis, { streamName: target.streamName }, { from: parseFrom(options.from), follow: options.follow, signal: stop.signal })) {
            for (const view of viewRecord(record)) {
              process.stdout.write(`${options.json ? safeJson(view) : formatRecordLine(view)}\n`);
              if (options.limit !== undefined && ++printed >= options.limit) return 0;
            }
          }
        } finally {
          process.off('SIGINT', onSignal);
        }
        return 0;
      }),
    );
}
