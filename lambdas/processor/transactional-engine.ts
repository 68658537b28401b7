/**
 * Runs a transactional action over a batch: exactly-once effects.
 *
 * 1. Plan: per partition key, in stream order, the action's pure `decide` folds the key's events over
 *    the state read with the batch (several events on one entity cost one state write). A state the
 *    store could not hold (./storable.ts) makes that event poison, and the key goes on from the state
 *    before it.
 * 2. Commit: each key's plan becomes one or more units (≤100 items each: one COMPLETED idempotency put
 *    per event + one put per state item changed, conditioned on the version read). Units are packed
 *    into TransactWriteItems of up to 100 items; a key's later unit waits for its earlier one.
 * 3. A cancelled transaction names its losers (CancellationReasons): a key completed meanwhile by
 *    another invocation is a duplicate, any other conflict fails (retryable); the rest is re-sent.
 * 4. Failure isolation: a transaction the store rejects for a reason that repeats (ValidationException,
 *    a ValidationError cancellation reason) is split until the rejected key is alone; that key's events
 *    are then decided and committed one per transaction, so the event the store refuses is dead-lettered
 *    with the store's message and every other event of the batch commits in this invocation.
 *
 * A redelivered batch is decided again. A record decided stale that an earlier delivery dead-lettered
 * (refused for its details while it was its entity's newest event, overtaken since) stays
 * dead-lettered instead of being acknowledged as well: one outcome per record.
 */
import type { StateItem, TransactionalAction } from '../actions/action';
import { PoisonReason } from '../shared/dlq-message';
import { IdempotencyStatus } from '../shared/tables';
import { MAX_TRANSACTION_ITEMS, transactWrite, type TransactItem, type TransactionResult } from './dynamo';
import { deadLetteredEarlier } from './dead-letter';
import type { EngineContext } from './engine-context';
import { classifyActionError, isStoreRejection, storeRejectionMessage } from './failure-policy';
import { completeInTransaction } from './idempotency';
import { forEachWithConcurrency, type KeyGroup } from './key-group';
import { recordPosition } from './records';
import { nextStateItem, storedState, versionGuard } from './state-versioning';
import { keyProblem, storabilityProblem } from './storable';
import type { WorkItem } from './work-item';
import { describeError } from './errors';

/** How often a transaction is re-sent without its losers before the rest fails too. */
const MAX_COMMIT_ATTEMPTS = 4;
/** The cancellation reason DynamoDB gives an item it cannot store (number overflow, item too large, …). */
const REJECTED_ITEM_CODE = 'ValidationError';

interface Step {
  readonly item: WorkItem;
  readonly stateKey: string | undefined;
  readonly outcome: 'processed' | 'stale';
  /** The state item's attributes after this event, when it changed it. */
  readonly stateAfter: Readonly<Record<string, unknown>> | undefined;
}

/** State items of one key as last committed (with their stored version), or as decided so far. */
type States = Map<string, StateItem | undefined>;

interface KeyPlan {
  readonly group: KeyGroup;
  readonly steps: Step[];
  /** State as committed: the batch's snapshot, advanced after each committed unit. */
  readonly committed: States;
  /** A transaction failed for good: the key's later units are not sent. */
  dead: boolean;
  /** The store rejected one of the key's units: its open events are committed one by one. */
  isolated: boolean;
}

/** A key's events committed together: one transaction item set, all or nothing (a unit of commit). */
interface CommitUnit {
  readonly plan: KeyPlan;
  readonly steps: Step[];
}

const versionOf = (states: States, key: string): number => states.get(key)?.version ?? 0;

/**
 * Decides one open event against `states` (advanced when it writes). Returns the step, `skip` when the
 * event became poison, or `stop` when it failed (the key stops).
 */
function decide(action: TransactionalAction, item: WorkItem, states: States, ctx: EngineContext): Step | 'skip' | 'stop' {
  const event = item.actionEvent();
  try {
    const stateKey = action.stateKey(event);
    if (stateKey !== undefined) {
      const problem = keyProblem(stateKey);
      if (problem) {
        item.markPoison({ reason: PoisonReason.StoreRejected, error: `state key cannot be stored: ${problem}` });
        return 'skip';
      }
      if (!states.has(stateKey)) states.set(stateKey, storedState(ctx.snapshot, ctx.stateTable, stateKey));
    }
    const state = stateKey === undefined ? undefined : states.get(stateKey);
    const decision = action.decide(event, state);
    if (decision.kind !== 'write') return { item, stateKey, outcome: decision.kind === 'stale' ? 'stale' : 'processed', stateAfter: undefined };
    if (stateKey === undefined) throw new Error(`action decided to write state for event type "${event.event.type}" but gave no state key`);
    const version = state?.version ?? 0;
    const problem = storabilityProblem(nextStateItem(stateKey, decision.attributes, version));
    if (problem) {
      item.markPoison({ reason: PoisonReason.StoreRejected, error: `state item "${stateKey.slice(0, 100)}" cannot be stored: ${problem}` });
      return 'skip';
    }
    states.set(stateKey, { ...decision.attributes, pk: stateKey, version });
    return { item, stateKey, outcome: 'processed', stateAfter: decision.attributes };
  } catch (error) {
    const verdict = classifyActionError(error);
    if (verdict.kind === 'poison') {
      item.markPoison(verdict);
      return 'skip';
    }
    item.fail(`action failed: ${verdict.error}`);
    return 'stop';
  }
}

/** Step 1: decide every open event of every key. */
export function planTransactional(action: TransactionalAction, groups: readonly KeyGroup[], ctx: EngineContext): KeyPlan[] {
  return groups.map((group) => {
    const plan: KeyPlan = { group, steps: [], committed: new Map(), dead: false, isolated: false };
    const states: States = new Map();
    for (const item of group.items) {
      if (item.outcome === 'failed') break;
      if (!item.open) continue;
      const step = decide(action, item, states, ctx);
      if (step === 'stop') break;
      if (step !== 'skip') plan.steps.push(step);
    }
    for (const key of states.keys()) plan.committed.set(key, storedState(ctx.snapshot, ctx.stateTable, key));
    group.stopAfterFirstFailure();
    return plan;
  });
}

function itemCount(steps: readonly Step[]): number {
  return steps.length + new Set(steps.filter((s) => s.stateAfter).map((s) => s.stateKey)).size;
}

/** Splits a key's steps into units of at most 100 transaction items, in order. */
function unitsOf(plan: KeyPlan): CommitUnit[] {
  const units: CommitUnit[] = [];
  let steps: Step[] = [];
  for (const step of plan.steps) {
    if (itemCount([...steps, step]) > MAX_TRANSACTION_ITEMS) {
      units.push({ plan, steps });
      steps = [];
    }
    steps.push(step);
  }
  if (steps.length > 0) units.push({ plan, steps });
  return units;
}

/** Last state written per state key within a unit. */
function finalStates(unit: CommitUnit): Map<string, Readonly<Record<string, unknown>>> {
  const states = new Map<string, Readonly<Record<string, unknown>>>();
  for (const step of unit.steps) if (step.stateAfter && step.stateKey !== undefined) states.set(step.stateKey, step.stateAfter);
  return states;
}

function statePut(table: string, key: string, attributes: Readonly<Record<string, unknown>>, version: number): TransactItem {
  return { Put: { TableName: table, Item: nextStateItem(key, attributes, version), ...versionGuard(version), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } };
}

/** The transaction items of a unit, and where each step's idempotency put sits among them. */
function itemsOf(unit: CommitUnit, ctx: EngineContext, nowMs: number): { items: TransactItem[]; idempotencyIndex: number[] } {
  const items: TransactItem[] = [];
  const idempotencyIndex: number[] = [];
  for (const step of unit.steps) {
    idempotencyIndex.push(items.length);
    items.push(completeInTransaction(ctx.idempotency, step.item.storageKey!, nowMs, recordPosition(step.item.record), undefined, step.outcome));
  }
  for (const [key, attributes] of finalStates(unit)) items.push(statePut(ctx.stateTable!, key, attributes, versionOf(unit.plan.committed, key)));
  return { items, idempotencyIndex };
}

function committedUnit(unit: CommitUnit, doneAt: number): void {
  for (const step of unit.steps) step.item.done(step.outcome, doneAt);
  for (const [key, attributes] of finalStates(unit)) unit.plan.committed.set(key, { ...attributes, pk: key, version: versionOf(unit.plan.committed, key) + 1 });
}

function failUnit(unit: CommitUnit, error: string): void {
  unit.plan.dead = true;
  for (const step of unit.steps) if (step.item.outcome === undefined) step.item.fail(error);
  unit.plan.group.stopAfterFirstFailure();
}

/** Sends one transaction; a send error is a result too (rejected by the store, or transient). */
async function send(items: readonly TransactItem[], ctx: EngineContext): Promise<TransactionResult | { readonly committed: false; readonly error: unknown }> {
  try {
    return await transactWrite(ctx.ddb, items, ctx.usage);
  } catch (error) {
    return { committed: false, error };
  }
}

/** Commits units in one transaction, re-sending without losers; a rejected transaction is split. */
async function commit(units: CommitUnit[], ctx: EngineContext): Promise<void> {
  let pending = units;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (ctx.outOfTime()) {
      for (const unit of pending) failUnit(unit, 'not attempted: the invocation reached its time margin');
      return;
    }
    const nowMs = ctx.now();
    const built = pending.map((unit) => ({ unit, ...itemsOf(unit, ctx, nowMs) }));
    const result = await send(built.flatMap((b) => b.items), ctx);
    if (result.committed) {
      const doneAt = ctx.now();
      for (const { unit } of built) committedUnit(unit, doneAt);
      return;
    }
    if ('error' in result) {
      if (!isStoreRejection(result.error)) {
        for (const unit of pending) failUnit(unit, `DynamoDB transaction failed: ${describeError(result.error)}`);
        return;
      }
      if (pending.length === 1) {
        pending[0]!.plan.isolated = true;
        return;
      }
      const half = Math.ceil(pending.length / 2);
      await commit(pending.slice(0, half), ctx);
      await commit(pending.slice(half), ctx);
      return;
    }
    const survivors: CommitUnit[] = [];
    let offset = 0;
    for (const { unit, items, idempotencyIndex } of built) {
      const reasons = result.reasons.slice(offset, offset + items.length);
      offset += items.length;
      const lost = reasons.filter((r) => r.code !== 'None');
      if (lost.some((r) => r.code === REJECTED_ITEM_CODE)) {
        unit.plan.isolated = true;
        continue;
      }
      if (lost.length === 0 && result.reasons.length > 0) {
        survivors.push(unit);
        continue;
      }
      const onlyCompletedKey =
        unit.steps.length === 1 &&
        lost.length === 1 &&
        reasons[idempotencyIndex[0]!]?.code === 'ConditionalCheckFailed' &&
        reasons[idempotencyIndex[0]!]?.currentStatus === IdempotencyStatus.Completed;
      if (onlyCompletedKey) {
        unit.steps[0]!.item.markDuplicate();
        continue;
      }
      const codes = [...new Set(lost.map((r) => r.code))].join(', ') || 'TransactionCanceled';
      failUnit(unit, `lost to a concurrent invocation (${codes}); will be retried`);
    }
    if (attempt >= MAX_COMMIT_ATTEMPTS) {
      for (const unit of survivors) failUnit(unit, 'DynamoDB transaction kept being cancelled');
      return;
    }
    pending = survivors;
  }
}

/**
 * The slow path for a key the store rejected: each open event is decided against the state as
 * committed and committed in its own transaction. The one the store refuses is poison; the next is
 * decided as if it had never come.
 */
async function isolateKey(action: TransactionalAction, plan: KeyPlan, ctx: EngineContext): Promise<void> {
  for (const item of plan.group.items) {
    if (item.outcome === 'failed') break;
    if (!item.open) continue;
    if (ctx.outOfTime()) {
      item.fail('not attempted: the invocation reached its time margin');
      break;
    }
    const step = decide(action, item, new Map(plan.committed), ctx);
    if (step === 'stop') break;
    if (step === 'skip') continue;
    const unit: CommitUnit = { plan, steps: [step] };
    const { items, idempotencyIndex } = itemsOf(unit, ctx, ctx.now());
    const result = await send(items, ctx);
    if (result.committed) {
      committedUnit(unit, ctx.now());
      continue;
    }
    if ('error' in result && isStoreRejection(result.error)) {
      item.markPoison({ reason: PoisonReason.StoreRejected, error: storeRejectionMessage(result.error) });
    } else if ('error' in result) {
      item.fail(`DynamoDB transaction failed: ${describeError(result.error)}`);
      break;
    } else if (result.reasons.some((r) => r.code === REJECTED_ITEM_CODE)) {
      item.markPoison({ reason: PoisonReason.StoreRejected, error: `DynamoDB refused the write (${REJECTED_ITEM_CODE})` });
    } else if (result.reasons[idempotencyIndex[0]!]?.currentStatus === IdempotencyStatus.Completed && result.reasons.filter((r) => r.code !== 'None').length === 1) {
      item.markDuplicate();
    } else {
      item.fail(`lost to a concurrent invocation (${[...new Set(result.reasons.map((r) => r.code))].join(', ')}); will be retried`);
      break;
    }
  }
  plan.group.stopAfterFirstFailure();
}

/** DynamoDB caps a transaction at 4 MB; stay well below it (sizes are estimated from JSON). */
const MAX_TRANSACTION_BYTES = 3 * 1024 * 1024;
/** Generous size of one idempotency put (key up to 1 KB plus attributes). */
const IDEMPOTENCY_ITEM_BYTES = 1200;

function unitBytes(unit: CommitUnit): number {
  let bytes = unit.steps.length * IDEMPOTENCY_ITEM_BYTES;
  for (const [key, attributes] of finalStates(unit)) bytes += Buffer.byteLength(key) + Buffer.byteLength(JSON.stringify(attributes));
  return bytes;
}

/** Packs units into transactions of ≤100 items and ≤3 MB, never the same state item twice in one transaction. */
function pack(units: readonly CommitUnit[]): CommitUnit[][] {
  const transactions: { units: CommitUnit[]; size: number; bytes: number; stateKeys: Set<string> }[] = [];
  for (const unit of units) {
    const size = itemCount(unit.steps);
    const bytes = unitBytes(unit);
    const keys = [...finalStates(unit).keys()];
    let target = transactions.find(
      (t) => t.size + size <= MAX_TRANSACTION_ITEMS && t.bytes + bytes <= MAX_TRANSACTION_BYTES && keys.every((k) => !t.stateKeys.has(k)),
    );
    if (!target) {
      target = { units: [], size: 0, bytes: 0, stateKeys: new Set() };
      transactions.push(target);
    }
    target.units.push(unit);
    target.size += size;
    target.bytes += bytes;
    for (const k of keys) target.stateKeys.add(k);
  }
  return transactions.map((t) => t.units);
}

/**
 * Stale decisions whose record is on the DLQ from this position already become that poison again (the
 * dead-letter path sends it once, by its marker). Stale decisions are rare (late events, replays), so
 * markers are read only for them; if they cannot be read, the records are acknowledged as stale.
 */
async function keepDeadLettered(plans: readonly KeyPlan[], ctx: EngineContext): Promise<void> {
  const stale = plans.flatMap((plan) => plan.steps.filter((step) => step.outcome === 'stale').map((step) => step.item));
  let marked: Map<WorkItem, string>;
  try {
    marked = await deadLetteredEarlier(stale, { ddb: ctx.ddb, usage: ctx.usage, table: ctx.idempotency.table });
  } catch {
    return;
  }
  for (const plan of plans) {
    for (const step of plan.steps.filter((s) => marked.has(s.item))) {
      plan.steps.splice(plan.steps.indexOf(step), 1);
      // The marker holds the reason the record was sent to the DLQ with (./idempotency.ts deadLetterMarker).
      step.item.markPoison({ reason: marked.get(step.item) as PoisonReason, error: 'on the DLQ from this stream position already; decided stale on this delivery, it stays dead-lettered' });
    }
  }
}

/** Steps 2 to 4: commits every plan, round by round (a key's n-th unit in round n), then isolates rejected keys. */
export async function commitTransactional(action: TransactionalAction, plans: readonly KeyPlan[], ctx: EngineContext): Promise<void> {
  await keepDeadLettered(plans, ctx);
  const unitsByPlan = plans.map(unitsOf);
  for (let round = 0; ; round++) {
    const units = unitsByPlan.map((units) => units[round]).filter((unit): unit is CommitUnit => unit !== undefined && !unit.plan.dead && !unit.plan.isolated);
    if (units.length === 0) break;
    await forEachWithConcurrency(pack(units), ctx.concurrency, (transaction) => commit(transaction, ctx));
  }
  await forEachWithConcurrency(
    plans.filter((plan) => plan.isolated && !plan.dead),
    ctx.concurrency,
    (plan) => isolateKey(action, plan, ctx),
  );
}
