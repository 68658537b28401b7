/**
 * What `tail` and `dlq show` print for a stream record: one view per user record (a KPL aggregate
 * gives several), the envelope decoded when it is a valid one, else why not and the bytes, all of it
 * bounded by ./render.ts whatever the record holds.
 */
import { deaggregate } from '../aggregation';
import { decodeEnvelope } from '../../lambdas/shared/envelope';
import { boundId, boundString, boundValue, bytesSummary, bytesView, DEFAULT_LIMITS, MAX_BASE64_BYTES, MAX_ID_CHARS, renderBound, safeJson, safeText, type Bounded, type BytesView, type RenderLimits } from './render';
import type { StoredRecord } from './stream-reader';

export interface RecordView {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber?: number;
  readonly partitionKey: string;
  readonly arrival?: string;
  /** The decoded envelope, bounded, when the record is a valid one. */
  readonly event?: Bounded;
  /** Why the record is not a valid envelope (a future poison record), with its bytes. */
  readonly invalid?: { readonly reason: string } & BytesView;
}

/**
 * The most characters one record view prints as compact JSON (`tail --json`, one line): its three
 * identifiers, and the bounded envelope or the reason, text and base64 of an invalid record (every
 * character escaped to at most 6). With the default limits about 28 KiB. A person's line
 * (formatRecordLine) is shorter.
 */
export function recordViewBound(limits: RenderLimits = DEFAULT_LIMITS): number {
  const invalid = 2 * 6 * limits.maxStringChars + Math.ceil(MAX_BASE64_BYTES / 3) * 4 + 128;
  return Math.max(renderBound(limits), invalid) + 3 * 6 * MAX_ID_CHARS + 512;
}

/** One view per user record of a stream record (read by `tail`, or back for a DLQ message); never throws, whatever the bytes. */
export function viewRecord(record: Pick<StoredRecord, 'shardId' | 'sequenceNumber' | 'partitionKey' | 'data' | 'arrival'>): RecordView[] {
  const base = { shardId: boundId(record.shardId), sequenceNumber: boundId(record.sequenceNumber), arrival: record.arrival?.toISOString() };
  let users;
  try {
    users = deaggregate(record.partitionKey, record.data);
  } catch (error) {
    return [{ ...base, partitionKey: boundId(record.partitionKey), invalid: { reason: boundString(String((error as Error).message)), ...bytesView(record.data) } }];
  }
  return users.map((user) => {
    const position = { ...base, partitionKey: boundId(user.partitionKey), ...(user.subSequenceNumber !== undefined ? { subSequenceNumber: user.subSequenceNumber } : {}) };
    const decoded = decodeEnvelope(user.data);
    return decoded.ok ? { ...position, event: boundValue(decoded.event) } : { ...position, invalid: { reason: boundString(decoded.reason), ...bytesView(user.data) } };
  });
}

function field(event: Bounded | undefined, name: string): string {
  const value = typeof event === 'object' && event !== null && !Array.isArray(event) ? event[name] : undefined;
  return value === undefined ? '-' : safeText(typeof value === 'string' ? value : safeJson(value), 200);
}

/** One terminal line for a person: position, time, partition key, type, id and data; or the reason and bytes of an invalid record. */
export function formatRecordLine(view: RecordView): string {
  const where = `${safeText(view.shardId.replace('shardId-', ''), 40)}/${safeText(view.sequenceNumber.slice(-8), 8)}${view.subSequenceNumber !== undefined ? `.${view.subSequenceNumber}` : ''}`;
  const key = safeText(view.partitionKey, 256);
  if (view.invalid) return `${where}  ${key}  INVALID: ${safeText(view.invalid.reason, 300)}  data: ${bytesSummary(view.invalid)}`;
  const event = view.event;
  const data = typeof event === 'object' && event !== null && !Array.isArray(event) ? event.data : undefined;
  return `${where}  ${field(event, 'time')}  ${key}  ${field(event, 'type')}  ${field(event, 'id')}  ${safeJson(data ?? null)}`;
}
