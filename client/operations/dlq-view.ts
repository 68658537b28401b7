/**
 * What a person or a script is shown of a dead-letter queue message (`dlq list`, `dlq show`): a typed
 * view of each kind, every field taken from the message bounded by ./render.ts, so a hostile body
 * (deeply nested, huge, binary, escape sequences) is shown, never a crash.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { decodeEnvelope } from '../../lambdas/shared/envelope';
import { expiresAt } from './dlq-messages';
import type { DlqMessage } from './dlq-queue';
import { planReplay, type ReplayResult } from './dlq-replay';
import { recordViewBound, viewRecord, type RecordView } from './record-view';
import { boundId, boundString, boundValue, bytesView, DEFAULT_LIMITS, MAX_ID_CHARS, type Bounded, type BytesView } from './render';

interface ViewCommon {
  readonly messageId: string;
  /** When SQS received it (ISO 8601). */
  readonly sentAt: string | null;
  readonly receiveCount: number;
}

/** Until when the records a message stands for can be read back from the stream. */
interface Retention {
  /** null: unknown, or not needed (the payload is stored in the message). */
  readonly expiresAt: string | null;
  /** null: unknown (no arrival time in the message). */
  readonly withinRetention: boolean | null;
}

/** The payload of a poison record: the decoded envelope, else why it is invalid and its text (UTF-8) or bytes. */
export type PoisonPayload = Bounded | ({ readonly invalid: string; readonly text: string }) | ({ readonly invalid: string } & BytesView);

export interface PoisonRecordView extends ViewCommon, Retention {
  readonly kind: 'poison-record';
  readonly reason: string;
  readonly error: string;
  readonly pipeline: string;
  readonly deadLetteredAt: string;
  readonly partitionKey: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber?: number;
  readonly arrival: string;
  readonly event: { readonly id: string; readonly source: string; readonly type: string } | null;
  readonly payloadStored: boolean;
  /** null when the payload did not fit in the message (read it back with `dlq show`'s replay plan). */
  readonly payload: PoisonPayload | null;
}

export interface OnFailureView extends ViewCommon, Retention {
  readonly kind: 'on-failure';
  readonly condition: string;
  readonly functionArn: string | null;
  readonly approximateInvokeCount: number | null;
  readonly functionError: string | null;
  readonly failedAt: string | null;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number;
  readonly firstArrival: string | null;
  readonly lastArrival: string | null;
  readonly streamArn: string;
}

export interface UnrecognisedView extends ViewCommon {
  readonly kind: 'unrecognised';
  readonly problem: string;
  /** The start of the body, as text. */
  readonly body: string;
}

export type DlqMessageView = PoisonRecordView | OnFailureView | UnrecognisedView;

/** Text fields of a view: error messages, problems, the start of an unrecognised body. */
const text = (value: string): string => boundString(value, DEFAULT_LIMITS.maxStringChars);
const id = boundId;
const optionalId = (value: string | null | undefined): string | null => (value === undefined || value === null ? null : id(value));

/**
 * The most characters one message view prints as compact JSON: the payload (a record view's bound),
 * two text fields and at most a dozen identifiers, each character escaped to at most 6. About 70 KiB.
 */
export function messageViewBound(): number {
  return recordViewBound() + 6 * (2 * DEFAULT_LIMITS.maxStringChars + 12 * MAX_ID_CHARS) + 1024;
}

function poisonPayload(data: Uint8Array): PoisonPayload {
  const decoded = decodeEnvelope(data);
  if (decoded.ok) return boundValue(decoded.event);
  const bytes = bytesView(data);
  return bytes.text !== undefined ? { invalid: text(decoded.reason), text: bytes.text } : { invalid: text(decoded.reason), ...bytes };
}

/** The view of one message, without reading the stream. */
export function describeMessage(message: DlqMessage, retentionHours: number, now = new Date()): DlqMessageView {
  const body = message.body;
  const expiry = expiresAt(body, retentionHours);
  const retention: Retention = expiry ? { expiresAt: expiry.toISOString(), withinRetention: expiry > now } : { expiresAt: null, withinRetention: null };
  const common: ViewCommon = { messageId: id(message.messageId), sentAt: message.sentAt?.toISOString() ?? null, receiveCount: message.receiveCount };
  if (body.kind === 'poison-record') {
    const p = body.poison;
    const data = p.record.data !== undefined ? Buffer.from(p.record.data, 'base64') : undefined;
    return {
      ...common,
      kind: 'poison-record',
      reason: p.reason,
      error: text(p.error),
      pipeline: id(p.pipeline),
      deadLetteredAt: id(p.time),
      partitionKey: id(p.record.partitionKey),
      shardId: id(p.record.shardId),
      sequenceNumber: id(p.record.sequenceNumber),
      ...(p.record.subSequenceNumber !== undefined ? { subSequenceNumber: p.record.subSequenceNumber } : {}),
      arrival: id(p.record.approximateArrivalTimestamp),
      event: p.event ? { id: id(p.event.id), source: id(p.event.source), type: id(p.event.type) } : null,
      payloadStored: data !== undefined,
      payload: data === undefined ? null : poisonPayload(data),
      // With the payload stored in the message, a replay does not need the stream.
      ...(data !== undefined ? { expiresAt: null, withinRetention: true } : retention),
    };
  }
  if (body.kind === 'on-failure') {
    const { requestContext, responseContext, KinesisBatchInfo: info } = body.onFailure;
    return {
      ...common,
      kind: 'on-failure',
      condition: id(requestContext.condition),
      functionArn: optionalId(requestContext.functionArn),
      approximateInvokeCount: requestContext.approximateInvokeCount ?? null,
      functionError: optionalId(responseContext?.functionError),
      failedAt: optionalId(body.onFailure.timestamp),
      shardId: id(info.shardId),
      startSequenceNumber: id(info.startSequenceNumber),
      endSequenceNumber: id(info.endSequenceNumber),
      batchSize: info.batchSize,
      firstArrival: optionalId(info.approximateArrivalOfFirstRecord),
      lastArrival: optionalId(info.approximateArrivalOfLastRecord),
      streamArn: id(info.streamArn),
      ...retention,
    };
  }
  return { ...common, kind: 'unrecognised', problem: body.problem, body: text(message.raw) };
}

/** `dlq show`: the view, and for an on-failure message its records read back from the stream. */
export interface MessageDetail {
  readonly view: DlqMessageView;
  /** On-failure messages: whether the whole range is still in the stream, and if not why. */
  readonly readable?: boolean;
  readonly problem?: string;
  /** On-failure messages: the first `maxRecords` user records of the range. */
  readonly records?: readonly RecordView[];
}

export async function showMessage(kinesis: KinesisClient, message: DlqMessage, retentionHours: number, maxRecords: number): Promise<MessageDetail> {
  const view = describeMessage(message, retentionHours);
  if (message.body.kind !== 'on-failure') return { view };
  const plan = await planReplay(kinesis, message);
  // A KPL aggregate holds several user records: view no more outer records than user records wanted.
  const records = plan.records.slice(0, maxRecords).flatMap((r) => viewRecord(r)).slice(0, maxRecords);
  return { view, readable: plan.status === 'ready', ...(plan.status !== 'ready' ? { problem: text(plan.problem) } : {}), records };
}

/** One message's replay, for `dlq replay --json`. */
export interface ReplayResultView {
  readonly messageId: string;
  readonly kind: DlqMessage['body']['kind'];
  readonly outcome: ReplayResult['outcome'];
  /** Records the message stands for. */
  readonly records: number;
  /** Of those, put back by another message of the same replay (skipped here). */
  readonly duplicates: number;
  readonly problem: string | null;
  readonly recordsDetail: ReadonlyArray<{ readonly partitionKey: string; readonly shardId: string; readonly sequenceNumber: string; readonly eventId: string | null }>;
}

export function replayResultView(result: ReplayResult): ReplayResultView {
  return {
    messageId: id(result.plan.message.messageId),
    kind: result.plan.message.body.kind,
    outcome: result.outcome,
    records: result.plan.records.length,
    duplicates: result.duplicates,
    problem: result.problem === undefined ? null : text(result.problem),
    recordsDetail: result.plan.records.map((r) => {
      const decoded = decodeEnvelope(r.data);
      return { partitionKey: id(r.partitionKey), shardId: id(r.shardId), sequenceNumber: id(r.sequenceNumber), eventId: decoded.ok ? id(decoded.event.id) : null };
    }),
  };
}
