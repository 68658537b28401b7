/**
 * Property tests of the `noop` pipeline (only the idempotency key is stored): any data is valid, so
 * whatever the envelope carries, a valid event is completed once and only hostile envelopes and bytes
 * reach the dead-letter queue.
 */
import { after, before } from 'node:test';
import { noop } from '../../lambdas/actions/noop';
import { createTestPipeline, type TestPipeline } from '../processor/support/pipeline';
import { CLEAN, EVERYTHING, FUTURE_DATED, STORE_EDGE, UNREADABLE } from './arbitraries/mixes';
import { noopProfile } from './arbitraries/noop';
import { judgeIdempotency } from './oracles/idempotency';
import { propertiesOf } from './support/property';

let pipeline: TestPipeline;
before(async () => {
  pipeline = await createTestPipeline('fuzz-noop', noop);
});
after(async () => pipeline?.cleanup());

const property = propertiesOf(noopProfile, () => pipeline, async ({ verdict }) => judgeIdempotency(pipeline.settings.idempotencyTableName, verdict.applied));

property('events with any data (numbers no store holds, 100 000 levels of nesting, JS-special keys), duplicates and redeliveries: each completed once, nothing dead-lettered', { ...CLEAN, exotic: 3 }, { minBatches: 2, redeliveries: true });

property('events among undecodable bytes and invalid envelopes, in KPL aggregates too: each completed once, each poison record dead-lettered once, no batch item failure', UNREADABLE);

property('identities no store could key (lone surrogates in source, id or subject) are dead-lettered once as invalid envelopes and take no neighbour down', STORE_EDGE);

property('events dated beyond the clock-skew allowance are dead-lettered as time-in-future', FUTURE_DATED);

property('every hostile class at once, redelivered', EVERYTHING, { minBatches: 2, redeliveries: true });
