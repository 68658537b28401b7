/**
 * The reconciliation: what the producer put (the ledger) against what the pipeline did (idempotency
 * keys, dead-letter queue, and the entities its action keeps), event by event. Pure: the readers in
 * ../aws/stores.ts fetch the observations with the AWS SDK; this module only judges them.
 *
 * Rules:
 *  - every distinct valid event has a COMPLETED idempotency key and is not dead-lettered (else: lost);
 *  - the entities the action keeps (an order's state, an incident's alert) are judged by the pipeline's
 *    workload (../workloads/<action>.ts): one check per entity;
 *  - every poison record is in the DLQ with a reason, matched by shard and sequence number;
 *  - per-key order (newest-wins pipelines): for each entity, the sequence of events applied is the put
 *    order. Checked event by event through each key's recorded outcome (IdempotencyOutcome): under
 *    newest-wins an event is applied exactly when it is newer than every event applied before it, so an
 *    entity's events applied in put order leave PROCESSED on exactly the events expected `applied` and
 *    STALE on the others; an event read after a newer one of its key (a child shard read before its
 *    parent was finished) is kept out as STALE although it was expected to apply, and is named.
 */
import { PoisonReason as PoisonReasons, type PoisonReason, type PoisonRecordMessage } from '../../lambdas/shared/dlq-message';
import { IdempotencyOutcome, IdempotencyStatus } from '../../lambdas/shared/tables';
import type { ActionName } from '../../lib/config';
import type { LedgerEvent, LedgerPoison } from './ledger';
import type { PoisonKind } from '../workloads/poison-records';
import type { ActionKind } from '../../lambdas/shared/actions';
import type { WindowedEvidence } from './windowed-evidence';

/** An event source mapping on-failure record (metadata only). */
export interface OnFailureRecord {
  readonly condition: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number;
}

export interface PipelineObservations {
  /** Idempotency storage key → status. */
  readonly idempotency: ReadonlyMap<string, string>;
  /** Idempotency storage key → the outcome its COMPLETED key records (IdempotencyOutcome), where it records one. */
  readonly outcomes?: ReadonlyMap<string, string>;
  readonly poisonMessages: readonly PoisonRecordMessage[];
  readonly onFailure: readonly OnFailureRecord[];
  /** DLQ bodies that are neither (reported, never ignored). */
  readonly unreadableDlqMessages: readonly string[];
}

/** How the pipeline should have treated an event, from the order the producer put them in. */
export type Expected = 'applied' | 'stale' | 'processed';

/**
 * `unrecorded`: an external action's key still claimed (IN_PROGRESS) although the pipeline reports every
 * event processed: the effect happened and only the completion write failed, the at-least-once window
 * the processor documents for external actions. Not a loss; reported as a caveat.
 */
export type Verdict = 'ok' | 'unrecorded' | 'lost' | 'applied-twice' | 'pending' | 'dead-lettered' | 'not-put' | 'out-of-put-order';

export interface EventRow {
  readonly id: string;
  readonly subject: string;
  /** Injections on this event (`duplicate×2`, `late`...). */
  readonly injected: readonly string[];
  readonly expected: Expected;
  /** What was found: the idempotency status and any DLQ entry. */
  readonly observed: string;
  readonly verdict: Verdict;
}

export interface PoisonRow {
  readonly kind: PoisonKind;
  readonly partitionKey: string;
  readonly sequenceNumber?: string;
  /** The DLQ message's reason and error, when found. */
  readonly reason?: string;
  readonly error?: string;
  readonly ok: boolean;
}

export interface EntityCheck {
  readonly entity: string;
  readonly expected: string;
  readonly observed: string;
  readonly ok: boolean;
}

export interface PipelineReconciliation {
  readonly pipeline: string;
  readonly action: ActionName;
  readonly counts: {
    /** Distinct valid events put. */
    readonly events: number;
    readonly duplicatesInjected: number;
    readonly outOfOrderInjected: number;
    readonly lateInjected: number;
    readonly appliedOnce: number;
    /** Older than the stored state: acknowledged, state kept (orders). */
    readonly staleAcknowledged: number;
    readonly lost: number;
    readonly appliedTwice: number;
    readonly pending: number;
    /** External action: effect done, completion not recorded (key left IN_PROGRESS). */
    readonly completionUnrecorded: number;
    readonly poisonPut: number;
    readonly poisonInDlq: number;
    /** On-failure records in the DLQ: batches the event source mapping gave up (none while dependencies recover). */
    readonly batchesGivenUp: number;
    readonly alertsExpected?: number;
    readonly alertsReceived?: number;
    /**
     * Per-key order, checked event by event (newest-wins pipelines whose keys record their outcome):
     * entities checked, and events whose outcome says they were not applied in put order.
     */
    readonly orderKeysChecked?: number;
    readonly outOfPutOrder?: number;
  };
  readonly events: readonly EventRow[];
  readonly poison: readonly PoisonRow[];
  readonly entities: readonly EntityCheck[];
  /** Every failed check, one line each; empty when the pipeline is reconciled. */
  readonly problems: readonly string[];
  /** What could not be checked on this target, and why (not failures, but limits of the evidence). */
  readonly caveats: readonly string[];
  /** Epoch ms until which the judgement is expected to change without new events (windows waiting to close): the drain waits for it. */
  readonly waitUntil?: number;
  /** Windowed pipelines: the windows' figures, the spike, the watermark over time (summary and report). */
  readonly windowed?: WindowedEvidence;
}

export interface ReconcileOptions {
  readonly pipeline: string;
  readonly action: ActionName;
  readonly events: readonly LedgerEvent[];
  readonly poison: readonly LedgerPoison[];
  readonly observed: PipelineObservations;
  /** The idempotency table's key for an event (lambdas/shared/tables.ts `idempotencyStorageKey`). */
  readonly storageKey: (idempotencyKey: string) => string;
  /** The workload's judge of this round: how events are expected to be treated, and the entity checks. */
  readonly judge: PipelineJudge;
  /**
   * Events the processor reports as processed or stale (CloudWatch EventsProcessed + EventsStale) for
   * this run's pipeline; lets an external action's left-over claims count as done when every event was.
   */
  readonly processedByMetrics?: number;
}

/** A distinct event (first put), with its duplicates counted and its expected treatment. */
export interface DistinctEvent {
  readonly first: LedgerEvent;
  duplicates: number;
  expected: Expected;
}

/** Distinct events in put order, with their duplicates counted and their expected treatment. */
function distinctEvents(events: readonly LedgerEvent[], ordering: PipelineJudge['ordering']): DistinctEvent[] {
  const byKey = new Map<string, DistinctEvent>();
  const newestBySubject = new Map<string, number>();
  const ordered = [...events].filter((e) => e.outcome?.ok === true).sort((a, b) => a.sendIndex - b.sendIndex);
  for (const entry of ordered) {
    const seen = byKey.get(entry.idempotencyKey);
    if (seen) {
      seen.duplicates += 1;
      continue;
    }
    let expected: Expected = 'processed';
    if (ordering === 'newest-wins') {
      const subject = entry.event.subject ?? entry.event.id;
      const time = Date.parse(entry.event.time ?? '');
      const newest = newestBySubject.get(subject) ?? -Infinity;
      expected = time > newest ? 'applied' : 'stale';
      if (time > newest) newestBySubject.set(subject, time);
    }
    byKey.set(entry.idempotencyKey, { first: entry, duplicates: 0, expected });
  }
  return [...byKey.values()];
}

function covers(record: OnFailureRecord, shardId: string, sequenceNumber: string): boolean {
  if (record.shardId !== shardId) return false;
  const n = BigInt(sequenceNumber);
  return BigInt(record.startSequenceNumber) <= n && n <= BigInt(record.endSequenceNumber);
}

function onFailureFor(observed: PipelineObservations, entry: LedgerEvent | LedgerPoison): OnFailureRecord | undefined {
  const outcome = entry.outcome;
  if (!outcome?.ok) return undefined;
  return observed.onFailure.find((r) => covers(r, outcome.shardId, outcome.sequenceNumber));
}

export function reconcilePipeline(input: ReconcileOptions): PipelineReconciliation {
  const { observed, judge } = input;
  const problems: string[] = [];
  const distinct = distinctEvents(input.events, judge.ordering);
  const notPut = input.events.filter((e) => e.outcome !== undefined && !e.outcome.ok);
  for (const e of notPut) problems.push(`event ${e.event.id} was never accepted by Kinesis: ${e.outcome?.ok === false ? e.outcome.reason : ''}`);

  const checksOrder = judge.ordering === 'newest-wins';
  const rows: EventRow[] = distinct.map(({ first, duplicates, expected }) => {
    const storageKey = input.storageKey(first.idempotencyKey);
    const status = observed.idempotency.get(storageKey);
    const outcome = status === IdempotencyStatus.Completed ? observed.outcomes?.get(storageKey) : undefined;
    const failure = onFailureFor(observed, first);
    const injected = [...(first.injected && first.injected !== 'duplicate' ? [first.injected] : []), ...(duplicates > 0 ? [`duplicate×${duplicates}`] : [])];
    const observedText = [status ? `key ${status}${outcome ? ` ${outcome}` : ''}` : 'no key', failure ? `DLQ ${failure.condition}` : ''].filter(Boolean).join(', ');
    let verdict: Verdict;
    if (status === IdempotencyStatus.Completed) verdict = checksOrder && outcome !== undefined && outOfPutOrder(expected, outcome) ? 'out-of-put-order' : 'ok';
    else if (failure) verdict = 'dead-lettered';
    else if (status !== undefined) verdict = judge.actionKind === 'external' && (input.processedByMetrics ?? 0) >= distinct.length ? 'unrecorded' : 'pending';
    else verdict = 'lost';
    return { id: first.event.id, subject: first.event.subject ?? first.event.id, injected, expected, observed: observedText, verdict };
  });
  for (const row of rows.filter((r) => r.verdict !== 'ok' && r.verdict !== 'unrecorded')) {
    problems.push(
      row.verdict === 'out-of-put-order'
        ? `event ${row.id} (${row.subject}) was not applied in put order: expected ${row.expected}, found ${row.observed} (a newer event of ${row.subject} was applied before it)`
        : `event ${row.id} (${row.subject}) ${row.verdict}: ${row.observed}`,
    );
  }
  const order = orderCoverage(distinct, rows, observed, input.storageKey, checksOrder);

  const judgement = judge.judge(distinct);
  const entities = judgement.checks;
  for (const check of entities.filter((c) => !c.ok)) problems.push(`${check.entity}: expected ${check.expected}, found ${check.observed}`);
  const twice = entities.filter((c) => !c.ok && c.observed.includes('more')).length;

  const poisonRows = input.poison.map((p) => reconcilePoison(p, observed));
  for (const row of poisonRows.filter((r) => !r.ok)) {
    problems.push(
      row.reason === undefined
        ? `poison record ${row.partitionKey} (${row.kind}) is not in the DLQ`
        : `poison record ${row.partitionKey} (${row.kind}) is in the DLQ as "${row.reason}", expected "${EXPECTED_POISON_REASON[row.kind]}" with an error and its exact bytes`,
    );
  }
  for (const body of observed.unreadableDlqMessages) problems.push(`unreadable DLQ message: ${body.slice(0, 200)}`);
  // Every on-failure record means the event source mapping gave a batch up: the outages of a run are
  // short and the processor isolates poison, so none is expected, even one covering only records that
  // were applied in the end.
  const ours = [...input.events, ...input.poison];
  for (const record of observed.onFailure) {
    const covered = ours.filter((e) => e.outcome?.ok && covers(record, e.outcome.shardId, e.outcome.sequenceNumber)).length;
    problems.push(`the event source mapping gave up a batch (${record.condition}) on ${record.shardId} ${record.startSequenceNumber}…${record.endSequenceNumber}, covering ${covered} record(s) of this run`);
  }

  const caveats: string[] = [...judgement.caveats, ...order.caveats];
  const unrecorded = rows.filter((r) => r.verdict === 'unrecorded').length;
  if (unrecorded > 0) {
    caveats.push(
      `${unrecorded} event(s) were processed but their idempotency keys stayed IN_PROGRESS: the completion write failed (during the DynamoDB outage) after the action ran. ` +
        'The processor documents this at-least-once window of external actions: a redelivery before the lease ends is refused, one after it would run the action again',
    );
  }
  return {
    pipeline: input.pipeline,
    action: input.action,
    counts: {
      events: distinct.length,
      duplicatesInjected: input.events.filter((e) => e.injected === 'duplicate').length,
      outOfOrderInjected: input.events.filter((e) => e.injected === 'out-of-order').length,
      lateInjected: input.events.filter((e) => e.injected === 'late').length,
      appliedOnce: rows.filter((r) => (r.verdict === 'ok' || r.verdict === 'unrecorded') && r.expected !== 'stale').length,
      staleAcknowledged: rows.filter((r) => r.verdict === 'ok' && r.expected === 'stale').length,
      lost: rows.filter((r) => r.verdict === 'lost' || r.verdict === 'dead-lettered').length + notPut.length,
      appliedTwice: twice,
      pending: rows.filter((r) => r.verdict === 'pending').length,
      completionUnrecorded: rows.filter((r) => r.verdict === 'unrecorded').length,
      poisonPut: input.poison.length,
      poisonInDlq: poisonRows.filter((r) => r.ok).length,
      batchesGivenUp: observed.onFailure.length,
      alertsExpected: judgement.alerts?.expected,
      alertsReceived: judgement.alerts?.received,
      ...(order.keysChecked !== undefined ? { orderKeysChecked: order.keysChecked, outOfPutOrder: rows.filter((r) => r.verdict === 'out-of-put-order').length } : {}),
    },
    events: rows,
    poison: poisonRows,
    entities,
    problems,
    caveats,
    ...(judgement.waitUntil !== undefined ? { waitUntil: judgement.waitUntil } : {}),
    ...(judgement.windowed ? { windowed: judgement.windowed } : {}),
  };
}

/** Whether a completed event's recorded outcome contradicts its expected treatment under newest-wins. */
function outOfPutOrder(expected: Expected, outcome: string): boolean {
  if (outcome === IdempotencyOutcome.Processed) return expected === 'stale';
  if (outcome === IdempotencyOutcome.Stale) return expected === 'applied';
  return false;
}

/** How much of the per-key order rule the evidence covered: entities whose every completed key recorded its outcome. */
function orderCoverage(
  distinct: readonly DistinctEvent[],
  rows: readonly EventRow[],
  observed: PipelineObservations,
  storageKey: (idempotencyKey: string) => string,
  checksOrder: boolean,
): { keysChecked?: number; caveats: string[] } {
  if (!checksOrder || distinct.length === 0) return { caveats: [] };
  const subjects = new Set(rows.map((r) => r.subject));
  const unrecorded = distinct.filter((d, i) => rows[i]?.verdict === 'ok' && observed.outcomes?.get(storageKey(d.first.idempotencyKey)) === undefined);
  if (unrecorded.length === 0) return { keysChecked: subjects.size, caveats: [] };
  const blind = new Set(unrecorded.map((d) => d.first.event.subject ?? d.first.event.id));
  return {
    keysChecked: subjects.size - blind.size,
    caveats: [
      `${unrecorded.length} completed key(s) of ${blind.size} entit(ies) record no outcome (a processor older than the outcome attribute): ` +
        'their per-key order is judged by the applied count and final state only, not event by event',
    ],
  };
}

/** The DLQ reason each kind of poison must get (lambdas/shared/dlq-message.ts). */
export const EXPECTED_POISON_REASON: Readonly<Record<PoisonKind, PoisonReason>> = {
  'not-json': PoisonReasons.Undecodable,
  'invalid-envelope': PoisonReasons.InvalidEnvelope,
  'unknown-type': PoisonReasons.UnknownType,
  'invalid-data': PoisonReasons.ActionRejected,
};

function reconcilePoison(p: LedgerPoison, observed: PipelineObservations): PoisonRow {
  const outcome = p.outcome;
  const base = { kind: p.record.kind, partitionKey: p.record.partitionKey, sequenceNumber: outcome?.ok ? outcome.sequenceNumber : undefined };
  if (!outcome?.ok) return { ...base, ok: false };
  const message = observed.poisonMessages.find(
    (m) => m.record.shardId === outcome.shardId && m.record.sequenceNumber === outcome.sequenceNumber && m.record.partitionKey === p.record.partitionKey,
  );
  if (!message) {
    const failure = onFailureFor(observed, p);
    return { ...base, reason: failure ? `on-failure ${failure.condition} (no reason)` : undefined, ok: false };
  }
  const sameBytes = message.record.data === undefined || message.record.data === Buffer.from(p.record.data).toString('base64');
  const rightReason = message.reason === EXPECTED_POISON_REASON[p.record.kind];
  return { ...base, reason: message.reason, error: message.error, ok: sameBytes && rightReason && message.error.length > 0 };
}

export interface Reconciliation {
  readonly pipelines: readonly PipelineReconciliation[];
  /** True when nothing was lost or applied twice and every poison record is in the DLQ. */
  readonly ok: boolean;
}

/**
 * What the judge needs from a pipeline's workload (../workloads/<action>.ts): how its events are expected
 * to be treated, and a check of each entity its action keeps.
 */

/** What the judge makes of one pipeline's entities in one round: a check per entity, and the limits of the evidence. */
export interface EntityJudgement {
  readonly checks: readonly EntityCheck[];
  readonly caveats: readonly string[];
  /** Alerting actions: incidents that must raise one alert each, and alerts received. */
  readonly alerts?: { readonly expected: number; readonly received: number };
  /** Until when (epoch ms) the entities may still settle on their own (windows waiting for the watermark). */
  readonly waitUntil?: number;
  readonly windowed?: WindowedEvidence;
}

/** How the judge treats one pipeline's events, given what its action left behind this round. */
export interface PipelineJudge {
  /**
   * `newest-wins`: an event older than one put before it for the same subject must be kept out (stale);
   * `every-event`: every event is processed.
   */
  readonly ordering: 'newest-wins' | 'every-event';
  /**
   * `external` actions complete their idempotency key after the effect: a key left IN_PROGRESS while the
   * pipeline reports every event processed is an effect whose completion went unrecorded, not a loss.
   */
  readonly actionKind: ActionKind;
  /** Checks the entities the action keeps (state items, alerts) against the distinct events put. */
  judge(distinct: readonly DistinctEvent[]): EntityJudgement;
}

export function combine(pipelines: readonly PipelineReconciliation[]): Reconciliation {
  return { pipelines, ok: pipelines.every((p) => p.problems.length === 0) };
}
