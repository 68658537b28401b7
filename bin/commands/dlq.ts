/** `dlq list | show | replay | delete`: the dead-letter queue, readable and replayable. Options and printing; the logic is in client/operations. */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { deleteMessage, peekAll, receiveAll, release } from '../../client/operations/dlq-queue';
import { duplicatesSkipped, recordsPutBack, replayMessages, type ReplayResult } from '../../client/operations/dlq-replay';
import { describeMessage, replayResultView, showMessage, type DlqMessageView } from '../../client/operations/dlq-view';
import { formatRecordLine } from '../../client/operations/record-view';
import { safeJson, safeText } from '../../client/operations/render';
import { retentionHoursOf } from '../../client/operations/stream-reader';
import { addQueueOptions, EXIT_PARTIAL, parsePositiveInt, printJson, printTable, resolveQueue, UsageError, withClients, type Clients, type Target, type TargetOptions } from './common';

interface DlqOptions extends TargetOptions {
  readonly json?: boolean;
  readonly max: number;
}

function shortSequence(sequence: string): string {
  return safeText(sequence.length > 12 ? `…${sequence.slice(-10)}` : sequence, 12);
}

function retentionText(view: { expiresAt: string | null; withinRetention: boolean | null }, now = Date.now()): string {
  if (view.withinRetention === null) return 'unknown';
  if (view.expiresAt === null) return 'payload stored';
  const left = Date.parse(view.expiresAt) - now;
  if (left <= 0) return 'EXPIRED';
  return left > 3_600_000 ? `${Math.floor(left / 3_600_000)}h left` : `${Math.max(1, Math.floor(left / 60_000))}m left`;
}

/** A table row; every cell from the message made terminal-safe and short. */
function summaryRow(view: DlqMessageView): string[] {
  const id = safeText(view.messageId, 100);
  if (view.kind === 'poison-record') {
    const event = view.event;
    return [id, 'poison-record', view.reason, safeText(view.partitionKey, 60), `${safeText(view.shardId, 40)} ${shortSequence(view.sequenceNumber)}`, '1', retentionText(view), safeText(`${event?.type ?? '?'} ${event?.id ?? ''}: ${view.error}`, 90)];
  }
  if (view.kind === 'on-failure') {
    return [id, 'on-failure', safeText(view.condition, 40), '-', `${safeText(view.shardId, 40)} ${shortSequence(view.startSequenceNumber)}..${shortSequence(view.endSequenceNumber)}`, String(view.batchSize), retentionText(view), safeText(`invokes: ${view.approximateInvokeCount ?? '?'}, functionError: ${view.functionError ?? 'none'}`, 90)];
  }
  return [id, 'unrecognised', '-', '-', '-', '-', '-', safeText(`${view.problem}: ${view.body}`, 90)];
}

async function retentionOf(clients: Clients, target: Target): Promise<number> {
  return retentionHoursOf(clients.kinesis, { streamName: target.streamName }, target.pipeline?.stream.retentionHours ?? 24);
}

function addCommon(command: Command): Command {
  return addQueueOptions(command)
    .option('--max <count>', 'look at no more than this many messages', parsePositiveInt, 1000)
    .option('--json', 'print JSON');
}

export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description("a pipeline's dead-letter queue: poison records and the event source mapping's on-failure records");

  addCommon(dlq.command('list'))
    .description('list the messages (left in the queue): kind, reason or condition, where the records are, how long they stay replayable')
    .addHelpText('after', '\nExamples:\n  $ stream-pipeline dlq list --pipeline orders\n  $ stream-pipeline dlq list -p orders --json | jq \'.messages[] | select(.kind == "on-failure")\'')
    .action(
      withClients(async (clients, options: DlqOptions) => {
        const target = await resolveQueue(options, clients.sqs);
        const messages = await peekAll(clients.sqs, target.queueUrl, { max: options.max });
        const retentionHours = await retentionOf(clients, target);
        const views = messages.map((m) => describeMessage(m, retentionHours));
        if (options.json) {
          printJson({ queueUrl: target.queueUrl, stream: target.streamName, retentionHours, count: views.length, messages: views });
        } else if (views.length === 0) {
          process.stdout.write(`The dead-letter queue is empty (${target.queueUrl}).\n`);
        } else {
          process.stdout.write(`${views.length} message(s) in ${target.queueUrl} (stream retention ${retentionHours}h):\n`);
          printTable(['MESSAGE ID', 'KIND', 'REASON/CONDITION', 'PARTITION KEY', 'SHARD SEQUENCE', 'RECORDS', 'REPLAYABLE', 'DETAIL'], views.map(summaryRow));
          process.stdout.write('\nShow one: stream-pipeline dlq show <message id>   Replay all: stream-pipeline dlq replay --dry-run, then without --dry-run\n');
        }
      }),
    );

  addCommon(dlq.command('show'))
    .description("show one message in full: a poison record's decoded payload, or an on-failure record's records read back from the stream")
    .argument('<message-id>', 'as printed by dlq list')
    .option('--records <count>', 'on-failure messages: print at most this many records', parsePositiveInt, 50)
    .addHelpText('after', '\nExamples:\n  $ stream-pipeline dlq show --pipeline orders 5f1c2a9e-…\n  $ stream-pipeline dlq show -p orders 5f1c2a9e-… --json')
    .action(
      withClients(async (clients, messageId: string, options: DlqOptions & { records: number }) => {
        const target = await resolveQueue(options, clients.sqs);
        const messages = await peekAll(clients.sqs, target.queueUrl, { max: options.max });
        const message = messages.find((m) => m.messageId === messageId);
        if (!message) throw new UsageError(`no message ${safeText(messageId, 100)} in ${target.queueUrl} (${messages.length} message(s) looked at; see dlq list)`);
        const { view, records, ...readBack } = await showMessage(clients.kinesis, message, await retentionOf(clients, target), options.records);
        if (options.json) {
          printJson({ ...view, ...readBack, ...(records ? { records } : {}) });
          return;
        }
        for (const [key, value] of Object.entries({ ...view, ...readBack })) {
          if (key === 'payload' || key === 'body') continue;
          process.stdout.write(`${`${key}:`.padEnd(24)}${typeof value === 'object' && value !== null ? safeJson(value) : safeText(String(value))}\n`);
        }
        if (view.kind === 'poison-record') process.stdout.write(`payload:\n${safeJson(view.payload, 2)}\n`);
        if (view.kind === 'unrecognised') process.stdout.write(`body:\n${safeText(view.body)}\n`);
        if (records) {
          process.stdout.write(`records (${records.length} shown):\n`);
          for (const r of records) process.stdout.write(`  ${formatRecordLine(r)}\n`);
        }
      }),
    );

  addCommon(dlq.command('replay'))
    .description(
      'put the records of DLQ messages back on the stream (same bytes and partition key, so idempotency skips what already succeeded); a message is deleted only after all its records were accepted, and kept if they left the stream',
    )
    .option('--message-id <id...>', 'replay only these messages (default: all)')
    .option('--kind <kind>', 'replay only poison-record or on-failure messages')
    .option('--dry-run', 'show what would be replayed; change nothing')
    .addHelpText(
      'after',
      `
Exit code 0 when every message was replayed (or, with --dry-run, could be); ${EXIT_PARTIAL} when some were kept.

Examples:
  $ stream-pipeline dlq replay --pipeline orders --dry-run
  $ stream-pipeline dlq replay --pipeline orders
  $ stream-pipeline dlq replay -p orders --message-id 5f1c2a9e-… --json`,
    )
    .action(
      withClients(async (clients, options: DlqOptions & { messageId?: string[]; kind?: string; dryRun?: boolean }) => {
        if (options.kind && options.kind !== 'poison-record' && options.kind !== 'on-failure') throw new UsageError('--kind must be poison-record or on-failure');
        const target = await resolveQueue(options, clients.sqs);
        // Hidden long enough for a large on-failure range to be read back and put.
        const received = await receiveAll(clients.sqs, target.queueUrl, { max: options.max, visibilityTimeoutSeconds: 300 });
        const wanted = received.filter((m) => (!options.messageId || options.messageId.includes(m.messageId)) && (!options.kind || m.body.kind === options.kind));
        await release(
          clients.sqs,
          target.queueUrl,
          received.filter((m) => !wanted.includes(m)),
        );
        const missing = (options.messageId ?? []).filter((id) => !wanted.some((m) => m.messageId === id));
        const bar = !options.json && process.stderr.isTTY && wanted.length > 1 ? new SingleBar({ format: 'replaying [{bar}] {value}/{total} messages' }) : undefined;
        bar?.start(wanted.length, 0);
        const results = await replayMessages(
          { kinesis: clients.kinesis, sqs: clients.sqs, queueUrl: target.queueUrl, stream: { streamName: target.streamName } },
          wanted,
          { dryRun: options.dryRun ?? false, onResult: () => bar?.increment() },
        );
        bar?.stop();
        const ok = results.every((r) => r.outcome === 'replayed' || r.outcome === 'would-replay') && missing.length === 0;
        if (options.json) {
          printJson({
            dryRun: options.dryRun ?? false,
            stream: target.streamName,
            missing,
            records: recordsPutBack(results),
            duplicatesSkipped: duplicatesSkipped(results),
            results: results.map(replayResultView),
          });
        } else {
          printReplay(results, options.dryRun ?? false, target.streamName);
          for (const id of missing) process.stdout.write(`  not found: ${safeText(id, 100)}\n`);
        }
        return ok ? 0 : EXIT_PARTIAL;
      }),
    );
  addQueueOptions(dlq.command('delete'))
    .description('delete messages you have dealt with otherwise (e.g. records past retention, recovered from the producer); nothing is replayed')
    .argument('<message-id...>', 'as printed by dlq list')
    .option('--max <count>', 'look at no more than this many messages', parsePositiveInt, 1000)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  $ stream-pipeline dlq delete --pipeline orders c310…\n  $ stream-pipeline dlq delete -p orders c310… 9a77… --json')
    .action(
      withClients(async (clients, messageIds: string[], options: DlqOptions) => {
        const target = await resolveQueue(options, clients.sqs);
        const received = await receiveAll(clients.sqs, target.queueUrl, { max: options.max, visibilityTimeoutSeconds: 30 });
        const doomed = received.filter((m) => messageIds.includes(m.messageId));
        for (const message of doomed) await deleteMessage(clients.sqs, target.queueUrl, message);
        await release(
          clients.sqs,
          target.queueUrl,
          received.filter((m) => !doomed.includes(m)),
        );
        const missing = messageIds.filter((id) => !doomed.some((m) => m.messageId === id));
        if (options.json) printJson({ deleted: doomed.map((m) => m.messageId), missing });
        else {
          process.stdout.write(`Deleted ${doomed.length} message(s) from ${target.queueUrl}.\n`);
          for (const id of missing) process.stdout.write(`  not found: ${safeText(id, 100)}\n`);
        }
        return missing.length === 0 ? 0 : EXIT_PARTIAL;
      }),
    );
}

function printReplay(results: readonly ReplayResult[], dryRun: boolean, streamName: string): void {
  if (results.length === 0) {
    process.stdout.write('Nothing to replay: the dead-letter queue is empty.\n');
    return;
  }
  printTable(
    ['MESSAGE ID', 'KIND', 'RECORDS', 'DUPLICATES', 'OUTCOME', 'PROBLEM'],
    results.map((r) => [safeText(r.plan.message.messageId, 100), r.plan.message.body.kind, String(r.plan.records.length), String(r.duplicates), r.outcome, safeText(r.problem ?? '', 200)]),
  );
  const count = (o: ReplayResult['outcome']): number => results.filter((r) => r.outcome === o).length;
  const records = recordsPutBack(results);
  const duplicates = duplicatesSkipped(results);
  const skipped = duplicates > 0 ? `; ${duplicates} duplicate record(s) skipped (another message puts them back)` : '';
  process.stdout.write(
    dryRun
      ? `\nDry run: ${count('would-replay')} message(s) (${records} record(s)) would be put back on ${streamName}${skipped}; ${results.length - count('would-replay')} would be kept. Nothing changed.\n`
      : `\nReplayed ${count('replayed')} message(s) (${records} record(s)) onto ${streamName} and deleted them${skipped}; kept ${results.length - count('replayed')}.\n`,
  );
}
