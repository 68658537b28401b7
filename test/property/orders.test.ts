/**
 * Property tests of the `orders` pipeline: the real processor on DynamoDB Local and fauxqs, fed
 * generated batches that mix valid order changes with every hostile class, delivered and redelivered
 * as the event source mapping does. Each property judges the contract exactly (see oracles/).
 */
import { after, before } from 'node:test';
import { orders } from '../../lambdas/actions/orders';
import { createTestPipeline, type TestPipeline } from '../processor/support/pipeline';
import { ACROSS_BATCHES, ACTION_FAILING, CLEAN, EVERYTHING, FUTURE_DATED, MISSING_PARTITION_KEY, REDELIVERED, STORE_EDGE, UNREADABLE } from './arbitraries/mixes';
import { ordersProfile } from './arbitraries/orders';
import { judgeIdempotency } from './oracles/idempotency';
import { judgeOrders } from './oracles/orders';
import { propertiesOf, type ActionJudge } from './support/property';

let pipeline: TestPipeline;
before(async () => {
  pipeline = await createTestPipeline('fuzz-orders', orders);
});
after(async () => pipeline?.cleanup());

const judge =
  (options: { details: boolean }): ActionJudge =>
  async ({ batches, verdict }) => [
    ...(await judgeIdempotency(pipeline.settings.idempotencyTableName, verdict.applied)),
    ...(await judgeOrders(pipeline.settings.stateTableName!, verdict, batches.flatMap((b) => b.users), options)),
  ];

const property = propertiesOf(ordersProfile, () => pipeline, judge({ details: false }));

property('valid changes, producer duplicates and redeliveries: each change applied exactly once, the newest wins, nothing dead-lettered', CLEAN, { minBatches: 2, redeliveries: true });

property('valid changes among undecodable bytes, invalid envelopes, unknown types, rejected data and KPL aggregates: each applied once, each poison record dead-lettered once, no batch item failure', UNREADABLE);

property("data at the store's edge is applied once if DynamoDB holds it, else dead-lettered once as store-rejected (acknowledged if stale), and takes no neighbour down", STORE_EDGE);

property('data the action cannot walk (nesting that overflows the stack) is dead-lettered as action-failed (acknowledged if stale); its neighbours are applied', ACTION_FAILING);

property('events dated beyond the clock-skew allowance are dead-lettered as time-in-future and never freeze their order', FUTURE_DATED);

property('state written by one batch never makes a later batch of the same orders fail', ACROSS_BATCHES, { minBatches: 2 });

property("stored details are the event's data, unchanged: no key dropped, no value turned into another", STORE_EDGE, { judge: judge({ details: true }) });

property("a KPL user record naming a partition key its aggregate lacks is dead-lettered alone; the aggregate's other records are applied", MISSING_PARTITION_KEY);

property('redelivered batches (whole, or from a checkpoint) dead-letter each poison record once and apply each change once', REDELIVERED, { redeliveries: true });

property('every hostile class at once, redelivered', EVERYTHING, { minBatches: 2, redeliveries: true });
