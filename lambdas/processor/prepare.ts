/**
 * The checks every record passes before anything is read or written: decodable, a valid envelope, a
 * type the action handles, an event time the processor's clock can believe. A record that fails one is
 * poison from the start; a repeat of an earlier record's idempotency key is a duplicate of that record,
 * whatever becomes of it (applied, or dead-lettered: the DLQ then holds the event once).
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { handlesType, type Action } from '../actions/action';
import { PoisonReason } from '../shared/dlq-message';
import type { CloudEvent } from '../shared/envelope';
import { idempotencyStorageKey } from '../shared/tables';
import { decodeBatch } from './records';
import { WorkItem, type Poison } from './work-item';

export interface PrepareOptions {
  /** The processor's clock at the start of the batch, epoch ms. */
  readonly nowMs: number;
  readonly clockSkewAllowanceSeconds: number;
}

/**
 * Why an event dated in the future cannot be trusted, or undefined. Beyond the allowance the event is
 * refused rather than applied: ordered by a time no other event can reach, it would make every later,
 * correctly dated event of its entity stale until the clock catches up.
 */
export function futureTimeProblem(event: CloudEvent, options: PrepareOptions): string | undefined {
  if (event.time === undefined) return undefined;
  const aheadMs = Date.parse(event.time) - options.nowMs;
  if (aheadMs <= options.clockSkewAllowanceSeconds * 1000) return undefined;
  return `event time ${event.time} is ${Math.round(aheadMs / 1000)} s ahead of the processor's clock (allowance ${options.clockSkewAllowanceSeconds} s): check the producer's clock, then replay it`;
}

/** Why a valid event is poison before the action sees it, or undefined. */
function poisonAtStart(event: CloudEvent, action: Action, options: PrepareOptions): Poison | undefined {
  if (!handlesType(action, event.type)) return { reason: PoisonReason.UnknownType, error: `event type "${event.type.slice(0, 200)}" is not handled by this pipeline's action` };
  const future = futureTimeProblem(event, options);
  return future === undefined ? undefined : { reason: PoisonReason.TimeInFuture, error: future };
}

export function prepareBatch(records: readonly KinesisStreamRecord[], action: Action, options: PrepareOptions): WorkItem[] {
  const firstByKey = new Map<string, WorkItem>();
  return decodeBatch(records).map((record) => {
    if (!record.ok) {
      const item = new WorkItem(record, undefined);
      item.markPoison({ reason: record.reason, error: record.error });
      return item;
    }
    const key = idempotencyStorageKey(record.idempotencyKey);
    const first = firstByKey.get(key);
    const item = new WorkItem(record, key, first);
    if (first) {
      item.markDuplicate();
      return item;
    }
    firstByKey.set(key, item);
    const poison = poisonAtStart(record.event, action, options);
    if (poison) item.markPoison(poison);
    return item;
  });
}
