/**
 * A stranger's corpus, put raw on the embedded local target: the real stack (cdk.out), the real
 * processor bundles, the event source mappings with AWS's retry and on-failure semantics. Hostile
 * records of every class mixed with valid events go to the `orders` and `telemetry` streams through
 * the plain Kinesis API (PutRecords, no producer-side validation). When the mappings are done:
 * every valid event applied once, every hostile record on the DLQ once with a reason, and no
 * on-failure record (no batch given up, no shard blocked).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import * as fc from 'fast-check';
import { receiveAll, release } from '../../client/operations/dlq-queue';
import { loadConfig, pipelineResourceNames } from '../../lib/config';
import { idempotencyStorageKey as storageKey } from '../../lambdas/shared/tables';
import { emulatorEndpointsFromEnv, startLocalAws, type LocalAwsInstance } from '../../local';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators';
import { observeTopic } from '../processor/support/aws';
import { asIs, type EventParts } from './arbitraries/envelopes';
import { ordersProfile } from './arbitraries/orders';
import type { ActionProfile } from './arbitraries/profile';
import { EVERYTHING } from './arbitraries/mixes';
import { scenarios, type ClassWeights } from './arbitraries/scenario';
import { telemetryConfig, telemetryProfile } from './arbitraries/telemetry';
import { nestedObjects } from './support/json-text';
import { judgeDeadLetters } from './oracles/delivery';
import { judgeIdempotency } from './oracles/idempotency';
import { judgeOrders } from './oracles/orders';
import { deviceOf, judgeAlerts } from './oracles/telemetry';
import { compareSequenceNumbers } from './support/deliver';
import { Materializer, placed, type PlannedRecord, type SentUser } from './support/materialize';
import { deadLetterOf, readItems, readPublished, type DeadLetter } from './support/observe';
import { RUN, poison, timePlaceholder, valid, type RecordPlan } from './support/plan';
import { seedFor } from './support/settings';

const suffix = `-rc${randomBytes(2).toString('hex')}`;
const stackName = loadConfig().stackName;
const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };

/** Every class a stranger's producer can put on a stream through the plain API (records with lone surrogates in their partition keys cannot be sent: `sendable`). */
const corpusWeights: ClassWeights = EVERYTHING;

const plain = (parts: EventParts, id: string): RecordPlan => ({ kind: 'plain', user: asIs(parts)(id) });
const order = (n: number, data: string, label: string, expect = valid, time = timePlaceholder(-60_000 * n)): EventParts => ({
  label,
  expect,
  type: 'order.status-changed',
  subject: `${RUN}-issue-order-${n}`,
  partitionKey: `${RUN}-issue-order-${n}`,
  time: JSON.stringify(time),
  data,
});

/** The records of issue 10's report: what took ten valid orders down with it. */
function issueCorpus(): RecordPlan[] {
  const valids = Array.from({ length: 10 }, (_, n) => plain(order(n, '{"status":"created","total":42}', 'issue/valid order'), `issue-${n}`));
  return [
    ...valids.slice(0, 5),
    // Within DynamoDB's range (contract 5): stored, though the issue saw it take its transaction down.
    plain(order(20, '{"status":"created","total":1e20}', 'issue/order total 1e20'), 'issue-20'),
    plain(order(23, '{"status":"created","total":1e200}', 'issue/order total 1e200', poison('store-rejected')), 'issue-23'),
    plain(order(21, `{"status":"created","deep":${nestedObjects(100_000)}}`, 'issue/order nested 100 000 levels', poison('action-failed', 'store-rejected')), 'issue-21'),
    plain(order(22, '{"status":"created"}', 'issue/order dated an hour ahead', poison('time-in-future'), timePlaceholder(3_600_000)), 'issue-22'),
    { kind: 'aggregate', users: [0, 1, 2].map((j) => asIs(order(30 + j, '{"status":"paid"}', 'issue/KPL aggregate of 3'))(`issue-3${j}`)) },
    plain({ ...order(40, '{"status":"créée","note":"注文 👩‍💻"}', 'issue/unicode order'), subject: `${RUN}-заказ-40`, partitionKey: `${RUN}-заказ-40` }, 'issue-40'),
    ...valids.slice(5),
  ];
}

/**
 * A record to put; `explicitHashKey` places it on a shard regardless of its partition key. The KPL
 * aggregates only user records bound for one shard, so an entity's events stay on one shard and in
 * order (the README: ordering is per partition key). The generated aggregates mix any keys, so each
 * scenario's records go to one shard of their own: every entity (named per scenario) keeps its order,
 * and the scenarios still spread over the shards.
 */
interface CorpusRecord extends PlannedRecord {
  readonly explicitHashKey?: string;
}

/** A 128-bit hash key (decimal) derived from `text`. */
const hashKeyOf = (text: string): string => BigInt(`0x${createHash('md5').update(text).digest('hex')}`).toString();

/** Kinesis accepts partition keys of 1 to 256 Unicode characters: lone surrogates cannot be sent. */
const sendable = (record: PlannedRecord): boolean => record.partitionKey.length >= 1 && record.partitionKey.length <= 256 && !/[\ud800-\udfff]/.test(record.partitionKey.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));

/** Generated records, seeded (FUZZ_SEED), several scenarios' worth. */
const CORPUS_RECORDS = 80;

function corpus(profile: ActionProfile, extra: RecordPlan[], token: string): CorpusRecord[] {
  const nowMs = Date.now();
  // Each sampled scenario numbers its events from e0: a token of its own keeps their ids apart.
  const generated = fc
    .sample(scenarios(profile, corpusWeights, { maxRecords: 40, maxBatches: 1, poisonRepeats: false }), { seed: seedFor(`raw corpus ${profile.name}`), numRuns: 40 })
    .flatMap((scenario, i) => {
      const materializer = new Materializer(`${token}s${i}`, nowMs);
      const explicitHashKey = hashKeyOf(`${token}s${i}`);
      return scenario.batches.flatMap((b) => b.records.map((plan): CorpusRecord => ({ ...materializer.record(plan), explicitHashKey })));
    })
    .slice(0, CORPUS_RECORDS);
  const materializer = new Materializer(token, nowMs);
  return [...generated, ...extra.map((plan) => materializer.record(plan))].filter(sendable);
}

/** PutRecords in request-size chunks, re-putting only the records Kinesis refused; returns each record's users at their positions. */
async function putRaw(kinesis: KinesisClient, streamName: string, records: readonly CorpusRecord[]): Promise<SentUser[]> {
  const users: SentUser[] = [];
  let pending = [...records];
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > 10) throw new Error(`Kinesis kept refusing ${pending.length} records`);
    const refused: CorpusRecord[] = [];
    for (let i = 0; i < pending.length; ) {
      const chunk: CorpusRecord[] = [];
      let bytes = 0;
      while (i < pending.length && chunk.length < 500 && bytes + pending[i]!.data.length < 4 * 1024 * 1024) {
        bytes += pending[i]!.data.length;
        chunk.push(pending[i++]!);
      }
      const entries: PutRecordsRequestEntry[] = chunk.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data, ...(r.explicitHashKey ? { ExplicitHashKey: r.explicitHashKey } : {}) }));
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: entries }));
      const arrivalMs = Date.now();
      out.Records!.forEach((result, j) => {
        if (result.SequenceNumber && result.ShardId) users.push(...placed(chunk[j]!, { shardId: result.ShardId, sequenceNumber: result.SequenceNumber, arrivalMs, batch: 0 }));
        else refused.push(chunk[j]!);
      });
    }
    pending = refused;
  }
  return users.sort((a, b) => a.shardId.localeCompare(b.shardId) || compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber) || (a.subSequenceNumber ?? -1) - (b.subSequenceNumber ?? -1));
}

/**
 * Devices whose valid readings went under more than one Kinesis partition key (KPL aggregates are led by
 * their first user record's key): the telemetry mapping runs two batches of a shard at once
 * (parallelization factor 2), keeping order per partition key only, so their readings have no order.
 */
function unorderedDevices(records: readonly CorpusRecord[]): Set<string> {
  const keys = new Map<string, Set<string>>();
  for (const record of records) {
    for (const user of record.users) {
      if (user.expect.kind !== 'valid' || !user.event) continue;
      const device = deviceOf(user);
      keys.set(device, (keys.get(device) ?? new Set()).add(record.partitionKey));
    }
  }
  return new Set([...keys].filter(([, set]) => set.size > 1).map(([device]) => device));
}

/** `source#id` of any record whose bytes carry a JSON object with string `id` and `source`. */
function identityOf(user: SentUser): string | undefined {
  if (user.event) return user.event.key;
  try {
    const parsed = JSON.parse(user.bytes.toString('utf8')) as { id?: unknown; source?: unknown };
    return typeof parsed?.id === 'string' && typeof parsed.source === 'string' ? `${parsed.source}#${parsed.id}` : undefined;
  } catch {
    return undefined;
  }
}

describe('a raw hostile corpus on the local target', () => {
  let localAws: LocalAwsInstance;
  let kinesis: KinesisClient;
  let sqs: SQSClient;

  before(async () => {
    const emulators = emulatorEndpointsFromEnv();
    if (!emulators) throw new Error('run through npm test: the emulator endpoints are not set');
    localAws = await startLocalAws({ emulators, verbose: false, resourceNameSuffix: suffix, pollIntervalMs: 250 });
    kinesis = new KinesisClient({ ...common, endpoint: localAws.endpoints.kinesis, requestHandler: new NodeHttpHandler() });
    sqs = new SQSClient({ ...common, endpoint: localAws.endpoints.sqs });
  });

  after(async () => {
    kinesis?.destroy();
    sqs?.destroy();
    await localAws?.stop();
  });

  const queueUrlOf = (dlqName: string): string => {
    const queue = Object.values(localAws.resources).find((r) => r.type === 'AWS::SQS::Queue' && r.physicalId.endsWith(`/${dlqName}${suffix}`));
    if (!queue) throw new Error(`no queue ${dlqName}${suffix} deployed`);
    return queue.physicalId;
  };

  /** The DLQ as it is now, left in the queue. */
  const peek = async (queueUrl: string): Promise<DeadLetter[]> => {
    const messages = await receiveAll(sqs, queueUrl, { visibilityTimeoutSeconds: 5 });
    await release(sqs, queueUrl, messages);
    return messages.map((m) => deadLetterOf(m.raw));
  };

  /**
   * Waits until the mapping is done with every record: each one applied, dead-lettered, or inside a
   * range the mapping gave up; then until the DLQ stops growing (late copies would show).
   */
  async function settle(queueUrl: string, idempotencyTable: string, users: readonly SentUser[], timeoutMs = 60_000): Promise<DeadLetter[]> {
    const deadline = Date.now() + timeoutMs;
    let previous = -1;
    for (;;) {
      const letters = await peek(queueUrl);
      const positions = new Set(letters.flatMap((l) => (l.message ? [`${l.message.record.sequenceNumber}/${l.message.record.subSequenceNumber ?? '-'}`] : [])));
      const gaveUp = letters.flatMap((l) => (l.gaveUp ? [l.gaveUp] : []));
      const covered = (u: SentUser) =>
        positions.has(`${u.sequenceNumber}/${u.subSequenceNumber ?? '-'}`) ||
        gaveUp.some((g) => g.shardId === u.shardId && compareSequenceNumbers(g.startSequenceNumber, u.sequenceNumber) <= 0 && compareSequenceNumbers(u.sequenceNumber, g.endSequenceNumber) <= 0);
      // A record is done when it is dead-lettered, given up, or (whatever it should have been) completed.
      const keys = new Map(users.filter((u) => !covered(u)).flatMap((u) => (identityOf(u) ? [[u, storageKey(identityOf(u)!)] as const] : [])));
      const items = await readItems(idempotencyTable, keys.values());
      const open = users.filter((u) => {
        if (covered(u)) return false;
        const read = keys.has(u) ? items.get(keys.get(u)!) : undefined;
        return !(read && 'item' in read && read.item?.status === 'COMPLETED');
      });
      if ((open.length === 0 && letters.length === previous) || Date.now() > deadline) return letters;
      previous = open.length === 0 ? letters.length : -1;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  it('orders: every valid order applied once, every hostile record dead-lettered once, no batch given up', async (t) => {
    const names = pipelineResourceNames(stackName, 'orders');
    const records = corpus(ordersProfile, issueCorpus(), `${suffix.slice(1)}x${randomBytes(2).toString('hex')}`);
    const users = await putRaw(kinesis, names.streamName + suffix, records);
    t.diagnostic(`${records.length} Kinesis records, ${users.length} user records (${users.filter((u) => u.expect.kind === 'poison').length} hostile, ${users.filter((u) => u.expect.kind === 'poison-unless-stale').length} refused unless stale)`);
    const letters = await settle(queueUrlOf(names.dlqName), names.idempotencyTableName + suffix, users);
    const verdict = judgeDeadLetters(users, letters);
    const violations = [
      ...verdict.violations,
      ...(await judgeIdempotency(names.idempotencyTableName + suffix, verdict.applied)),
      ...(await judgeOrders(names.stateTableName + suffix, verdict, users, { details: false })),
    ];
    assert.deepEqual(violations, []);
  });

  it('telemetry: every valid reading completed once with one alert per incident, every hostile record dead-lettered once, no batch given up', async (t) => {
    const names = pipelineResourceNames(stackName, 'telemetry');
    const topic = Object.values(localAws.resources).find((r) => r.type === 'AWS::SNS::Topic' && r.physicalId.endsWith(`:${names.alertsTopicName}${suffix}`));
    assert.ok(topic, 'the alerts topic is deployed');
    const observer = await observeTopic(topic.physicalId, `raw-corpus-alerts${suffix}`);
    try {
      const token = `${suffix.slice(1)}y${randomBytes(2).toString('hex')}`;
      const extra: RecordPlan[] = [
        plain({ label: 'issue/reading 1e20', expect: valid, type: 'equipment.reading', subject: `${RUN}-issue-dev-1`, partitionKey: `${RUN}-issue-dev-1`, data: '{"readings":{"temperatureC":1e20}}' }, 'issue-t1'),
        plain({ label: 'issue/reading 1e200', expect: poison('store-rejected'), type: 'equipment.reading', subject: `${RUN}-issue-dev-9`, partitionKey: `${RUN}-issue-dev-9`, data: '{"readings":{"temperatureC":1e200}}' }, 'issue-t9'),
        plain({ label: 'issue/deviceId of 2100 characters', expect: poison('store-rejected'), type: 'equipment.reading', subject: `${RUN}-issue-dev-2`, partitionKey: `${RUN}-issue-dev-2`, data: JSON.stringify({ deviceId: 'd'.repeat(2100), readings: { pressureBar: 5 } }) }, 'issue-t2'),
        ...Array.from({ length: 5 }, (_, n) => plain({ label: 'issue/valid reading', expect: valid, type: 'equipment.reading', subject: `${RUN}-issue-dev-${3 + n}`, partitionKey: `${RUN}-issue-dev-${3 + n}`, data: '{"readings":{"temperatureC":95}}' }, `issue-t${3 + n}`)),
      ];
      const records = corpus(telemetryProfile, extra, token);
      const users = await putRaw(kinesis, names.streamName + suffix, records);
      t.diagnostic(`${records.length} Kinesis records, ${users.length} user records (${users.filter((u) => u.expect.kind === 'poison').length} hostile, ${users.filter((u) => u.expect.kind === 'poison-unless-stale').length} refused unless stale)`);
      const letters = await settle(queueUrlOf(names.dlqName), names.idempotencyTableName + suffix, users);
      const verdict = judgeDeadLetters(users, letters);
      const published = (await readPublished(observer.queueUrl)).filter((body) => body.includes(token));
      const unordered = unorderedDevices(records);
      t.diagnostic(`${unordered.size} device(s) without an order of their readings (several partition keys): their alerts judged without one`);
      const violations = [
        ...verdict.violations,
        ...(await judgeIdempotency(names.idempotencyTableName + suffix, verdict.applied)),
        ...judgeAlerts(published, verdict.applied, verdict.refused, telemetryConfig, unordered),
      ];
      assert.deepEqual(violations, []);
    } finally {
      await observer.cleanup();
    }
  });
});
