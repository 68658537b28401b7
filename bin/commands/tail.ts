/** `tail`: follow a stream's shards and print decoded events. */
import type { Command } from 'commander';
import { deaggregate } from '../../client/aggregation';
import { followStream, type StartPosition, type StoredRecord } from '../../client/operations/stream-reader';
import { decodeEnvelope } from '../../lambdas/shared/envelope';
import { addStreamOptions, parsePositiveInt, resolveStream, UsageError, withClients, type TargetOptions } from './common';

interface TailOptions extends TargetOptions {
  readonly from: string;
  readonly follow: boolean;
  readonly limit?: number;
  readonly json?: boolean;
}

export interface TailLine {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber?: number;
  readonly partitionKey: string;
  readonly arrival?: string;
  /** The decoded envelope, when the record is a valid one. */
  readonly event?: unknown;
  /** Why the record is not a valid envelope (a future poison record), with its raw bytes. */
  readonly invalid?: { readonly reason: string; readonly dataBase64: string };
}

/** One line per user record (a KPL aggregate gives several). */
export function decodeForDisplay(record: StoredRecord): TailLine[] {
  const base = { shardId: record.shardId, sequenceNumber: record.sequenceNumber, arrival: record.arrival?.toISOString() };
  let users;
  try {
    users = deaggregate(record.partitionKey, record.data);
  } catch (error) {
    return [{ ...base, partitionKey: record.partitionKey, invalid: { reason: (error as Error).message, dataBase64: Buffer.from(record.data).toString('base64') } }];
  }
  return users.map((user) => {
    const decoded = decodeEnvelope(user.data);
    const position = { ...base, partitionKey: user.partitionKey, ...(user.subSequenceNumber !== undefined ? { subSequenceNumber: user.subSequenceNumber } : {}) };
    return decoded.ok ? { ...position, event: decoded.event } : { ...position, invalid: { reason: decoded.reason, dataBase64: Buffer.from(user.data).toString('base64') } };
  });
}

function parseFrom(text: string): StartPosition {
  if (text === 'latest') return { type: 'LATEST' };
  if (text === 'trim-horizon' || text === 'oldest') return { type: 'TRIM_HORIZON' };
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) throw new UsageError(`--from must be latest, trim-horizon or a timestamp, not "${text}"`);
  return { type: 'AT_TIMESTAMP', timestamp: time };
}

function humanLine(line: TailLine): string {
  const where = `${line.shardId.replace('shardId-', '')}/${line.sequenceNumber.slice(-8)}${line.subSequenceNumber !== undefined ? `.${line.subSequenceNumber}` : ''}`;
  if (line.invalid) return `${where}  ${line.partitionKey}  INVALID: ${line.invalid.reason}`;
  const event = line.event as { time?: string; type: string; id: string; data?: unknown };
  return `${where}  ${event.time ?? '-'}  ${line.partitionKey}  ${event.type}  ${event.id}  ${JSON.stringify(event.data ?? null)}`;
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
            for (const line of decodeForDisplay(record)) {
              process.stdout.write(`${options.json ? JSON.stringify(line) : humanLine(line)}\n`);
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
