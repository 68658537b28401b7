/**
 * A short run of the `npm start` scenario on the embedded local target: the three pipelines, producer
 * duplicates, out-of-order and late events, poison records, a consumer outage, a DynamoDB outage, a
 * Kinesis outage with a producer crash, a reshard of the orders stream under load, and the returns spike
 * with late and too-late returns. The reconciliation must hold event by event (per-key order included,
 * across the reshard) and window by window, and the latency alarm must fire because of the consumer
 * outage and clear after it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { loadConfig, pipelineResourceNames } from '../../lib/config';
import { listShards } from '../../local/event-source/test-kit';
import { createKinesisClient } from '../../sdk/clients';
import { emulatorEndpointsFromEnv, startLocalAws, type LocalAwsInstance } from '../../local';
import { DEFAULT_OPTIONS, functionEnvironmentFor, planScenario, runScenario, type ScenarioOptions, type ScenarioResult } from '../../scenario';

const OPTIONS: ScenarioOptions = {
  ...DEFAULT_OPTIONS,
  ratePerSecond: 30,
  // Long enough for the four steps' windows to end before 85% of the load (the planner's rule), with load after the merge.
  durationSeconds: 75,
  consumerOutageSeconds: 10,
  dynamodbOutageSeconds: 2,
  kinesisOutageSeconds: 15,
  reshardSeconds: 5,
  drainTimeoutSeconds: 60,
  settleTimeoutSeconds: 30,
};

// Other test files deploy the same stack onto the same emulators: our own names keep us apart.
const resourceNameSuffix = `-sc${randomBytes(2).toString('hex')}`;
let localAws: LocalAwsInstance | undefined;
let result: ScenarioResult;
const reportDir = mkdtempSync(join(tmpdir(), 'scenario-report-'));

/** How many records a shard holds, read from TRIM_HORIZON to its end (a closed shard) or to the tip. */
async function recordCount(kinesis: KinesisClient, streamName: string, shardId: string): Promise<number> {
  let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  let count = 0;
  while (iterator) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    count += page.Records?.length ?? 0;
    if ((page.Records?.length ?? 0) === 0 && page.MillisBehindLatest === 0) break;
    iterator = page.NextShardIterator;
  }
  return count;
}

before(async () => {
  localAws = await startLocalAws({
    stackName: loadConfig().stackName,
    timeScale: OPTIONS.timeScale,
    emulators: emulatorEndpointsFromEnv(),
    verbose: false,
    resourceNameSuffix,
    functionEnvironment: functionEnvironmentFor(planScenario(OPTIONS), resourceNameSuffix),
    skipScheduledWhileBusy: true,
  });
  Object.assign(process.env, localAws.env);
  const target = localAws;
  result = await runScenario(
    OPTIONS,
    { setFault: (service, mode) => target.setFault(service, mode), scaleOnDemandStream: (stream, shards) => target.scaleOnDemandStream(stream, shards), resourceNameSuffix },
    { live: false, reportDir, log: () => undefined },
  );
});

after(async () => {
  await localAws?.stop();
  rmSync(reportDir, { recursive: true, force: true });
});

describe('npm start scenario, short run', () => {
  it('ran to the end through both outages and the reshard', () => {
    assert.equal(result.summary.completed, true, result.summary.stoppedBecause);
    assert.deepEqual(
      result.summary.windows.map((w) => [w.label, w.endAt !== undefined]),
      [
        ['consumer outage', true],
        ['DynamoDB outage', true],
        ['Kinesis outage', true],
        ['reshard', true],
      ],
    );
  });

  it('rode out the Kinesis outage: the spooled producer process was killed and restarted on its spool, nothing was given up', () => {
    const [spooled, inMemory] = result.summary.pipelines.map((p) => p.producer);
    assert.equal(spooled?.mode, 'spool (child process)');
    assert.equal(spooled?.crashes, 1);
    assert.ok((spooled?.recoveredOnRestart ?? 0) > 0, 'the killed process left events on its spool, and its successor sent them');
    assert.equal(inMemory?.mode, 'in memory');
    for (const p of result.summary.pipelines) {
      assert.equal(p.producer?.givenUp, 0, `${p.pipeline}: the producer gave events up`);
      // Events created during the outage waited for Kinesis: their acceptance came seconds after their time.
      assert.ok((p.producer?.acceptLatencyInOutage?.max ?? 0) > 3000, `${p.pipeline}: the outage does not show in event time → accepted`);
    }
  });

  it('resharded the orders stream under load and kept every order\'s events in put order, event by event', () => {
    const reshard = result.summary.windows.find((w) => w.label === 'reshard');
    // The local deploy gives an on-demand stream 2 shards: split to 4, merged back to 2 (2 + 4 + 2 in its lineage).
    assert.equal(reshard?.detail, 'orders 2 → 4 → 2 open shards (8 shards in its lineage)');
    const orders = result.reconciliation?.pipelines.find((p) => p.pipeline === 'orders');
    assert.ok(orders);
    const distinctOrders = new Set(orders.events.map((e) => e.subject)).size;
    assert.equal(orders.counts.orderKeysChecked, distinctOrders, 'every order was checked event by event');
    assert.equal(orders.counts.outOfPutOrder, 0);
    assert.ok(orders.events.every((e) => e.verdict === 'ok' && /COMPLETED (PROCESSED|STALE)/.test(e.observed)), 'every event has its outcome recorded');
    const html = readFileSync(result.summary.reportPath ?? '', 'utf8');
    assert.match(html, /reshard [\d.]+–[\d.]+ s: orders 2 → 4 → 2 open shards/);
  });

  it('applied every valid event exactly once and lost none, across both outages', () => {
    assert.deepEqual(result.summary.problems, []);
    for (const p of result.reconciliation?.pipelines ?? []) {
      assert.ok(p.counts.events > 100, `${p.pipeline}: only ${p.counts.events} events put`);
      assert.ok(p.counts.duplicatesInjected > 0, `${p.pipeline}: no duplicate was injected`);
      assert.equal(p.counts.lost, 0, `${p.pipeline} lost events`);
      assert.equal(p.counts.appliedTwice, 0, `${p.pipeline} applied events twice`);
      assert.equal(p.counts.appliedOnce + p.counts.staleAcknowledged, p.counts.events, `${p.pipeline}: not every event accounted for`);
    }
    assert.equal(result.reconciliation?.pipelines.length, 3);
    assert.equal(result.summary.ok, true);
  });

  it('put load on every generation of shards: the parents, the split children and the merged ones', async () => {
    const kinesis = createKinesisClient();
    try {
      const streamName = `${pipelineResourceNames(loadConfig().stackName, 'orders').streamName}${resourceNameSuffix}`;
      const shards = await listShards(kinesis, streamName);
      assert.equal(shards.length, 8);
      const generation = (id: string | undefined): number => {
        const shard = shards.find((s) => s.ShardId === id);
        return shard?.ParentShardId === undefined ? 0 : 1 + generation(shard.ParentShardId);
      };
      const perGeneration = [0, 0, 0];
      for (const shard of shards) perGeneration[generation(shard.ShardId)]! += await recordCount(kinesis, streamName, shard.ShardId as string);
      assert.ok(perGeneration.every((n) => n > 0), `records per generation (parents, children, merged): ${perGeneration.join(', ')}`);
    } finally {
      kinesis.destroy();
    }
  });

  it('kept out-of-order and late order changes from overwriting newer state', () => {
    const orders = result.reconciliation?.pipelines.find((p) => p.pipeline === 'orders');
    assert.ok(orders);
    assert.ok(orders.counts.staleAcknowledged > 0, 'no stale event was produced');
    assert.ok(orders.entities.length > 0 && orders.entities.every((e) => e.ok));
  });

  it('raised exactly one alert per telemetry incident', () => {
    const telemetry = result.reconciliation?.pipelines.find((p) => p.pipeline === 'telemetry');
    assert.equal(telemetry?.counts.alertsExpected, 3);
    assert.equal(telemetry?.counts.alertsReceived, 3);
  });

  it('counted every returns window exactly, alerted the spike once during its window, accounted for every too-late return', () => {
    const returns = result.reconciliation?.pipelines.find((p) => p.pipeline === 'returns');
    const w = returns?.windowed;
    assert.ok(w, 'the returns pipeline reports its windows');
    assert.ok(w.windowsClosed > 0 && w.countsMatched === w.windowsJudged, `${w.countsMatched}/${w.windowsJudged} windows matched`);
    assert.equal(w.spike.alerts, 1);
    assert.equal(w.spike.otherAlerts, 0);
    assert.ok(w.spike.alertCount !== undefined && w.spike.finalCount !== undefined && w.spike.alertCount < w.spike.finalCount, 'the alert came mid-window');
    assert.ok(w.tooLate.put > 0, 'too-late returns were put');
    assert.equal(w.tooLate.inDlq, w.tooLate.put + w.tooLate.delayed);
    // EventsTooLate counts records: a duplicate or redelivery of a too-late return counts again, never fewer.
    assert.ok((w.tooLate.metric ?? 0) >= w.tooLate.put + w.tooLate.delayed, `EventsTooLate ${w.tooLate.metric} for ${w.tooLate.put + w.tooLate.delayed} too-late returns`);
  });

  it('put every poison record in its DLQ with the right reason', () => {
    for (const p of result.reconciliation?.pipelines ?? []) {
      assert.equal(p.counts.poisonPut, 4);
      assert.equal(p.counts.poisonInDlq, 4, JSON.stringify(p.poison));
      for (const row of p.poison) assert.ok(row.error && row.error.length > 0, `${row.kind}: no error text`);
    }
  });

  it('showed the consumer outage in the latency; the latency alarm fired because of it and returned to OK after', () => {
    const outage = result.summary.windows.find((w) => w.label === 'consumer outage');
    assert.ok(outage?.endAt !== undefined);
    for (const p of result.summary.pipelines) {
      const series = result.report.series.find((s) => s.pipeline === p.pipeline);
      const after = (series?.p99 ?? []).filter((point) => point.at >= outage.startAt);
      // The backlog waited through the outage: some period's p99 is above the objective.
      assert.ok(Math.max(0, ...after.map((point) => point.value)) > p.latencyObjectiveMs, `${p.pipeline}: the outage does not show in p99 latency`);
      const alarm = p.latencyAlarm;
      assert.ok(alarm);
      // alarmOutcome only counts an ALARM transition after the outage began.
      assert.ok(alarm.firedAt !== undefined, `${p.pipeline}: ${alarm.alarmName} never went to ALARM after the consumer outage`);
      assert.ok(alarm.clearedAt !== undefined && alarm.clearedAt > alarm.firedAt, `${alarm.alarmName} did not return to OK`);
    }
  });

  it('evaluated every alarm of the stack locally: none was listed as not evaluated', () => {
    assert.ok(localAws);
    assert.deepEqual(localAws.alarms.unsupported, []);
    const evaluated = new Set(localAws.alarms.list().map((alarm) => alarm.definition.AlarmName));
    for (const name of result.report.alarmNames) assert.ok(evaluated.has(name), `${name} is evaluated locally`);
  });

  it('paged while the consumer was off: the stalled alarm fired during the outage and returned to OK after', () => {
    const outage = result.summary.windows.find((w) => w.label === 'consumer outage');
    assert.ok(outage?.endAt !== undefined);
    const outageEndS = (outage.endAt - result.report.loadStartedAt) / 1000;
    for (const p of result.summary.pipelines) {
      const alarm = p.stalledAlarm;
      assert.ok(alarm);
      const transitions = result.report.alarmTransitions.filter((t) => t.name === alarm.alarmName);
      const history = transitions.map((t) => `${((t.at.getTime() - result.report.loadStartedAt) / 1000).toFixed(1)} s ${t.to}`).join(', ');
      // On a loaded machine the alarm may also flap outside the outage (a 1-second period in which no
      // poll completed while records arrived counts as stalled), and may already be in ALARM when the
      // outage starts. What matters: it was in ALARM at some moment while the mappings were off (it pages
      // while records wait, not after the backlog completes late), went back to OK after they were
      // re-enabled, and ended the run OK.
      const stateAt = (at: number): string | undefined => transitions.filter((t) => t.at.getTime() <= at).at(-1)?.to;
      const alarmedDuring =
        stateAt(outage.startAt) === 'ALARM' || transitions.some((t) => t.to === 'ALARM' && t.at.getTime() >= outage.startAt && t.at.getTime() <= (outage.endAt as number));
      assert.ok(alarmedDuring, `${p.pipeline}: ${alarm.alarmName} was never in ALARM during the consumer outage (until ${outageEndS} s): ${history}`);
      assert.ok(
        transitions.some((t) => t.to === 'OK' && t.at.getTime() > (outage.endAt as number)) && transitions.at(-1)?.to === 'OK',
        `${alarm.alarmName} did not return to OK after the outage: ${history}`,
      );
    }
  });

  it('wrote the HTML report', () => {
    const html = readFileSync(result.summary.reportPath ?? '', 'utf8');
    assert.match(html, /<svg/);
    assert.match(html, /verdict pass/);
  });
});
