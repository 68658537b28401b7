/**
 * Replaying a dead-letter queue: each message's records go back on the stream exactly as they were
 * (same bytes, so the same envelope id, and the same partition key), so the processor's idempotency
 * skips whatever had already succeeded. A message is deleted only after all its records were
 * accepted by Kinesis; a message whose records left the stream is reported and kept.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { deaggregate } from '../aggregation';
import { RecordPublisher, type PublisherOptions, type RecordOutcome, type StreamTarget } from '../record-publisher';
import type { DlqMessage } from './dlq-queue';
import { deleteMessage, release } from './dlq-queue';
import { readRecordAt, readSequenceRange, type StreamRef } from './stream-reader';

export interface ReplayRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** Where it was in the stream. */
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber?: number;
}

export type ReplayPlan =
  | { readonly message: DlqMessage; readonly status: 'ready'; readonly records: readonly ReplayRecord[] }
  | { readonly message: DlqMessage; readonly status: 'expired' | 'unreplayable'; readonly records: readonly ReplayRecord[]; readonly problem: string };

/** Works out which records a message stands for, reading them back from the stream when needed. */
export async function planReplay(kinesis: KinesisClient, message: DlqMessage): Promise<ReplayPlan> {
  const body = message.body;
  if (body.kind === 'unknown') return { message, status: 'unreplayable', records: [], problem: body.problem };
  if (body.kind === 'poison-record') {
    const r = body.poison.record;
    const origin = { shardId: r.shardId, sequenceNumber: r.sequenceNumber, subSequenceNumber: r.subSequenceNumber };
    if (r.data !== undefined) return { message, status: 'ready', records: [{ ...origin, partitionKey: r.partitionKey, data: Buffer.from(r.data, 'base64') }] };
    // The data did not fit in the SQS message: read it from the stream.
    const read = await readRecordAt(kinesis, { streamArn: r.eventSourceARN }, r.shardId, r.sequenceNumber);
    if (!read.complete) return { message, status: 'expired', records: [], problem: read.problem };
    const outer = read.records[0]!;
    const users = deaggregate(outer.partitionKey, outer.data);
    const user = r.subSequenceNumber === undefined ? users[0] : users[r.subSequenceNumber];
    if (!user) return { message, status: 'unreplayable', records: [], problem: `no user record ${r.subSequenceNumber} in the aggregate at ${r.sequenceNumber}` };
    return { message, status: 'ready', records: [{ ...origin, partitionKey: user.partitionKey, data: user.data }] };
  }
  const info = body.onFailure.KinesisBatchInfo;
  const read = await readSequenceRange(kinesis, { streamArn: info.streamArn }, info.shardId, info.startSequenceNumber, info.endSequenceNumber, info.batchSize);
  // Outer records are put back as they were: a KPL aggregate stays one aggregate.
  const records = read.records.map((s) => ({ partitionKey: s.partitionKey, data: s.data, shardId: s.shardId, sequenceNumber: s.sequenceNumber }));
  if (!read.complete) return { message, status: 'expired', records, problem: read.problem };
  return { message, status: 'ready', records };
}

export type ReplayOutcome = 'replayed' | 'would-replay' | 'kept-expired' | 'kept-unreplayable' | 'kept-failed';

export interface ReplayResult {
  readonly plan: ReplayPlan;
  readonly outcome: ReplayOutcome;
  readonly problem?: string;
}

export interface ReplayDeps {
  readonly kinesis: KinesisClient;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Where records are put back: the pipeline's stream. */
  readonly stream: StreamTarget & StreamRef;
}

export interface ReplayOptions {
  readonly dryRun?: boolean;
  /** Producer tuning (retries, concurrency). */
  readonly publisher?: Omit<PublisherOptions<ReplayRecord>, 'stream' | 'client' | 'aggregation'>;
  /** Called as each message is settled, for progress output. */
  readonly onResult?: (result: ReplayResult) => void;
}

/**
 * Replays received (hidden) messages. Deletes each message once all its records were acknowledged;
 * makes every other message visible again. Resolves with one result per message, in order.
 */
export async function replayMessages(deps: ReplayDeps, messages: readonly DlqMessage[], options: ReplayOptions = {}): Promise<ReplayResult[]> {
  const publisher = new RecordPublisher<ReplayRecord>({ ...options.publisher, stream: deps.stream, client: deps.kinesis });
  const pending: Array<Promise<ReplayResult>> = [];
  const keep: DlqMessage[] = [];
  for (const message of messages) {
    const plan = await planReplay(deps.kinesis, message);
    if (plan.status !== 'ready' || options.dryRun) {
      keep.push(message);
      const outcome: ReplayOutcome = plan.status === 'ready' ? 'would-replay' : plan.status === 'expired' ? 'kept-expired' : 'kept-unreplayable';
      const result: ReplayResult = { plan, outcome, ...(plan.status !== 'ready' ? { problem: plan.problem } : {}) };
      options.onResult?.(result);
      pending.push(Promise.resolve(result));
      continue;
    }
    const outcomes: Array<Promise<RecordOutcome>> = [];
    for (const record of plan.records) outcomes.push((await publisher.put({ partitionKey: record.partitionKey, data: record.data, item: record })).outcome);
    pending.push(
      Promise.all(outcomes).then(async (settled): Promise<ReplayResult> => {
        const failed = settled.find((o): o is Extract<RecordOutcome, { ok: false }> => !o.ok);
        let result: ReplayResult;
        if (failed) {
          keep.push(message);
          result = { plan, outcome: 'kept-failed', problem: `${settled.filter((o) => !o.ok).length} of ${settled.length} record(s) not accepted: ${failed.reason}` };
        } else {
          try {
            await deleteMessage(deps.sqs, deps.queueUrl, message);
            result = { plan, outcome: 'replayed' };
          } catch (error) {
            // The records are back on the stream; replaying the message again is harmless (idempotency).
            result = { plan, outcome: 'kept-failed', problem: `records replayed, but the message could not be deleted: ${(error as Error).message}` };
          }
        }
        options.onResult?.(result);
        return result;
      }),
    );
  }
  await publisher.flush().catch(() => undefined); // failures are reported per message above
  const results = await Promise.all(pending);
  await release(deps.sqs, deps.queueUrl, keep);
  return results;
}
