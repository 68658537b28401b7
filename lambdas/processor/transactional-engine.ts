/**
 * Runs a transactional action over a batch: exactly-once effects.
 *
 * 1. Plan: per partition key, in stream order, the action's pure `decide` folds the key's events
 *    over the state read with the batch (so several events on one entity cost one state write).
 * 2. Commit: each key's plan becomes one or more units (≤100 items each: one COMPLETED idempotency
 *    put per event + one put per state item changed, conditioned on the version read). Units are
 *    packed into TransactWriteItems of up to 100 items; a key's later unit waits for its earlier one.
 * 3. A cancelled transaction names its losers (CancellationReasons): a key completed meanwhile by
 *    another invocation is a duplicate, any other loser fails (retryable); the rest is retried.
 */
import { StateTable } from '../shared/tables';
import type { StateItem, TransactionalAction } from '../actions/action';
import { describeError, isPoison } from './errors';
import { MAX_TRANSACTION_ITEMS, transactWrite, type Item, type TransactItem } from './dynamo';
import { completeInTransaction, Status } from './idempotency';
import type { EngineContext } from './engine-context';
import { forEachWithConcurrency, stopAfter, type KeyGroup, type WorkItem } from './work';

/** How often a transaction is re-sent without its losers before the rest fails too. */
const MAX_COMMIT_ATTEMPTS = 4;

export type TransactionalContext = EngineContext;

interface Step {
  readonly item: WorkItem;
  readonly stateKey: string | undefined;
  readonly outcome: 'processed' | 'stale';
  /** The state item's attributes after this event, when it changed it. */
  readonly stateAfter: Readonly<Record<string, unknown>> | undefined;
}

interface KeyPlan {
  readonly group: KeyGroup;
  readonly steps: Step[];
  /** Version of each state item as stored (0: absent); advanced after each committed unit. */
  readonly versions: Map<string, number>;
  dead: boolean;
}

interface Unit {
  readonly plan: KeyPlan;
  readonly steps: Step[];
}

/** The stored state item as the action sees it. */
function storedState(ctx: TransactionalContext, key: string): StateItem | undefined {
  if (!ctx.stateTable) return undefined;
  const item = ctx.snapshot.get(ctx.stateTable, key);
  if (!item) return undefined;
  return { ...item, pk: key, version: typeof item.version === 'number' ? item.version : 0 } as StateItem;
}

/** Step 1: decide every open event; poison is marked for the DLQ, an unexpected error stops the key. */
export function planTransactional(action: TransactionalAction, groups: readonly KeyGroup[], ctx: TransactionalContext): KeyPlan[] {
  return groups.map((group) => {
    const plan: KeyPlan = { group, steps: [], versions: new Map(), dead: false };
    const current = new Map<string, StateItem | undefined>();
    for (const item of group.items) {
      if (item.outcome === 'failed') break;
      if (!item.open) continue;
      const event = item.actionEvent();
      try {
        const stateKey = action.stateKey(event);
        if (stateKey !== undefined && !current.has(stateKey)) {
          const stored = storedState(ctx, stateKey);
          current.set(stateKey, stored);
          plan.versions.set(stateKey, stored?.version ?? 0);
        }
        const state = stateKey === undefined ? undefined : current.get(stateKey);
        const decision = action.decide(event, state);
        if (decision.kind === 'write') {
          if (stateKey === undefined) throw new Error(`action decided to write state for event type "${event.event.type}" but gave no state key`);
          const version = state?.version ?? 0;
          current.set(stateKey, { ...decision.attributes, pk: stateKey, version });
          plan.steps.push({ item, stateKey, outcome: 'processed', stateAfter: decision.attributes });
        } else {
          plan.steps.push({ item, stateKey, outcome: decision.kind === 'stale' ? 'stale' : 'processed', stateAfter: undefined });
        }
      } catch (error) {
        if (isPoison(error)) {
          item.poison = { reason: 'action-rejected', error: describeError(error) };
          continue;
        }
        item.fail(`action failed: ${describeError(error)}`);
        stopAfter(group, item);
        break;
      }
    }
    return plan;
  });
}

/** Drops steps from the first failed record of each key on (e.g. its poison could not be dead-lettered). */
export function truncateAtFailure(plans: readonly KeyPlan[]): void {
  for (const plan of plans) {
    const firstFailed = plan.group.items.find((item) => item.outcome === 'failed');
    if (!firstFailed) continue;
    stopAfter(plan.group, firstFailed);
    const cut = plan.steps.findIndex((step) => step.item.outcome === 'failed');
    if (cut >= 0) plan.steps.splice(cut);
  }
}

function itemCount(steps: readonly Step[]): number {
  return steps.length + new Set(steps.filter((s) => s.stateAfter).map((s) => s.stateKey)).size;
}

/** Splits a key's steps into units of at most 100 transaction items, in order. */
function unitsOf(plan: KeyPlan): Unit[] {
  const units: Unit[] = [];
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
function finalStates(unit: Unit): Map<string, Readonly<Record<string, unknown>>> {
  const states = new Map<string, Readonly<Record<string, unknown>>>();
  for (const step of unit.steps) if (step.stateAfter && step.stateKey !== undefined) states.set(step.stateKey, step.stateAfter);
  return states;
}

function statePut(table: string, key: string, attributes: Readonly<Record<string, unknown>>, version: number): TransactItem {
  const item: Item = { ...attributes, [StateTable.partitionKey]: key, version: version + 1 };
  return {
    Put: {
      TableName: table,
      Item: item,
      ...(version === 0
        ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': StateTable.partitionKey } }
        : { ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': version } }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/** The transaction items of a unit, and which unit each item belongs to. */
function itemsOf(unit: Unit, ctx: TransactionalContext, nowMs: number): { items: TransactItem[]; idempotencyIndex: number[] } {
  const items: TransactItem[] = [];
  const idempotencyIndex: number[] = [];
  for (const step of unit.steps) {
    idempotencyIndex.push(items.length);
    items.push(completeInTransaction(ctx.idempotency, step.item.storageKey!, nowMs));
  }
  for (const [key, attributes] of finalStates(unit)) {
    items.push(statePut(ctx.stateTable!, key, attributes, unit.plan.versions.get(key) ?? 0));
  }
  return { items, idempotencyIndex };
}

function failUnit(unit: Unit, error: string): void {
  unit.plan.dead = true;
  for (const step of unit.steps) if (step.item.outcome === undefined) step.item.fail(error);
  const first = unit.steps[0];
  if (first) stopAfter(unit.plan.group, first.item);
}

/** Commits units in one transaction, re-sending without losers until it commits or nothing is left. */
async function commit(units: Unit[], ctx: TransactionalContext): Promise<void> {
  let pending = units;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (ctx.outOfTime()) {
      for (const unit of pending) failUnit(unit, 'not attempted: the invocation reached its time margin');
      return;
    }
    const nowMs = ctx.now();
    const built = pending.map((unit) => ({ unit, ...itemsOf(unit, ctx, nowMs) }));
    const items = built.flatMap((b) => b.items);
    let result;
    try {
      result = await transactWrite(ctx.ddb, items, ctx.usage);
    } catch (error) {
      for (const unit of pending) failUnit(unit, `DynamoDB transaction failed: ${describeError(error)}`);
      return;
    }
    if (result.committed) {
      const doneAt = ctx.now();
      for (const { unit } of built) {
        for (const step of unit.steps) step.item.done(step.outcome, doneAt);
        for (const key of finalStates(unit).keys()) unit.plan.versions.set(key, (unit.plan.versions.get(key) ?? 0) + 1);
      }
      return;
    }
    const survivors: Unit[] = [];
    let offset = 0;
    for (const { unit, items: unitItems, idempotencyIndex } of built) {
      const reasons = result.reasons.slice(offset, offset + unitItems.length);
      offset += unitItems.length;
      const lost = reasons.filter((r) => r.code !== 'None');
      if (lost.length === 0 && result.reasons.length > 0) {
        survivors.push(unit);
        continue;
      }
      const onlyCompletedKey =
        unit.steps.length === 1 &&
        lost.length === 1 &&
        reasons[idempotencyIndex[0]!]?.code === 'ConditionalCheckFailed' &&
        reasons[idempotencyIndex[0]!]?.currentStatus === Status.Completed;
      if (onlyCompletedKey) {
        unit.steps[0]!.item.outcome = 'duplicate';
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

/** DynamoDB caps a transaction at 4 MB; stay well below it (sizes are estimated from JSON). */
const MAX_TRANSACTION_BYTES = 3 * 1024 * 1024;
/** Generous size of one idempotency put (key up to 1 KB plus attributes). */
const IDEMPOTENCY_ITEM_BYTES = 1200;

function unitBytes(unit: Unit): number {
  let bytes = unit.steps.length * IDEMPOTENCY_ITEM_BYTES;
  for (const [key, attributes] of finalStates(unit)) bytes += Buffer.byteLength(key) + Buffer.byteLength(JSON.stringify(attributes));
  return bytes;
}

/** Packs units into transactions of ≤100 items and ≤3 MB, never the same state item twice in one transaction. */
function pack(units: readonly Unit[]): Unit[][] {
  const transactions: { units: Unit[]; size: number; bytes: number; stateKeys: Set<string> }[] = [];
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

/** Step 2 and 3: commits every plan, round by round (a key's n-th unit in round n). */
export async function commitTransactional(plans: readonly KeyPlan[], ctx: TransactionalContext): Promise<void> {
  const unitsByPlan = plans.map(unitsOf);
  for (let round = 0; ; round++) {
    const units = unitsByPlan.map((units) => units[round]).filter((unit): unit is Unit => unit !== undefined && !unit.plan.dead);
    if (units.length === 0) return;
    await forEachWithConcurrency(pack(units), ctx.concurrency, (transaction) => commit(transaction, ctx));
  }
}
