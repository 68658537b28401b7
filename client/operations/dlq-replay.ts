/**
 * Replaying a dead-letter queue: each message's records go back on the stream exactly as they were
 * (same bytes, so the same envelope id, and the same partition key), so the processor's idempotency
 * skips whatever had already succeeded. A message is deleted only after all its records were
 * accepted by Kinesis; a message whose records left the stream is reported and kept.
 *
 * Each record goes back once per replay, however many messages stand for it: a poison record
 * dead-lettered again on a retry, an on-failure range sent twice or overlapping another, a poison
 * record inside a range that gave up. See `assignRecords`.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { MAX_PARTITION_KEY_LENGTH, MAX_RECORD_BYTES } from '../../lambdas/shared/envelope';
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

/**
 * Why Kinesis would refuse a record a poison message describes (it says what it likes: a hostile or
 * corrupted message must not make a PutRecords call fail for the records batched with it).
 */
function unputtable(record: ReplayRecord): string | undefined {
  const keyLength = [...record.partitionKey].length;
  if (keyLength < 1 || keyLength > MAX_PARTITION_KEY_LENGTH) return `the partition key is ${keyLength} characters long; Kinesis takes 1 to ${MAX_PARTITION_KEY_LENGTH}`;
  const size = record.data.byteLength + Buffer.byteLength(record.partitionKey);
  if (size > MAX_RECORD_BYTES) return `the record is ${size} bytes with its partition key; Kinesis takes at most ${MAX_RECORD_BYTES}`;
  return undefined;
}

/** Works out which records a message stands for, reading them back from the stream when needed. */
export async function planReplay(kinesis: KinesisClient, message: DlqMessage): Promise<ReplayPlan> {
  const plan = await planMessage(kinesis, message);
  if (plan.status !== 'ready' || message.body.kind !== 'poison-record') return plan;
  const problem = plan.records.map(unputtable).find((p) => p !== undefined);
  return problem === undefined ? plan : { message, status: 'unreplayable', records: plan.records, problem };
}

async function planMessage(kinesis: KinesisClient, message: DlqMessage): Promise<ReplayPlan> {
  const body = message.body;
  if (body.kind === 'unrecognised') return { message, status: 'unreplayable', records: [], problem: body.problem };
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
  /** Records of this message that an earlier message of the same replay puts back: skipped here. */
  readonly duplicates: number;
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

/** A stream record (for a KPL aggregate: the whole aggregate). */
const streamRecordId = (r: ReplayRecord): string => `${r.shardId}/${r.sequenceNumber}`;
/** A user record: the stream record, or one user record inside an aggregate. */
const userRecordId = (r: ReplayRecord): string => (r.subSequenceNumber === undefined ? streamRecordId(r) : `${streamRecordId(r)}/${r.subSequenceNumber}`);

/** Which records of a ready plan it puts itself, and which records (its own or another's) it waits for. */
export interface RecordAssignment {
  /** Records this message puts back, with their ids. */
  readonly owned: ReadonlyArray<{ readonly id: string; readonly record: ReplayRecord }>;
  /** Every record this message stands for, by id: deleted once all of them were accepted. */
  readonly waitsFor: readonly string[];
  /** Records put back by an earlier message instead. */
  readonly duplicates: number;
}

/**
 * Gives each record to one message. On-failure ranges first, by stream record (shard + sequence
 * number): overlapping or repeated ranges put each stream record once, and an aggregate goes back
 * whole. Then poison records, by shard + sequence number + sub-sequence number: a copy, or a record a
 * range already puts back (the whole stream record, or the aggregate it is inside), is a duplicate.
 * Plans that are not ready own nothing.
 */
export function assignRecords(plans: readonly ReplayPlan[]): Array<RecordAssignment | undefined> {
  const owners = new Set<string>();
  const fromRanges = new Set<string>();
  const assignments: Array<RecordAssignment | undefined> = plans.map(() => undefined);
  const assign = (index: number, isDuplicate: (r: ReplayRecord) => string | undefined, claim: (r: ReplayRecord) => string): void => {
    const owned: Array<{ id: string; record: ReplayRecord }> = [];
    const waitsFor: string[] = [];
    let duplicates = 0;
    for (const record of plans[index]!.records) {
      const duplicateOf = isDuplicate(record);
      if (duplicateOf !== undefined) {
        duplicates++;
        waitsFor.push(duplicateOf);
        continue;
      }
      const id = claim(record);
      owned.push({ id, record });
      waitsFor.push(id);
    }
    assignments[index] = { owned, waitsFor, duplicates };
  };
  plans.forEach((plan, i) => {
    if (plan.status !== 'ready' || plan.message.body.kind !== 'on-failure') return;
    assign(
      i,
      (r) => (owners.has(streamRecordId(r)) ? streamRecordId(r) : undefined),
      (r) => {
        owners.add(streamRecordId(r));
        fromRanges.add(streamRecordId(r));
        return streamRecordId(r);
      },
    );
  });
  plans.forEach((plan, i) => {
    if (plan.status !== 'ready' || plan.message.body.kind !== 'poison-record') return;
    assign(
      i,
      (r) => (fromRanges.has(streamRecordId(r)) ? streamRecordId(r) : owners.has(userRecordId(r)) ? userRecordId(r) : undefined),
      (r) => {
        owners.add(userRecordId(r));
        return userRecordId(r);
      },
    );
  });
  return assignments;
}

const settledOutcome = (plan: ReplayPlan, dryRun: boolean): ReplayOutcome =>
  plan.status === 'ready' ? (dryRun ? 'would-replay' : 'replayed') : plan.status === 'expired' ? 'kept-expired' : 'kept-unreplayable';

/**
 * Replays received (hidden) messages. Deletes each message once all its records were acknowledged
 * (a duplicate's once the message that puts them back had them acknowledged); makes every other
 * message visible again. Resolves with one result per message, in order.
 */
export async function replayMessages(deps: ReplayDeps, messages: readonly DlqMessage[], options: ReplayOptions = {}): Promise<ReplayResult[]> {
  const plans: ReplayPlan[] = [];
  for (const message of messages) plans.push(await planReplay(deps.kinesis, message));
  const assignments = assignRecords(plans);
  const dryRun = options.dryRun ?? false;
  const keep: DlqMessage[] = [];
  const early = (plan: ReplayPlan, duplicates: number): ReplayResult => {
    keep.push(plan.message);
    const result: ReplayResult = { plan, outcome: settledOutcome(plan, dryRun), duplicates, ...(plan.status !== 'ready' ? { problem: plan.problem } : {}) };
    options.onResult?.(result);
    return result;
  };
  if (dryRun) return finish(deps, plans.map((plan, i) => early(plan, assignments[i]?.duplicates ?? 0)), keep);

  const publisher = new RecordPublisher<ReplayRecord>({ ...options.publisher, stream: deps.stream, client: deps.kinesis });
  // Every owned record is put first (in message order), so a duplicate can wait for a later message's put.
  const accepted = new Map<string, Promise<RecordOutcome>>();
  for (let i = 0; i < plans.length; i++) {
    for (const { id, record } of assignments[i]?.owned ?? []) {
      accepted.set(id, (await publisher.put({ partitionKey: record.partitionKey, data: record.data, item: record })).outcome);
    }
  }
  const pending = plans.map(async (plan, i): Promise<ReplayResult> => {
    const assignment = assignments[i];
    if (!assignment) return early(plan, 0);
    const settled = await Promise.all(assignment.waitsFor.map((id) => accepted.get(id)!));
    const failed = settled.filter((o): o is Extract<RecordOutcome, { ok: false }> => !o.ok);
    let result: ReplayResult;
    if (failed.length > 0) {
      keep.push(plan.message);
      result = { plan, outcome: 'kept-failed', duplicates: assignment.duplicates, problem: `${failed.length} of ${settled.length} record(s) not accepted: ${failed[0]!.reason}` };
    } else {
      try {
        await deleteMessage(deps.sqs, deps.queueUrl, plan.message);
        result = { plan, outcome: 'replayed', duplicates: assignment.duplicates };
      } catch (error) {
        // The records are back on the stream; replaying the message again is harmless (idempotency).
        result = { plan, outcome: 'kept-failed', duplicates: assignment.duplicates, problem: `records replayed, but the message could not be deleted: ${(error as Error).message}` };
      }
    }
    options.onResult?.(result);
    return result;
  });
  await publisher.flush().catch(() => undefined); // failures are reported per message above
  return finish(deps, await Promise.all(pending), keep);
}

async function finish(deps: ReplayDeps, results: ReplayResult[], keep: readonly DlqMessage[]): Promise<ReplayResult[]> {
  await release(deps.sqs, deps.queueUrl, keep);
  return results;
}

/** Records a replay puts back (or would): each record once, duplicates not counted. */
export function recordsPutBack(results: readonly ReplayResult[]): number {
  return results.filter((r) => r.outcome === 'replayed' || r.outcome === 'would-replay').reduce((n, r) => n + r.plan.records.length - r.duplicates, 0);
}

/** Records skipped because another message of the replay puts them back. */
export function duplicatesSkipped(results: readonly ReplayResult[]): number {
  return results.reduce((n, r) => n + (r.outcome === 'replayed' || r.outcome === 'would-replay' ? r.duplicates : 0), 0);
}
