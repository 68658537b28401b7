/**
 * One user record of a batch and its lifecycle. Every transition is a method here, and each checks
 * that it starts from a state that allows it, so no other module assigns an outcome:
 *
 *   open ──markDuplicate──▶ duplicate
 *   open ──done──▶ processed | stale
 *   open ──markPoison──▶ poison pending ──deadLettered──▶ poison
 *   open | poison pending ──fail──▶ failed        (reported as a batch item failure)
 */
import type { ActionEvent } from '../actions/action';
import type { PoisonReason } from '../shared/dlq-message';
import type { CloudEvent } from '../shared/envelope';
import type { DecodedRecord, UserRecord } from './records';

export type Outcome = 'processed' | 'stale' | 'duplicate' | 'poison' | 'failed';

export interface Poison {
  readonly reason: PoisonReason;
  /** What exactly was wrong: field-level reasons, the action's or the store's message. */
  readonly error: string;
}

export class WorkItem {
  private finalOutcome: Outcome | undefined;
  private pendingPoison: Poison | undefined;
  private deadLetteredPoison: Poison | undefined;
  private reason: string | undefined;
  private committedAtMs: number | undefined;

  /**
   * @param storageKey the idempotency key as stored; undefined for records that are not valid events.
   * @param duplicateOf an earlier record of this batch with the same idempotency key.
   */
  constructor(
    readonly record: DecodedRecord,
    readonly storageKey: string | undefined,
    readonly duplicateOf: WorkItem | undefined = undefined,
  ) {}

  get outcome(): Outcome | undefined {
    return this.finalOutcome;
  }

  /** Why it failed or is poison (never the payload). */
  get error(): string | undefined {
    return this.reason;
  }

  /** Poison waiting for the dead-letter queue. */
  get poison(): Poison | undefined {
    return this.pendingPoison;
  }

  /** Why the record is on the DLQ, once it is. */
  get deadLetteredAs(): Poison | undefined {
    return this.deadLetteredPoison;
  }

  /** Epoch ms when the action's effect was committed. */
  get doneAtMs(): number | undefined {
    return this.committedAtMs;
  }

  /** Still waiting for the action: no outcome, no poison waiting for the DLQ. */
  get open(): boolean {
    return this.finalOutcome === undefined && this.pendingPoison === undefined;
  }

  get event(): CloudEvent | undefined {
    return this.record.ok ? this.record.event : undefined;
  }

  actionEvent(): ActionEvent {
    if (!this.record.ok) throw new Error('not a valid event');
    return { event: this.record.event, record: this.record as UserRecord };
  }

  markDuplicate(): void {
    this.expectOpen('markDuplicate');
    this.finalOutcome = 'duplicate';
  }

  done(outcome: 'processed' | 'stale', atMs: number): void {
    this.expectOpen('done');
    this.finalOutcome = outcome;
    this.committedAtMs = atMs;
  }

  markPoison(poison: Poison): void {
    this.expectOpen('markPoison');
    this.pendingPoison = poison;
  }

  /** The poison record is on the dead-letter queue (now, or by an earlier delivery of this batch). */
  deadLettered(): void {
    const poison = this.pendingPoison;
    if (!poison || this.finalOutcome !== undefined) throw new Error(`record ${this.record.sequenceNumber}: deadLettered() without pending poison`);
    this.pendingPoison = undefined;
    this.deadLetteredPoison = poison;
    this.finalOutcome = 'poison';
    this.reason = `${poison.reason}: ${poison.error}`;
  }

  /** Reported as a batch item failure; a poison record waiting for the DLQ is retried instead. */
  fail(error: string): void {
    if (this.finalOutcome !== undefined) throw new Error(`record ${this.record.sequenceNumber}: fail() after outcome ${this.finalOutcome}`);
    this.pendingPoison = undefined;
    this.finalOutcome = 'failed';
    this.reason = error;
  }

  private expectOpen(transition: string): void {
    if (!this.open) throw new Error(`record ${this.record.sequenceNumber}: ${transition}() on a record that is not open (${this.finalOutcome ?? 'poison pending'})`);
  }
}
