/**
 * A scenario made real for one execution: the RUN marker replaced by a fresh token, time
 * placeholders by times around the execution's clock, KPL aggregates encoded, and every user record
 * given its stream position (one shard, sequence numbers increasing across batches).
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { kinesisRecord, nextSequenceNumber, SHARD_ID } from '../../processor/support/events';
import { textOf } from './json-text';
import { corrupt, encodeAggregate } from './kpl';
import { PoisonReason } from '../../../lambdas/shared/dlq-message';
import { isEvent, poison, RUN, TIME_PLACEHOLDER_PATTERN, type Expectation, type Payload, type RecordPlan, type Redelivery, type Scenario, type UserPlan } from './plan';

/** The fields of a CloudEvent the oracle reads, as JSON.parse reads the record's bytes. */
export interface SentEvent {
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject?: string;
  readonly time?: string;
  readonly data?: unknown;
  /** `source#id`, the idempotency key. */
  readonly key: string;
}

/** A user record made real, before the stream gives it a position. */
export interface PlannedUser {
  readonly label: string;
  readonly expect: Expectation;
  /** The user record's partition key; undefined when a KPL record names a key its aggregate lacks. */
  readonly partitionKey: string | undefined;
  readonly bytes: Buffer;
  /** Position inside a KPL aggregate. */
  readonly subSequenceNumber?: number;
  /** Set for records the contract says are valid CloudEvents: valid, duplicate, and poison the processor can only find in an event (its type, time, data). */
  readonly event?: SentEvent;
}

/** One Kinesis record to put: its partition key, its bytes, the user records it carries. */
export interface PlannedRecord {
  readonly partitionKey: string;
  readonly data: Buffer;
  readonly users: readonly PlannedUser[];
}

export interface SentUser extends PlannedUser {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly arrivalMs: number;
  readonly batch: number;
}

/** The user records of `record` at the position the stream gave it. */
export function placed(record: PlannedRecord, at: { shardId: string; sequenceNumber: string; arrivalMs: number; batch: number }): SentUser[] {
  return record.users.map((user) => ({ ...user, ...at }));
}

export interface SentBatch {
  readonly records: readonly KinesisStreamRecord[];
  readonly users: readonly SentUser[];
  readonly redeliveries: readonly Redelivery[];
}

/** shard / sequence number / sub-sequence number: where a user record sits in the stream. */
export const positionOf = (p: { shardId: string; sequenceNumber: string; subSequenceNumber?: number | undefined }): string =>
  `${p.shardId}/${p.sequenceNumber}/${p.subSequenceNumber ?? '-'}`;

/** `@T…@`: the same instant written with a +05:30 offset and nanoseconds (valid RFC 3339). */
function withOffset(ms: number): string {
  const shifted = new Date(ms + 330 * 60_000).toISOString();
  return `${shifted.slice(0, 23)}000000+05:30`;
}

export class Materializer {
  constructor(
    private readonly token: string,
    private readonly nowMs: number,
  ) {}

  text(template: string): string {
    return template.replaceAll(RUN, this.token).replace(TIME_PLACEHOLDER_PATTERN, (_, offset: string) => new Date(this.nowMs + Number(offset)).toISOString()).replace(/@T([+-]\d+)@/g, (_, offset: string) => withOffset(this.nowMs + Number(offset)));
  }

  bytes(payload: Payload): Buffer {
    if ('hex' in payload) return Buffer.from(payload.hex, 'hex');
    if ('text' in payload) return Buffer.from(this.text(textOf(payload.text)));
    const full = Buffer.from(this.text(textOf(payload.truncated)));
    return full.subarray(0, Math.floor(payload.keepFraction * full.length));
  }

  /** The event the bytes carry, for records the contract calls events. */
  event(user: UserPlan, bytes: Buffer): SentEvent | undefined {
    if (!isEvent(user.expect)) return undefined;
    const parsed = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.id !== 'string' || typeof parsed.source !== 'string' || typeof parsed.type !== 'string') {
      throw new Error(`generator bug: "${user.label}" is expected to be an event but is not one`);
    }
    const { id, source, type, subject, time, data } = parsed as { id: string; source: string; type: string; subject?: string; time?: string; data?: unknown };
    return { id, source, type, ...(subject !== undefined ? { subject } : {}), ...(time !== undefined ? { time } : {}), ...(data !== undefined ? { data } : {}), key: `${source}#${id}` };
  }

  /** One Kinesis record of the plan: KPL aggregates encoded (and corrupted), placeholders replaced. */
  record(plan: RecordPlan): PlannedRecord {
    const planned = (user: UserPlan, bytes: Buffer, partitionKey: string | undefined, subSequenceNumber?: number): PlannedUser => {
      const event = this.event(user, bytes);
      return { label: user.label, expect: user.expect, partitionKey, bytes, ...(subSequenceNumber !== undefined ? { subSequenceNumber } : {}), ...(event ? { event } : {}) };
    };
    if (plan.kind === 'plain') {
      const partitionKey = this.text(plan.user.partitionKey);
      const data = this.bytes(plan.user.payload);
      return { partitionKey, data, users: [planned(plan.user, data, partitionKey)] };
    }
    const good = plan.users.filter((u) => !('missingKey' in u && u.missingKey));
    const lost = plan.users.filter((u) => 'missingKey' in u && u.missingKey);
    const goodBytes = good.map((u) => ({ partitionKey: this.text(u.partitionKey), data: this.bytes(u.payload) }));
    const lostBytes = lost.map((u) => this.bytes(u.payload));
    const aggregate = encodeAggregate(goodBytes, lostBytes);
    if (plan.kind === 'corrupt-aggregate') {
      const data = corrupt(aggregate.data, plan.corruption);
      const whole: UserPlan = { label: `kpl/${plan.corruption} corrupted aggregate of ${plan.users.length}`, partitionKey: aggregate.partitionKey, payload: { hex: '' }, expect: poison(PoisonReason.Undecodable) };
      return { partitionKey: aggregate.partitionKey, data, users: [planned(whole, data, aggregate.partitionKey)] };
    }
    return {
      partitionKey: aggregate.partitionKey,
      data: aggregate.data,
      users: [
        ...good.map((u, j) => planned({ ...u, label: `kpl/${u.label}` }, goodBytes[j]!.data, goodBytes[j]!.partitionKey, j)),
        ...lost.map((u, j) => planned(u, lostBytes[j]!, undefined, good.length + j)),
      ],
    };
  }

  /** The scenario's batches on one shard, sequence numbers increasing across batches. */
  scenario(scenario: Scenario): SentBatch[] {
    return scenario.batches.map((batch, b) => {
      const records: KinesisStreamRecord[] = [];
      const users: SentUser[] = [];
      for (const plan of batch.records) {
        const record = this.record(plan);
        const sequenceNumber = nextSequenceNumber();
        records.push(kinesisRecord({ data: record.data, partitionKey: record.partitionKey, sequenceNumber, arrivalMs: this.nowMs }));
        users.push(...placed(record, { shardId: SHARD_ID, sequenceNumber, arrivalMs: this.nowMs, batch: b }));
      }
      return { records, users, redeliveries: batch.redeliveries };
    });
  }
}
