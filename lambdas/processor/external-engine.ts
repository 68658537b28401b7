/**
 * Runs an external action over a batch: at-least-once effects with duplicates suppressed.
 *
 * 1. Claim: every open event's idempotency key is put IN_PROGRESS with a lease and the record's stream
 *    position, up to 100 per TransactWriteItems, conditioned on the key being free for this record;
 *    losers (completed meanwhile → duplicate, claimed by another record's live lease → failed,
 *    retryable) are dropped and the rest re-sent. A claim set the store rejects is split until the
 *    record it refuses is alone, and that record is poison.
 * 2. Run: partition keys concurrently (bounded), each key's events strictly in order. The failure
 *    policy (./failure-policy.ts) decides: poison (the record goes to the DLQ, the key goes on) or
 *    retryable (the key stops).
 * 3. Complete: keys of handled events are put COMPLETED; those of poison events DEAD_LETTERED for their
 *    record's position (a redelivery does not run the action again, a replay does); the claims of every
 *    other event (failed, not attempted) are released, so a retry need not wait for the lease, 25 per
 *    BatchWriteItem.
 *
 * A crash between 2 and 3 leaves claims behind: a redelivery of the same record takes its claim over at
 * once and runs the action again (at-least-once); another record with the same key waits for the lease.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ExternalAction, StateAccess, StateItem } from '../actions/action';
import { PoisonReason } from '../shared/dlq-message';
import { IdempotencyStatus, IdempotencyTable, StateTable } from '../shared/tables';
import { backoffMs, batchWrite, chunk, MAX_TRANSACTION_ITEMS, sleep, transactWrite, type WriteRequest } from './dynamo';
import type { EngineContext } from './engine-context';
import { ConcurrentUpdateError, describeError, StoreRejectedError } from './errors';
import { classifyActionError, isStoreRejection, storeRejectionMessage } from './failure-policy';
import { claimInTransaction, completedItem, deadLetteredKeyItem } from './idempotency';
import { forEachWithConcurrency, stopKeysAfterFailures, type KeyGroup } from './key-group';
import { recordPosition } from './records';
import { nextStateItem, storedState, versionGuard } from './state-versioning';
import { storabilityProblem } from './storable';
import type { WorkItem } from './work-item';

const MAX_CLAIM_ATTEMPTS = 4;

export interface ExternalContext extends EngineContext {
  readonly logger: Logger;
}

/** Claims the keys of `items`; returns the ones this invocation now holds. */
async function claim(items: readonly WorkItem[], ctx: ExternalContext): Promise<WorkItem[]> {
  const held: WorkItem[] = [];
  const claimPart = async (part: readonly WorkItem[]): Promise<void> => {
    let pending = part;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const nowMs = ctx.now();
      let result;
      try {
        result = await transactWrite(ctx.ddb, pending.map((item) => claimInTransaction(ctx.idempotency, item.storageKey!, nowMs, recordPosition(item.record))), ctx.usage);
      } catch (error) {
        if (!isStoreRejection(error)) {
          for (const item of pending) item.fail(`idempotency claim failed: ${describeError(error)}`);
        } else if (pending.length === 1) {
          pending[0]!.markPoison({ reason: PoisonReason.StoreRejected, error: `idempotency claim refused: ${storeRejectionMessage(error)}` });
        } else {
          const half = Math.ceil(pending.length / 2);
          await claimPart(pending.slice(0, half));
          await claimPart(pending.slice(half));
        }
        return;
      }
      if (result.committed) {
        held.push(...pending);
        return;
      }
      const survivors: WorkItem[] = [];
      pending.forEach((item, i) => {
        const reason = result.reasons[i];
        if (reason?.code === 'None') survivors.push(item);
        else if (reason?.code === 'ValidationError') item.markPoison({ reason: PoisonReason.StoreRejected, error: 'idempotency claim refused by DynamoDB (ValidationError)' });
        else if (reason?.currentStatus === IdempotencyStatus.Completed) item.markDuplicate();
        else item.fail(`idempotency key claimed by another record (${reason?.code ?? 'TransactionCanceled'}); will be retried`);
      });
      if (attempt >= MAX_CLAIM_ATTEMPTS) {
        for (const item of survivors) item.fail('idempotency claim kept being cancelled');
        return;
      }
      pending = survivors;
    }
  };
  await Promise.all(chunk(items, MAX_TRANSACTION_ITEMS).map(claimPart));
  return held;
}

/** State items prefetched with the batch; writes conditioned on the version last seen (./state-versioning.ts). */
class VersionedState implements StateAccess {
  private readonly items = new Map<string, StateItem | undefined>();

  constructor(private readonly ctx: ExternalContext) {}

  private table(): string {
    if (!this.ctx.stateTable) throw new Error('this action keeps state but the pipeline has no state table');
    return this.ctx.stateTable;
  }

  get(key: string): StateItem | undefined {
    if (!this.items.has(key)) this.items.set(key, storedState(this.ctx.snapshot, this.ctx.stateTable, key));
    return this.items.get(key);
  }

  async put(key: string, attributes: Readonly<Record<string, unknown>>): Promise<StateItem> {
    const version = this.get(key)?.version ?? 0;
    const item = nextStateItem(key, attributes, version);
    const problem = storabilityProblem(item);
    if (problem) throw new StoreRejectedError(`state item "${key.slice(0, 100)}" cannot be stored: ${problem}`);
    await this.write(key, () => new PutCommand({ TableName: this.table(), Item: item, ...versionGuard(version), ReturnConsumedCapacity: 'TOTAL' }));
    const next: StateItem = { ...attributes, pk: key, version: version + 1 };
    this.items.set(key, next);
    return next;
  }

  async delete(key: string): Promise<void> {
    const current = this.get(key);
    if (!current) return;
    await this.write(key, () => new DeleteCommand({ TableName: this.table(), Key: { [StateTable.partitionKey]: key }, ...versionGuard(current.version), ReturnConsumedCapacity: 'TOTAL' }));
    this.items.set(key, undefined);
  }

  private async write(key: string, command: () => PutCommand | DeleteCommand): Promise<void> {
    try {
      const out = await this.ctx.ddb.send(command() as PutCommand);
      this.ctx.usage.record(out.ConsumedCapacity ? [out.ConsumedCapacity] : undefined);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        this.items.delete(key);
        throw new ConcurrentUpdateError(`state item "${key}" was changed by another invocation`);
      }
      throw error;
    }
  }
}

async function runGroup(action: ExternalAction, group: KeyGroup, held: ReadonlySet<WorkItem>, state: StateAccess, ctx: ExternalContext): Promise<void> {
  for (const item of group.items) {
    if (item.outcome === 'failed') break;
    if (!item.open || !held.has(item)) continue;
    if (ctx.outOfTime()) {
      item.fail('not attempted: the invocation reached its time margin');
      break;
    }
    try {
      item.done(await action.run(item.actionEvent(), state), ctx.now());
    } catch (error) {
      const verdict = classifyActionError(error);
      if (verdict.kind === 'poison') {
        item.markPoison(verdict);
        continue;
      }
      item.fail(`action failed: ${verdict.error}`);
      break;
    }
  }
  group.stopAfterFirstFailure();
}

export async function runExternal(action: ExternalAction, groups: readonly KeyGroup[], ctx: ExternalContext): Promise<void> {
  const open = groups.flatMap((g) => g.items.filter((item) => item.open));
  if (ctx.outOfTime()) {
    // Claiming keys that no record will use would only make the retry wait for their leases.
    for (const item of open) item.fail('not attempted: the invocation reached its time margin');
    return;
  }
  const held = new Set(await claim(open, ctx));
  stopKeysAfterFailures(groups);
  const state = new VersionedState(ctx);
  await forEachWithConcurrency(groups, ctx.concurrency, (group) => runGroup(action, group, held, state, ctx));

  const nowMs = ctx.now();
  const writes: WriteRequest[] = [...held].map((item) => {
    if (item.outcome === 'processed' || item.outcome === 'stale') return { PutRequest: { Item: completedItem(ctx.idempotency, item.storageKey!, nowMs, item.outcome) } };
    if (item.poison) return { PutRequest: { Item: deadLetteredKeyItem(ctx.idempotency, item.storageKey!, nowMs, recordPosition(item.record), item.poison) } };
    return { DeleteRequest: { Key: { [IdempotencyTable.partitionKey]: item.storageKey! } } };
  });
  await recordCompletion(writes, ctx);
}

/** Attempts at the completion write before the keys are left to their leases. */
const COMPLETION_ATTEMPTS = 5;

/**
 * The effects already happened, so the completion write is worth retrying through a short DynamoDB
 * blip (the writes are idempotent: COMPLETED puts and claim deletes). If it still fails, the keys stay
 * claimed: a redelivery of the same record takes its claim over, another record waits for the lease.
 */
async function recordCompletion(writes: readonly WriteRequest[], ctx: ExternalContext): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await batchWrite(ctx.ddb, ctx.idempotency.table, writes, ctx.usage);
      return;
    } catch (error) {
      if (attempt >= COMPLETION_ATTEMPTS || ctx.outOfTime()) {
        ctx.logger.error('could not mark idempotency keys completed', { error: describeError(error), keys: writes.length, attempts: attempt });
        return;
      }
      await sleep(backoffMs(attempt));
    }
  }
}
