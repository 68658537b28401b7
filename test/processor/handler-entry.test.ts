/**
 * The Lambda entries the stack bundles: settings come from the environment variables the stack sets
 * (lambdas/shared/environment.ts), read at the first invocation; a missing one is a clear error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessorEnv } from '../../lambdas/shared/environment';
import { orders } from '../../lambdas/actions/orders';
import { OrderEventType } from '../../lambdas/shared/orders-events';
import { readProcessorSettings } from '../../lambdas/processor/settings';
import { createProcessor } from '../../lambdas/processor/processor';
import { noopAction } from '../../lambdas/actions/noop';
import { silentLogger } from './support/pipeline';
// Importing the entry only creates clients; its settings are read at the first invocation below.
import { handler } from '../../lambdas/handlers/orders';
import { createQueue, createTable, deleteQueue, deleteTable, documentClient, getItem, uniqueName } from './support/aws';
import { cloudEvent, kinesisEvent, lambdaContext, recordsOf } from './support/events';

const prefix = uniqueName('entry');
const names = { idempotency: `${prefix}-idempotency`, state: `${prefix}-state` };
let dlqUrl: string;
before(async () => {
  await Promise.all([createTable(names.idempotency), createTable(names.state)]);
  dlqUrl = await createQueue(`${prefix}-dlq`);
});
after(async () => Promise.all([deleteTable(names.idempotency), deleteTable(names.state), deleteQueue(dlqUrl)]));

test('the orders entry reads its settings from the environment and processes a batch', async () => {
  Object.assign(process.env, {
    [ProcessorEnv.PipelineName]: 'orders',
    [ProcessorEnv.IdempotencyTable]: names.idempotency,
    [ProcessorEnv.StateTable]: names.state,
    [ProcessorEnv.DeadLetterQueueUrl]: dlqUrl,
    [ProcessorEnv.KeyConcurrency]: '4',
    [ProcessorEnv.TimeMarginMs]: '1000',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const event = cloudEvent({ subject: 'entry-order', type: OrderEventType.StatusChanged, data: { status: 'paid' } });
  assert.deepEqual(await handler(kinesisEvent(recordsOf([event])), lambdaContext()), { batchItemFailures: [] });
  assert.equal((await getItem(names.state, 'entry-order'))?.status, 'paid');
});

test('a missing or malformed setting is named in the error', () => {
  assert.throws(() => readProcessorSettings({}), /Environment variable PIPELINE_NAME is required/);
  assert.throws(
    () => readProcessorSettings({ PIPELINE_NAME: 'p', IDEMPOTENCY_TABLE_NAME: 't', DLQ_URL: 'u', KEY_CONCURRENCY: 'many' }),
    /KEY_CONCURRENCY must be an integer >= 1, got "many"/,
  );
  const withoutStateTable = readProcessorSettings({ PIPELINE_NAME: 'p', IDEMPOTENCY_TABLE_NAME: 't', DLQ_URL: 'u' });
  assert.throws(() => orders(withoutStateTable, { dynamodb: documentClient }), /The orders action needs STATE_TABLE_NAME/);
  const settings = readProcessorSettings({ PIPELINE_NAME: 'p', IDEMPOTENCY_TABLE_NAME: 't', DLQ_URL: 'u', IDEMPOTENCY_LEASE_SECONDS: '90' });
  assert.equal(settings.leaseSeconds, 90);
  assert.equal(settings.timeMarginMs, 5000);
});

test("an action of the user's own runs only with the kind its pipeline declares (ACTION_KIND)", async () => {
  const settings = { ...readProcessorSettings({ [ProcessorEnv.PipelineName]: 'views', [ProcessorEnv.IdempotencyTable]: names.idempotency, [ProcessorEnv.DeadLetterQueueUrl]: dlqUrl }) };
  const event = kinesisEvent(recordsOf([cloudEvent({ subject: 'kind-check', type: 'com.example.page.viewed', data: {} })]));
  // Declared external, written transactional: refused at the first invocation, before any record is touched.
  const mismatched = createProcessor(() => noopAction, { settings: { ...settings, actionKind: 'external' }, logger: silentLogger() });
  await assert.rejects(mismatched(event, lambdaContext()), /The pipeline declares an? external action \(ACTION_KIND\) but its entry's action is transactional/);
  const agreeing = createProcessor(() => noopAction, { settings: { ...settings, actionKind: 'transactional' }, logger: silentLogger() });
  assert.deepEqual(await agreeing(event, lambdaContext()), { batchItemFailures: [] });
});
