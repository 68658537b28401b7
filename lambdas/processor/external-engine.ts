/**
 * Runs an external action over a batch: at-least-once effects with duplicates suppressed.
 *
 * 1. Claim: every open event's idempotency key is put IN_PROGRESS with a lease, up to 100 per
 *    TransactWriteItems, conditioned on the key being free; losers (completed meanwhile → duplicate,
 *    claimed by another invocation → failed, retryable) are dropped and the rest re-sent.
 * 2. Run: partition keys concurrently (bounded), each key's events strictly in order; a retryable
 *    failure stops the key; a PoisonEventError goes to the DLQ at once (a DLQ failure stops the key).
 * 3. Complete: keys of handled events are put COMPLETED, claims of events not handled are released
 *    (deleted) so the retry need not wait for the lease, 25 per BatchWriteItem.
 *
 * A crash between 2 and 3 leaves live claims: redeliveries fail until the lease expires, then the
 * action runs again. That is the at-least-once window.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import { StateTable } from '../shared/tables';
import type { ExternalAction, StateAccess, StateItem } from '../actions/action';
import { ConcurrentUpdateError, describeError, isPoison } from './errors';
import { backoffMs, batchWrite, chunk, MAX_TRANSACTION_ITEMS, sleep, transactWrite, type WriteRequest } from './dynamo';
import { claimInTransaction, completedItem, Status } from './idempotency';
import type { PoisonRecord } from './dead-letter';
import type { EngineContext } from './engine-context';
import { forEachWithConcurrency, stopAfter, type KeyGroup, type WorkItem } from './work';

const MAX_CLAIM_ATTEMPTS = 4;

export interface ExternalContext extends EngineContext {
  readonly logger: Logger;
  /** Dead-letters one poison record; resolves to the error if it could not. */
  readonly deadLetter: (poison: PoisonRecord) => Promise<string | undefined>;
}

/** Claims the keys of `items`; returns the ones this invocation now holds. */
async function claim(items: readonly WorkItem[], ctx: ExternalContext): Promise<WorkItem[]> {
  const held: WorkItem[] = [];
  await Promise.all(
    chunk(items, MAX_TRANSACTION_ITEMS).map(async (part) => {
      let pending = part;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const nowMs = ctx.now();
        let result;
        try {
          result = await transactWrite(ctx.ddb, pending.map((item) => claimInTransaction(ctx.idempotency, item.storageKey!, nowMs)), ctx.usage);
        } catch (error) {
          for (const item of pending) item.fail(`idempotency claim failed: ${describeError(error)}`);
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
          else if (reason?.currentStatus === Status.Completed) item.outcome = 'duplicate';
          else item.fail(`idempotency key claimed by another invocation (${reason?.code ?? 'TransactionCanceled'}); will be retried`);
        });
        if (attempt >= MAX_CLAIM_ATTEMPTS) {
          for (const item of survivors) item.fail('idempotency claim kept being cancelled');
          return;
        }
        pending = survivors;
      }
    }),
  );
  return held;
}

/** State items prefetched with the batch; writes conditioned on the version last seen. */
class VersionedState implements StateAccess {
  private readonly items = new Map<string, StateItem | undefined>();

  constructor(private readonly ctx: ExternalContext) {}

  private table(): string {
    if (!this.ctx.stateTable) throw new Error('this action keeps state but the pipeline has no state table');
    return this.ctx.stateTable;
  }

  get(key: string): StateItem | undefined {
    if (!this.items.has(key)) {
      const stored = this.ctx.stateTable ? this.ctx.snapshot.get(this.ctx.stateTable, key) : undefined;
      this.items.set(key, stored ? ({ ...stored, pk: key, version: typeof stored.version === 'number' ? stored.version : 0 } as StateItem) : undefined);
    }
    return this.items.get(key);
  }

  private guard(key: string): { ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> } {
    const version = this.get(key)?.version;
    return version === undefined
      ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': StateTable.partitionKey } }
      : { ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': version } };
  }

  async put(key: string, attributes: Readonly<Record<string, unknown>>): Promise<StateItem> {
    const next: StateItem = { ...attributes, pk: key, version: (this.get(key)?.version ?? 0) + 1 };
    await this.write(key, () => new PutCommand({ TableName: this.table(), Item: { ...next, [StateTable.partitionKey]: key }, ...this.guard(key), ReturnConsumedCapacity: 'TOTAL' }));
    this.items.set(key, next);
    return next;
  }

  async delete(key: string): Promise<void> {
    if (!this.get(key)) return;
    await this.write(key, () => new DeleteCommand({ TableName: this.table(), Key: { [StateTable.partitionKey]: key }, ...this.guard(key), ReturnConsumedCapacity: 'TOTAL' }));
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
    if (item.outcome === 'failed') return stopAfter(group, item);
    if (!item.open || !held.has(item)) continue;
    if (ctx.outOfTime()) {
      item.fail('not attempted: the invocation reached its time margin');
      return stopAfter(group, item);
    }
    const event = item.actionEvent();
    try {
      item.done(await action.run(event, state), ctx.now());
    } catch (error) {
      if (isPoison(error)) {
        const dlqError = await ctx.deadLetter({ record: event.record, reason: 'action-rejected', error: describeError(error), event: event.event });
        if (dlqError === undefined) {
          item.outcome = 'poison';
          item.error = describeError(error);
          continue;
        }
        item.fail(`poison record could not be dead-lettered: ${dlqError}`);
      } else {
        item.fail(`action failed: ${describeError(error)}`);
      }
      return stopAfter(group, item);
    }
  }
}

export async function runExternal(action: ExternalAction, groups: readonly KeyGroup[], ctx: ExternalContext): Promise<void> {
  const open = groups.flatMap((g) => g.items.filter((item) => item.open));
  if (ctx.outOfTime()) {
    // Claiming keys that no record will use would only make the retry wait for their leases.
    for (const item of open) item.fail('not attempted: the invocation reached its time margin');
    return;
  }
  const held = new Set(await claim(open, ctx));
  for (const group of groups) {
    const failed = group.items.find((item) => item.outcome === 'failed');
    if (failed) stopAfter(group, failed);
  }
  const state = new VersionedState(ctx);
  await forEachWithConcurrency(groups, ctx.concurrency, (group) => runGroup(action, group, held, state, ctx));

  const nowMs = ctx.now();
  const writes: WriteRequest[] = [...held].map((item) =>
    item.outcome === 'processed' || item.outcome === 'stale' || item.outcome === 'poison'
      ? { PutRequest: { Item: completedItem(ctx.idempotency, item.storageKey!, nowMs) } }
      : { DeleteRequest: { Key: { pk: item.storageKey! } } },
  );
  await recordCompletion(writes, ctx);
}

/** Attempts at the completion write before the keys are left to their leases. */
const COMPLETION_ATTEMPTS = 5;

/**
 * The effects already happened, so the completion write is worth retrying through a short DynamoDB
 * blip (the writes are idempotent: COMPLETED puts and claim deletes). If it still fails, the keys stay
 * claimed until the lease ends: a redelivery in that window is failed and retried, and one after it
 * runs the action again (at-least-once).
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
