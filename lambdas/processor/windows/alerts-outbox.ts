/**
 * Window alerts leave through an outbox: the alert item is written in the transaction that crosses the
 * threshold (./windowed-engine.ts), published right after that commit, then marked sent. A crash (or an
 * SNS outage) between the commit and the publish leaves it pending; the scheduled closer publishes every
 * alert still pending after OUTBOX_GRACE_MS. So an alert is never lost, and published more than once only
 * if a publish succeeded but its "sent" mark did not (a crash in between, or a publish slower than the
 * grace period): subscribers drop the repeat by its `alertId`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateTable } from '../../shared/tables';
import type { DynamoUsage } from '../dynamo';
import { describeError } from '../errors';
import { dueItems } from './due-index';
import { alertItemKey, PENDING_ALERTS_BUCKET, type WindowAlert } from './window-items';

/** How long a pending alert is left to the invocation that raised it before the closer publishes it. */
export const OUTBOX_GRACE_MS = 60_000;
/** Publish attempts of one alert before it is marked FAILED (and logged as an error). */
const MAX_ATTEMPTS = 20;

export interface OutboxContext {
  readonly ddb: DynamoDBDocumentClient;
  readonly usage: DynamoUsage;
  readonly stateTable: string;
  readonly logger: Logger;
  readonly now: () => number;
}

export type Deliver = (alert: WindowAlert) => Promise<void>;

async function mark(alert: WindowAlert, outcome: 'sent' | 'failed-attempt', ctx: OutboxContext): Promise<void> {
  const Key = { [StateTable.partitionKey]: alertItemKey(alert.windowStart, alert.key) };
  const out = await ctx.ddb.send(
    outcome === 'sent'
      ? new UpdateCommand({
          TableName: ctx.stateTable,
          Key,
          UpdateExpression: 'SET #status = :sent, sentAt = :now REMOVE #bucket, #dueAt',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status', '#bucket': StateTable.dueIndex.partitionKey, '#dueAt': StateTable.dueIndex.sortKey },
          ExpressionAttributeValues: { ':sent': 'SENT', ':pending': 'PENDING', ':now': ctx.now() },
          ReturnConsumedCapacity: 'TOTAL',
        })
      : new UpdateCommand({
          TableName: ctx.stateTable,
          Key,
          UpdateExpression: 'ADD attempts :one',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':one': 1, ':pending': 'PENDING' },
          ReturnConsumedCapacity: 'TOTAL',
        }),
  );
  ctx.usage.record(out.ConsumedCapacity ? [out.ConsumedCapacity] : undefined);
}

/** Publishes each alert and marks it sent; returns how many were published. Never throws. */
export async function publishAlerts(alerts: readonly WindowAlert[], deliver: Deliver, ctx: OutboxContext): Promise<number> {
  let published = 0;
  await Promise.all(
    alerts.map(async (alert) => {
      try {
        await deliver(alert);
        published += 1;
      } catch (error) {
        ctx.logger.warn('window alert not published; the closer retries it', { alertId: alert.alertId, error: describeError(error) });
        await mark(alert, 'failed-attempt', ctx).catch(() => undefined);
        return;
      }
      try {
        await mark(alert, 'sent', ctx);
      } catch (error) {
        // Already marked (another delivery), or DynamoDB down: the closer may publish it again.
        ctx.logger.warn('window alert published but not marked sent', { alertId: alert.alertId, error: describeError(error) });
      }
    }),
  );
  return published;
}

/** Alerts still pending after the grace period (for the closer): a Query on the due index. */
export async function pendingAlerts(ctx: OutboxContext): Promise<WindowAlert[]> {
  const alerts: WindowAlert[] = [];
  for await (const items of dueItems(ctx, PENDING_ALERTS_BUCKET, ctx.now() - OUTBOX_GRACE_MS)) {
    for (const item of items) {
      if (typeof item.alert !== 'object' || item.alert === null) continue;
      if (typeof item.attempts === 'number' && item.attempts >= MAX_ATTEMPTS) {
        ctx.logger.error('window alert could not be published after many attempts; left pending for an operator', { alertId: (item.alert as WindowAlert).alertId, attempts: item.attempts });
        continue;
      }
      alerts.push(item.alert as WindowAlert);
    }
  }
  return alerts;
}
