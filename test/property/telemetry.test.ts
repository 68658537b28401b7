/**
 * Property tests of the `telemetry` pipeline (external action: SNS alerts, incident state): the
 * real processor on DynamoDB Local and fauxqs (SNS observed through a subscribed queue), fed generated
 * batches of readings mixed with every hostile class. One alert per incident, whatever comes in.
 */
import { after, before } from 'node:test';
import { telemetry } from '../../lambdas/actions/telemetry';
import { sns } from '../processor/support/aws';
import { createTestPipeline, type TestPipeline } from '../processor/support/pipeline';
import { ACROSS_BATCHES, CLEAN, EVERYTHING, FUTURE_DATED, REDELIVERED, STORE_EDGE, UNREADABLE } from './arbitraries/mixes';
import { telemetryConfig, telemetryProfile } from './arbitraries/telemetry';
import { judgeIdempotency } from './oracles/idempotency';
import { judgeAlerts } from './oracles/telemetry';
import { propertiesOf, type ActionJudge } from './support/property';

let pipeline: TestPipeline;
before(async () => {
  pipeline = await createTestPipeline('fuzz-telemetry', telemetry(sns), { withTopic: true, settings: { telemetryConfigJson: JSON.stringify(telemetryConfig) } });
});
after(async () => pipeline?.cleanup());

const judge: ActionJudge = async ({ verdict, published }) => [
  ...(await judgeIdempotency(pipeline.settings.idempotencyTableName, verdict.applied)),
  ...judgeAlerts(published, verdict.applied, verdict.refused, telemetryConfig),
];

const property = propertiesOf(telemetryProfile, () => pipeline, judge, { withTopic: true });

property('readings, producer duplicates and redeliveries: one alert per incident, every reading completed once, nothing dead-lettered', CLEAN, { minBatches: 2, redeliveries: true });

property('readings among undecodable bytes, invalid envelopes, unknown types, rejected readings and KPL aggregates: one alert per incident, each poison record dead-lettered once, no batch item failure', UNREADABLE);

property("readings at the store's edge: values DynamoDB holds are applied, values it cannot hold and device keys over 2048 bytes are store-rejected once (an alert at most once), and take no neighbour down", STORE_EDGE);

property('readings dated beyond the clock-skew allowance are dead-lettered as time-in-future', FUTURE_DATED);

property('incident state written by one batch never makes a later batch of the same devices fail', ACROSS_BATCHES, { minBatches: 2 });

property('redelivered batches dead-letter each poison record once and alert once per incident', REDELIVERED, { redeliveries: true });

property('every hostile class at once, redelivered', EVERYTHING, { minBatches: 2, redeliveries: true });
