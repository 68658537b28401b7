/**
 * The reconciliation against real DynamoDB Local and SQS (fauxqs): the readers fetch what a
 * processor would have left behind, and the judge must tell a clean run from each kind of failure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { emulatorEndpointsFromEnv, endpointEnv, startEmulators, type RunningEmulators } from '../../local/emulators';
import { POISON_RECORD_KIND, POISON_RECORD_VERSION, PoisonReason, type PoisonRecordMessage } from '../../lambdas/shared/dlq-message';
import { IdempotencyOutcome, idempotencyStorageKey as storageKey } from '../../lambdas/shared/tables';
import { Ledger } from '../../scenario/judge/ledger';
import { readDlq, readIdempotencyKeys, scanByPrefix } from '../../scenario/aws/stores';
import { reconcilePipeline, type ReconcileOptions } from '../../scenario/judge/reconcile-pipeline';
import { ordersJudge, type OrderState } from '../../scenario/workloads/orders';
import { telemetryJudge } from '../../scenario/workloads/telemetry';
import { poisonRecord } from '../../scenario/workloads/poison-records';
import type { CloudEvent } from '../../lambdas/shared/envelope';

const runId = `t${randomBytes(3).toString('hex')}`;
const source = `/stream-pipeline/scenario/${runId}/orders`;
const idempotencyTable = `recon-${runId}-idempotency`;
const stateTable = `recon-${runId}-state`;
let emulators: RunningEmulators | undefined;
let ddb: DynamoDBDocumentClient;
let sqs: SQSClient;
let dlqUrl: string;

const shard = 'shardId-000000000000';
let seq = 1000n;
const ok = () => ({ ok: true as const, shardId: shard, sequenceNumber: String(++seq), attempts: 1 });

function orderEvent(n: number, order: string, status: string, timeMs: number): CloudEvent {
  return { specversion: '1.0', id: `${runId}-${n}`, source, type: 'order.status-changed', subject: order, time: new Date(timeMs).toISOString(), data: { status } };
}

/** A ledger: order A created → paid; an out-of-order "created" for B after its "paid"; a duplicate; one poison. */
function buildLedger(): Ledger {
  const ledger = new Ledger();
  const t = Date.parse('2026-11-25T10:00:00Z');
  const a = `order-${runId}-A`;
  const b = `order-${runId}-B`;
  const put = (event: CloudEvent, injected?: 'duplicate' | 'out-of-order' | 'late') => (ledger.addEvent('orders', event, injected).outcome = ok());
  put(orderEvent(1, a, 'created', t));
  put(orderEvent(2, a, 'paid', t + 1000));
  put(orderEvent(2, a, 'paid', t + 1000), 'duplicate');
  put(orderEvent(4, b, 'paid', t + 2000));
  put(orderEvent(3, b, 'created', t + 1500), 'out-of-order');
  const poison = ledger.addPoison('orders', poisonRecord('invalid-envelope', 'orders', runId, 0, 'order.status-changed'));
  poison.outcome = ok();
  return ledger;
}

function poisonMessage(ledger: Ledger): PoisonRecordMessage {
  const p = ledger.poison[0];
  assert.ok(p?.outcome?.ok);
  return {
    kind: POISON_RECORD_KIND,
    version: POISON_RECORD_VERSION,
    pipeline: 'orders',
    reason: PoisonReason.InvalidEnvelope,
    error: 'specversion: is required; time: must be an RFC 3339 timestamp',
    time: new Date().toISOString(),
    record: {
      data: Buffer.from(p.record.data).toString('base64'),
      partitionKey: p.record.partitionKey,
      shardId: p.outcome.shardId,
      sequenceNumber: p.outcome.sequenceNumber,
      approximateArrivalTimestamp: new Date().toISOString(),
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/x',
    },
  };
}

/** Writes what a correct processor leaves behind: completed keys, newest state, poison in the DLQ. */
/** What each event of buildLedger() did, by its number: B's out-of-order "created" (3) was kept out. */
const CORRECT_OUTCOMES: Readonly<Record<string, IdempotencyOutcome>> = { 1: IdempotencyOutcome.Processed, 2: IdempotencyOutcome.Processed, 3: IdempotencyOutcome.Stale, 4: IdempotencyOutcome.Processed };

async function writeKey(n: number, outcome: IdempotencyOutcome | undefined): Promise<void> {
  await ddb.send(new PutCommand({ TableName: idempotencyTable, Item: { pk: storageKey(`${source}#${runId}-${n}`), status: 'COMPLETED', expiresAt: 4_000_000_000, ...(outcome ? { outcome } : {}) } }));
}

async function writeCorrectOutcome(ledger: Ledger): Promise<void> {
  for (const n of new Set(ledger.events.map((e) => Number(e.event.id.slice(e.event.id.lastIndexOf('-') + 1))))) await writeKey(n, CORRECT_OUTCOMES[n]);
  await ddb.send(new PutCommand({ TableName: stateTable, Item: { pk: `order-${runId}-A`, version: 1, status: 'paid', eventId: `${runId}-2` } }));
  await ddb.send(new PutCommand({ TableName: stateTable, Item: { pk: `order-${runId}-B`, version: 1, status: 'paid', eventId: `${runId}-4` } }));
  await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: JSON.stringify(poisonMessage(ledger)) }));
}

async function observeAndReconcile(ledger: Ledger) {
  const [keys, dlq, items] = await Promise.all([
    readIdempotencyKeys(ddb, idempotencyTable, source),
    readDlq(sqs, dlqUrl),
    scanByPrefix(ddb, stateTable, `order-${runId}-`),
  ]);
  const state = new Map<string, OrderState>(
    items.map((i) => [String(i.pk), { pk: String(i.pk), status: i.status as string, eventId: i.eventId as string, appliedEvents: i.appliedEvents as number | undefined }]),
  );
  const input: ReconcileOptions = {
    pipeline: 'orders',
    action: 'orders',
    events: ledger.events,
    poison: ledger.poison,
    observed: { idempotency: keys.statuses, outcomes: keys.outcomes, poisonMessages: dlq.poison, onFailure: dlq.onFailure, unreadableDlqMessages: dlq.unreadable },
    storageKey,
    judge: ordersJudge(state),
  };
  return reconcilePipeline(input);
}

before(async () => {
  let endpoints = emulatorEndpointsFromEnv();
  if (!endpoints) {
    emulators = await startEmulators();
    endpoints = emulators.endpoints;
  }
  Object.assign(process.env, endpointEnv(endpoints));
  ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  sqs = new SQSClient({});
  for (const TableName of [idempotencyTable, stateTable]) {
    await ddb.send(
      new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }] }),
    );
  }
  const created = await sqs.send(new CreateQueueCommand({ QueueName: `recon-${runId}-dlq` }));
  dlqUrl = created.QueueUrl ?? '';
});

after(async () => {
  await sqs?.send(new DeleteQueueCommand({ QueueUrl: dlqUrl })).catch(() => undefined);
  ddb?.destroy();
  sqs?.destroy();
  await emulators?.stop();
});

describe('scenario reconciliation against DynamoDB Local and SQS', () => {
  const ledger = buildLedger();

  it('a correct outcome reconciles: each event once, the stale one kept out, the poison record in the DLQ with its reason', async () => {
    await writeCorrectOutcome(ledger);
    const result = await observeAndReconcile(ledger);
    assert.deepEqual(result.problems, []);
    assert.equal(result.counts.events, 4);
    assert.equal(result.counts.duplicatesInjected, 1);
    assert.equal(result.counts.appliedOnce, 3);
    assert.equal(result.counts.staleAcknowledged, 1, 'the out-of-order "created" of B is older than its "paid"');
    assert.equal(result.counts.lost, 0);
    assert.equal(result.counts.poisonInDlq, 1);
    assert.equal(result.poison[0]?.reason, PoisonReason.InvalidEnvelope);
    assert.deepEqual([result.counts.orderKeysChecked, result.counts.outOfPutOrder], [2, 0], 'both orders applied in put order, event by event');
    assert.ok(!result.caveats.some((c) => c.includes('record no outcome')), result.caveats.join('\n'));
  });

  it('an order whose newer event was applied before an older one is named event by event, as not applied in put order', async () => {
    // What reading a child shard before its parent was finished leaves: A's "paid" (2, on the child) was
    // applied first, so its "created" (1, put before it, still on the parent) came too late and was kept out.
    await writeKey(1, IdempotencyOutcome.Stale);
    try {
      const result = await observeAndReconcile(ledger);
      assert.equal(result.counts.outOfPutOrder, 1);
      const named = result.problems.filter((p) => p.includes('not applied in put order'));
      assert.deepEqual(named.length, 1, result.problems.join('\n'));
      assert.ok(named[0]?.includes(`${runId}-1`) && named[0].includes('expected applied') && named[0].includes('STALE'), named[0]);
      assert.deepEqual(result.events.filter((e) => e.verdict === 'out-of-put-order').map((e) => e.subject), [`order-${runId}-A`]);
      assert.equal(result.counts.lost, 0, 'not a lost event: its key is completed');
    } finally {
      await writeKey(1, IdempotencyOutcome.Processed);
    }
  });

  it('an older event applied after a newer one of its key (kept out in put order) is named too', async () => {
    await writeKey(3, IdempotencyOutcome.Processed);
    try {
      const result = await observeAndReconcile(ledger);
      assert.equal(result.counts.outOfPutOrder, 1);
      assert.ok(result.problems.some((p) => p.includes(`${runId}-3`) && p.includes('expected stale') && p.includes('PROCESSED')), result.problems.join('\n'));
    } finally {
      await writeKey(3, IdempotencyOutcome.Stale);
    }
  });

  it('keys that record no outcome are said to limit the order check, not passed silently', async () => {
    await writeKey(1, undefined);
    try {
      const result = await observeAndReconcile(ledger);
      assert.deepEqual(result.problems, []);
      assert.equal(result.counts.orderKeysChecked, 1, 'order A is not checked event by event');
      assert.match(result.caveats.join(' '), /record no outcome/);
    } finally {
      await writeKey(1, IdempotencyOutcome.Processed);
    }
  });

  it('reading the DLQ leaves its messages there for the operator', async () => {
    const again = await readDlq(sqs, dlqUrl);
    assert.equal(again.poison.length, 1);
  });

  it('a missing idempotency key is a lost event, named', async () => {
    const lostKey = storageKey(`${source}#${runId}-4`);
    await ddb.send(new DeleteCommand({ TableName: idempotencyTable, Key: { pk: lostKey } }));
    const result = await observeAndReconcile(ledger);
    assert.equal(result.counts.lost, 1);
    assert.ok(result.problems.some((p) => p.includes(`${runId}-4`) && p.includes('lost')), result.problems.join('\n'));
    await ddb.send(new PutCommand({ TableName: idempotencyTable, Item: { pk: lostKey, status: 'COMPLETED' } }));
  });

  it('state set by an older event (a regression) and a count above the events applied are both caught', async () => {
    await ddb.send(new PutCommand({ TableName: stateTable, Item: { pk: `order-${runId}-B`, version: 2, status: 'created', eventId: `${runId}-3` } }));
    await ddb.send(new PutCommand({ TableName: stateTable, Item: { pk: `order-${runId}-A`, version: 3, status: 'paid', eventId: `${runId}-2`, appliedEvents: 3 } }));
    const result = await observeAndReconcile(ledger);
    assert.equal(result.counts.appliedTwice, 1, 'order A counts 3 applications of 2 events');
    assert.ok(result.problems.some((p) => p.includes(`order-${runId}-B`) && p.includes('status created')), result.problems.join('\n'));
  });

  it('a poison record missing from the DLQ is reported', async () => {
    const withExtra = new Ledger();
    withExtra.events.push(...ledger.events);
    withExtra.poison.push(...ledger.poison);
    const extra = withExtra.addPoison('orders', poisonRecord('not-json', 'orders', runId, 1, 'order.status-changed'));
    extra.outcome = ok();
    const result = await observeAndReconcile(withExtra);
    assert.equal(result.counts.poisonPut, 2);
    assert.equal(result.counts.poisonInDlq, 1);
    assert.ok(result.problems.some((p) => p.includes('not-json') && p.includes('not in the DLQ')), result.problems.join('\n'));
  });
});

describe('a batch the event source mapping gave up', () => {
  it('is a problem even when every record it covers was applied in the end', () => {
    const ledger = new Ledger();
    const event: CloudEvent = { specversion: '1.0', id: `${runId}-g1`, source, type: 'order.status-changed', subject: 'order-g', time: new Date().toISOString(), data: { status: 'paid' } };
    const entry = ledger.addEvent('orders', event);
    entry.outcome = ok();
    const range = { condition: 'RetryAttemptsExhausted', shardId: shard, startSequenceNumber: entry.outcome.sequenceNumber, endSequenceNumber: entry.outcome.sequenceNumber, batchSize: 1 };
    const result = reconcilePipeline({
      pipeline: 'orders',
      action: 'orders',
      events: ledger.events,
      poison: [],
      observed: {
        idempotency: new Map([[storageKey(`${source}#${runId}-g1`), 'COMPLETED']]),
        poisonMessages: [],
        onFailure: [range],
        unreadableDlqMessages: [],
      },
      storageKey,
      judge: ordersJudge(new Map([['order-g', { pk: 'order-g', status: 'paid', eventId: `${runId}-g1`, appliedEvents: 1 }]])),
    });
    assert.equal(result.counts.batchesGivenUp, 1);
    assert.equal(result.counts.appliedOnce, 1);
    assert.ok(result.problems.some((p) => p.includes('gave up a batch (RetryAttemptsExhausted)') && p.includes('covering 1 record(s)')), result.problems.join('\n'));
  });
});

describe('an external action key left IN_PROGRESS', () => {
  const ledger = new Ledger();
  const reading: CloudEvent = { specversion: '1.0', id: `${runId}-r1`, source, type: 'equipment.reading', subject: 'device-1', time: new Date().toISOString(), data: { readings: { temperatureC: 50 } } };
  ledger.addEvent('telemetry', reading).outcome = ok();
  const judge = (processedByMetrics: number) =>
    reconcilePipeline({
      pipeline: 'telemetry',
      action: 'telemetry',
      events: ledger.events,
      poison: [],
      observed: { idempotency: new Map([[storageKey(`${source}#${runId}-r1`), 'IN_PROGRESS']]), poisonMessages: [], onFailure: [], unreadableDlqMessages: [] },
      storageKey,
      judge: telemetryJudge([], () => []),
      processedByMetrics,
    });

  it('counts as applied with its completion unrecorded when the pipeline reports every event processed, with a note', () => {
    const result = judge(1);
    assert.deepEqual(result.problems, []);
    assert.equal(result.counts.completionUnrecorded, 1);
    assert.equal(result.counts.appliedOnce, 1);
    assert.match(result.caveats.join(' '), /stayed IN_PROGRESS/);
  });

  it('is still pending, and a problem, when the pipeline has not processed every event', () => {
    const result = judge(0);
    assert.equal(result.counts.pending, 1);
    assert.ok(result.problems.some((p) => p.includes('pending')));
  });
});
