/**
 * What the producer side of the scenario put, event by event: the ground truth the reconciliation
 * compares the pipeline's tables, alerts and dead-letter queue against.
 */
import { idempotencyKeyOf, type CloudEvent } from '../../lambdas/shared/envelope';
import type { RecordOutcome } from '../../client';
import type { PoisonKind, PoisonRecord } from '../workloads/poison-records';

/**
 * How an injected event is marked (../workloads/workload.ts INJECTIONS):
 *  - `duplicate`: the same event (same source and id) put again, as a producer retry would;
 *  - `out-of-order`: put right after a newer event of the same key;
 *  - `late`: put seconds after newer events of the same key were put.
 */
export type Injection = 'duplicate' | 'out-of-order' | 'late';

export interface LedgerEvent {
  readonly pipeline: string;
  readonly event: CloudEvent;
  readonly idempotencyKey: string;
  readonly injected?: Injection;
  /** Order in which the scenario handed events to the producer (per-key order follows it). */
  readonly sendIndex: number;
  /** Epoch ms when handed to the producer. */
  readonly sentAt: number;
  /** Kinesis' answer, once the producer settled it. */
  outcome?: RecordOutcome;
}

export interface LedgerPoison {
  readonly pipeline: string;
  readonly record: PoisonRecord;
  readonly sentAt: number;
  outcome?: RecordOutcome;
}

export class Ledger {
  readonly events: LedgerEvent[] = [];
  readonly poison: LedgerPoison[] = [];

  addEvent(pipeline: string, event: CloudEvent, injected?: Injection): LedgerEvent {
    const entry: LedgerEvent = { pipeline, event, idempotencyKey: idempotencyKeyOf(event), injected, sendIndex: this.events.length, sentAt: Date.now() };
    this.events.push(entry);
    return entry;
  }

  addPoison(pipeline: string, record: PoisonRecord): LedgerPoison {
    const entry: LedgerPoison = { pipeline, record, sentAt: Date.now() };
    this.poison.push(entry);
    return entry;
  }

  /** Records accepted by Kinesis, per pipeline: valid events (duplicates included) and poison. */
  putCount(pipeline?: string): number {
    const ok = (e: { pipeline: string; outcome?: RecordOutcome }): boolean => e.outcome?.ok === true && (pipeline === undefined || e.pipeline === pipeline);
    return this.events.filter(ok).length + this.poison.filter(ok).length;
  }

  poisonKinds(pipeline: string): PoisonKind[] {
    return this.poison.filter((p) => p.pipeline === pipeline).map((p) => p.record.kind);
  }
}
