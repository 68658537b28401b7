/** `dlq list | show | replay`: the dead-letter queue, readable and replayable. */
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { expiresAt } from '../../client/operations/dlq-messages';
import { deleteMessage, receiveAll, release, type DlqMessage } from '../../client/operations/dlq-queue';
import { planReplay, replayMessages, type ReplayResult } from '../../client/operations/dlq-replay';
import { decodeEnvelope } from '../../lambdas/shared/envelope';
import { addQueueOptions, EXIT_PARTIAL, parsePositiveInt, printJson, printTable, resolveQueue, truncate, UsageError, withClients, type Clients, type Target, type TargetOptions } from './common';
import { decodeForDisplay } from './tail';

interface DlqOptions extends TargetOptions {
  readonly json?: boolean;
  readonly max: number;
}

/** What a person or a script needs to know about one message, without reading the stream. */
export function describeMessage(message: DlqMessage, retentionHours: number, now = new Date()): Record<string, unknown> {
  const body = message.body;
  const expiry = expiresAt(body, retentionHours);
  const retention = expiry ? { expiresAt: expiry.toISOString(), withinRetention: expiry > now } : { expiresAt: null, withinRetention: null };
  const common = { messageId: message.messageId, sentAt: message.sentAt?.toISOString() ?? null, receiveCount: message.receiveCount };
  if (body.kind === 'poison-record') {
    const p = body.poison;
    const payload = p.record.data !== undefined ? decodeEnvelope(Buffer.from(p.record.data, 'base64')) : undefined;
    return {
      ...common,
      kind: 'poison-record',
      reason: p.reason,
      error: p.error,
      pipeline: p.pipeline,
      deadLetteredAt: p.time,
      partitionKey: p.record.partitionKey,
      shardId: p.record.shardId,
      sequenceNumber: p.record.sequenceNumber,
      ...(p.record.subSequenceNumber !== undefined ? { subSequenceNumber: p.record.subSequenceNumber } : {}),
      arrival: p.record.approximateArrivalTimestamp,
      event: p.event ?? null,
      payloadStored: p.record.data !== undefined,
      payload: payload === undefined ? null : payload.ok ? payload.event : { invalid: payload.reason, text: Buffer.from(p.record.data!, 'base64').toString('utf8').slice(0, 2000) },
      // With the payload stored in the message, a replay does not need the stream.
      ...(p.record.data !== undefined ? { expiresAt: null, withinRetention: true } : retention),
    };
  }
  if (body.kind === 'on-failure') {
    const { requestContext, responseContext, KinesisBatchInfo: info } = body.onFailure;
    return {
      ...common,
      kind: 'on-failure',
      condition: requestContext.condition,
      functionArn: requestContext.functionArn ?? null,
      approximateInvokeCount: requestContext.approximateInvokeCount ?? null,
      functionError: responseContext?.functionError ?? null,
      failedAt: body.onFailure.timestamp ?? null,
      shardId: info.shardId,
      startSequenceNumber: info.startSequenceNumber,
      endSequenceNumber: info.endSequenceNumber,
      batchSize: info.batchSize,
      firstArrival: info.approximateArrivalOfFirstRecord ?? null,
      lastArrival: info.approximateArrivalOfLastRecord ?? null,
      streamArn: info.streamArn,
      ...retention,
    };
  }
  return { ...common, kind: 'unknown', problem: body.problem, body: message.raw.slice(0, 2000) };
}

function shortSequence(sequence: unknown): string {
  const s = String(sequence);
  return s.length > 12 ? `…${s.slice(-10)}` : s;
}

function retentionText(view: Record<string, unknown>, now = Date.now()): string {
  if (view.withinRetention === null) return 'unknown';
  if (view.expiresAt === null) return 'payload stored';
  const left = Date.parse(String(view.expiresAt)) - now;
  if (left <= 0) return 'EXPIRED';
  return left > 3_600_000 ? `${Math.floor(left / 3_600_000)}h left` : `${Math.max(1, Math.floor(left / 60_000))}m left`;
}

function summaryRow(view: Record<string, unknown>): string[] {
  if (view.kind === 'poison-record') {
    const event = view.event as { type?: string; id?: string } | null;
    return [String(view.messageId), 'poison-record', String(view.reason), String(view.partitionKey), `${view.shardId} ${shortSequence(view.sequenceNumber)}`, '1', retentionText(view), truncate(`${event?.type ?? '?'} ${event?.id ?? ''}: ${String(view.error)}`, 90)];
  }
  if (view.kind === 'on-failure') {
    return [String(view.messageId), 'on-failure', String(view.condition), '-', `${view.shardId} ${shortSequence(view.startSequenceNumber)}..${shortSequence(view.endSequenceNumber)}`, String(view.batchSize), retentionText(view), `invokes: ${view.approximateInvokeCount ?? '?'}, functionError: ${view.functionError ?? 'none'}`];
  }
  return [String(view.messageId), 'unknown', '-', '-', '-', '-', '-', String(view.problem)];
}

async function retentionHoursOf(clients: Clients, target: Target): Promise<number> {
  try {
    const summary = await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: target.streamName }));
    return summary.StreamDescriptionSummary?.RetentionPeriodHours ?? 24;
  } catch {
    return target.pipeline?.stream.retentionHours ?? 24;
  }
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
        const messages = await receiveAll(clients.sqs, target.queueUrl, { max: options.max, visibilityTimeoutSeconds: 30 });
        await release(clients.sqs, target.queueUrl, messages);
        const retentionHours = await retentionHoursOf(clients, target);
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
        const messages = await receiveAll(clients.sqs, target.queueUrl, { max: options.max, visibilityTimeoutSeconds: 30 });
        await release(clients.sqs, target.queueUrl, messages);
        const message = messages.find((m) => m.messageId === messageId);
        if (!message) throw new UsageError(`no message ${messageId} in ${target.queueUrl} (${messages.length} message(s) looked at; see dlq list)`);
        const view = describeMessage(message, await retentionHoursOf(clients, target));
        let records: unknown[] | undefined;
        if (message.body.kind === 'on-failure') {
          const plan = await planReplay(clients.kinesis, message);
          view.readable = plan.status === 'ready';
          if (plan.status !== 'ready') view.problem = plan.problem;
          records = plan.records.flatMap((r) => decodeForDisplay({ ...r })).slice(0, options.records);
        }
        if (options.json) {
          printJson({ ...view, ...(records ? { records } : {}) });
          return;
        }
        for (const [key, value] of Object.entries(view)) {
          if (key === 'payload' || key === 'body') continue;
          process.stdout.write(`${`${key}:`.padEnd(24)}${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}\n`);
        }
        if (view.payload !== undefined) process.stdout.write(`payload:\n${JSON.stringify(view.payload, null, 2)}\n`);
        if (view.body !== undefined) process.stdout.write(`body:\n${String(view.body)}\n`);
        if (records) {
          process.stdout.write(`records (${records.length} shown):\n`);
          for (const r of records) process.stdout.write(`  ${JSON.stringify(r)}\n`);
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
          printJson({ dryRun: options.dryRun ?? false, stream: target.streamName, missing, results: results.map(resultView) });
        } else {
          printReplay(results, options.dryRun ?? false, target.streamName);
          for (const id of missing) process.stdout.write(`  not found: ${id}\n`);
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
          for (const id of missing) process.stdout.write(`  not found: ${id}\n`);
        }
        return missing.length === 0 ? 0 : EXIT_PARTIAL;
      }),
    );
}

function resultView(result: ReplayResult): Record<string, unknown> {
  return {
    messageId: result.plan.message.messageId,
    kind: result.plan.message.body.kind,
    outcome: result.outcome,
    records: result.plan.records.length,
    problem: result.problem ?? null,
    recordsDetail: result.plan.records.map((r) => {
      const decoded = decodeEnvelope(r.data);
      return { partitionKey: r.partitionKey, shardId: r.shardId, sequenceNumber: r.sequenceNumber, eventId: decoded.ok ? decoded.event.id : null };
    }),
  };
}

function printReplay(results: readonly ReplayResult[], dryRun: boolean, streamName: string): void {
  if (results.length === 0) {
    process.stdout.write('Nothing to replay: the dead-letter queue is empty.\n');
    return;
  }
  printTable(
    ['MESSAGE ID', 'KIND', 'RECORDS', 'OUTCOME', 'PROBLEM'],
    results.map((r) => [r.plan.message.messageId, r.plan.message.body.kind, String(r.plan.records.length), r.outcome, r.problem ?? '']),
  );
  const count = (o: ReplayResult['outcome']): number => results.filter((r) => r.outcome === o).length;
  const records = results.filter((r) => r.outcome === 'replayed' || r.outcome === 'would-replay').reduce((n, r) => n + r.plan.records.length, 0);
  process.stdout.write(
    dryRun
      ? `\nDry run: ${count('would-replay')} message(s) (${records} record(s)) would be put back on ${streamName}; ${results.length - count('would-replay')} would be kept. Nothing changed.\n`
      : `\nReplayed ${count('replayed')} message(s) (${records} record(s)) onto ${streamName} and deleted them; kept ${results.length - count('replayed')}.\n`,
  );
}
