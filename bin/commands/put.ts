/** `put`: events from a JSON or JSON Lines file (or stdin) onto a pipeline's stream. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { buildEventRecord, type BuiltRecord } from '../../client/envelope-builder';
import { DeliveryError } from '../../client/errors';
import { EventProducer } from '../../client/event-producer';
import type { RecordOutcome } from '../../client/record-publisher';
import { addStreamOptions, EXIT_PARTIAL, printJson, resolveStream, UsageError, withClients, type TargetOptions } from './common';

interface PutOptions extends TargetOptions {
  readonly file?: string;
  readonly source: string;
  readonly aggregate?: boolean;
  readonly json?: boolean;
}

export const DEFAULT_CLI_SOURCE = '/stream-pipeline/cli';

/** One input item, in input order: its position ("line 3", "item 2") and its value or why it is not JSON. */
export type InputItem = { readonly where: string; readonly value: unknown } | { readonly where: string; readonly problem: string };

/** A JSON array, a single JSON object, or JSON Lines (one object per line; blank lines ignored). */
export function parseEventsText(text: string): InputItem[] {
  const trimmed = text.trim();
  if (trimmed === '') return [{ where: 'the input', problem: 'it is empty' }];
  if (trimmed.startsWith('[')) {
    try {
      return (JSON.parse(trimmed) as unknown[]).map((value, i) => ({ where: `item ${i + 1}`, value }));
    } catch (error) {
      return [{ where: 'the input', problem: `starts with "[" but is not a JSON array: ${(error as Error).message}` }];
    }
  }
  try {
    return [{ where: 'the input', value: JSON.parse(trimmed) }];
  } catch {
    // Not one JSON document: JSON Lines.
  }
  return text.split('\n').flatMap((line, i): InputItem[] => {
    if (line.trim() === '') return [];
    try {
      return [{ where: `line ${i + 1}`, value: JSON.parse(line) }];
    } catch (error) {
      return [{ where: `line ${i + 1}`, problem: `not JSON: ${(error as Error).message}` }];
    }
  });
}

async function readInput(file: string | undefined): Promise<string> {
  if (file && file !== '-') return readFile(file, 'utf8');
  if (process.stdin.isTTY) throw new UsageError('give --file <path>, or pipe events on stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function registerPut(program: Command): void {
  addStreamOptions(program.command('put'))
    .description('put events (CloudEvents, or just type/subject/data) from a JSON or JSON Lines file or stdin; nothing is sent if any event is invalid')
    .option('-f, --file <path>', 'JSON array, one JSON object, or JSON Lines; "-" or omitted: stdin')
    .option('--source <uri>', 'source of events that do not name one', DEFAULT_CLI_SOURCE)
    .option('--aggregate', 'pack small events of one subject into KPL aggregated records')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ stream-pipeline put --pipeline orders --file events.jsonl
  $ echo '{"type":"order.status-changed","subject":"order-42","data":{"status":"paid"}}' | stream-pipeline put -p orders
  $ stream-pipeline put -p telemetry -f readings.json --json`,
    )
    .action(
      withClients(async (clients, options: PutOptions) => {
        const target = resolveStream(options);
        const built: BuiltRecord[] = [];
        const problems: string[] = [];
        for (const item of parseEventsText(await readInput(options.file))) {
          if ('problem' in item) {
            problems.push(`${item.where}: ${item.problem}`);
            continue;
          }
          try {
            built.push(buildEventRecord(item.value as never, { source: options.source }));
          } catch (error) {
            problems.push(`${item.where}: ${(error as Error).message}`);
          }
        }
        if (problems.length > 0) {
          throw new UsageError(`nothing was sent; fix these ${problems.length} problem(s) first:\n  ${problems.join('\n  ')}`);
        }
        const producer = new EventProducer({ stream: { streamName: target.streamName }, client: clients.kinesis, aggregate: options.aggregate ?? false });
        const outcomes: Array<Promise<RecordOutcome>> = [];
        for (const record of built) outcomes.push((await producer.send(record.event)).outcome);
        let failure: DeliveryError<unknown> | undefined;
        await producer.close().catch((error: unknown) => {
          if (error instanceof DeliveryError) failure = error;
          else throw error;
        });
        const settled = await Promise.all(outcomes);
        const results = built.map((record, i) => ({ id: record.event.id, type: record.event.type, subject: record.event.subject, ...settled[i]! }));
        const failed = results.filter((r) => !r.ok);
        if (options.json) {
          printJson({ stream: target.streamName, sent: results.length - failed.length, failed: failed.length, putRecordsCalls: producer.stats.putRecordsCalls, events: results });
        } else {
          process.stdout.write(`Put ${results.length - failed.length} event(s) on ${target.streamName} in ${producer.stats.putRecordsCalls} PutRecords call(s).\n`);
          for (const f of failed) process.stdout.write(`  FAILED ${f.id} (${f.subject ?? 'no subject'}): ${'reason' in f ? f.reason : ''}\n`);
        }
        return failure ? EXIT_PARTIAL : 0;
      }),
    );
}
