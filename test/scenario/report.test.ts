/**
 * The HTML report opens offline (nothing fetched), and shows what a reader needs: the verdict, the
 * outage windows and alarm states on the time axis, the reconciliation table, the poison reasons.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alarmRows, renderReport } from '../../scenario/view/report/html';
import { DEFAULT_OPTIONS, planTimeline } from '../../scenario';
import { combine, type PipelineReconciliation } from '../../scenario/judge/reconcile-pipeline';
import type { ReportData } from '../../scenario/view/summary';

const t0 = Date.parse('2026-11-25T10:00:00Z');

function pipeline(lost: number): PipelineReconciliation {
  return {
    pipeline: 'orders',
    action: 'orders',
    counts: {
      events: 100,
      duplicatesInjected: 3,
      outOfOrderInjected: 2,
      lateInjected: 2,
      appliedOnce: 96 - lost,
      staleAcknowledged: 4,
      lost,
      appliedTwice: 0,
      pending: 0,
      completionUnrecorded: 0,
      poisonPut: 1,
      poisonInDlq: 1,
      batchesGivenUp: 0,
    },
    events: [{ id: 'e-1', subject: 'order-<1>', injected: ['late'], expected: 'stale', observed: 'key COMPLETED', verdict: 'ok' }],
    poison: [{ kind: 'not-json', partitionKey: 'poison-1', sequenceNumber: '42', reason: 'undecodable', error: 'record data is not JSON', ok: true }],
    entities: [],
    problems: lost ? ['event e-9 (order-9) lost: no key'] : [],
    caveats: [],
  };
}

function reportData(lost: number): ReportData {
  const rec = combine([pipeline(lost)]);
  return {
    summary: {
      ok: rec.ok,
      completed: true,
      runId: 'r1',
      startedAt: new Date(t0).toISOString(),
      endedAt: new Date(t0 + 60_000).toISOString(),
      options: DEFAULT_OPTIONS,
      windows: [
        { label: 'consumer outage', startAt: t0 + 12_000, endAt: t0 + 24_000 },
        { label: 'DynamoDB outage', startAt: t0 + 34_000, endAt: t0 + 37_000 },
      ],
      pipelines: [{ pipeline: 'orders', counts: pipeline(lost).counts, latencyP50: 300, latencyP99: 9000, worstPeriodP99: 12_000, latencyObjectiveMs: 5000 }],
      problems: rec.pipelines.flatMap((p) => p.problems),
      caveats: [],
    },
    loadStartedAt: t0,
    series: [{ pipeline: 'orders', p50: [{ at: t0 + 1000, value: 250 }, { at: t0 + 25_000, value: 8000 }], p99: [{ at: t0 + 1000, value: 600 }], iteratorAge: [], processed: [] }],
    seriesPeriodSeconds: 1,
    alarmNames: ['StreamPipeline-orders-EventToActionLatencyP99'],
    alarmTransitions: [
      { name: 'StreamPipeline-orders-EventToActionLatencyP99', at: new Date(t0 + 27_000), from: 'OK', to: 'ALARM' },
      { name: 'StreamPipeline-orders-EventToActionLatencyP99', at: new Date(t0 + 31_000), from: 'ALARM', to: 'OK' },
    ],
    alarmSamples: [],
    reconciliation: rec,
  };
}

describe('scenario HTML report', () => {
  it('is self-contained: no script, no stylesheet or image fetched from anywhere', () => {
    const html = renderReport(reportData(0));
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<link/i);
    assert.doesNotMatch(html, /(src|href)\s*=/i);
    // The only URL is the SVG namespace, which browsers never fetch.
    const urls = html.match(/https?:\/\/[^\s"')]+/g) ?? [];
    assert.deepEqual([...new Set(urls)], ['http://www.w3.org/2000/svg']);
  });

  it('draws the outage windows and the alarm timeline on the run time axis, and escapes what it prints', () => {
    const html = renderReport(reportData(0));
    assert.match(html, /<span class="verdict pass">PASS<\/span>/);
    assert.match(html, /consumer outage/);
    assert.match(html, /DynamoDB outage/);
    assert.match(html, /order-&lt;1&gt;/);
    const [row] = alarmRows(reportData(0), 60);
    assert.deepEqual(
      row?.segments.map((s) => [s.state, s.start, s.end]),
      [
        ['OK', 0, 27],
        ['ALARM', 27, 31],
        ['OK', 31, 60],
      ],
    );
  });

  it('a lost event turns the verdict to FAIL, lists the problem and marks the lost count', () => {
    const html = renderReport(reportData(1));
    assert.match(html, /<span class="verdict fail">FAIL<\/span>/);
    assert.match(html, /event e-9 \(order-9\) lost/);
    assert.match(html, /<td>lost<\/td><td class="bad">1<\/td>/);
  });

  it('a stopped (Ctrl-C) run calls what it could not account for open, not lost', () => {
    const data = reportData(1);
    const html = renderReport({ ...data, summary: { ...data.summary, completed: false, stoppedBecause: 'Ctrl-C' } });
    assert.match(html, /PARTIAL \(Ctrl-C\)/);
    assert.match(html, /<td>not yet accounted for \(run stopped; may still be in the stream\)<\/td><td class="">1<\/td>/);
    assert.doesNotMatch(html, /<td>lost<\/td>/);
  });
});

describe('scenario timeline', () => {
  it('puts the consumer outage first, long enough to breach the latency objective, then the DynamoDB outage', () => {
    const timeline = planTimeline({ ...DEFAULT_OPTIONS, durationSeconds: 75, steps: { ...DEFAULT_OPTIONS.steps, reshard: false } }, [5000, 3000]);
    const { consumerOutage, dynamodbOutage, kinesisOutage } = timeline.windows;
    assert.ok(consumerOutage && dynamodbOutage && kinesisOutage);
    assert.ok(consumerOutage.endMs - consumerOutage.startMs >= 10_000);
    assert.ok(dynamodbOutage.startMs > consumerOutage.endMs);
    // The Kinesis outage comes last, one latency objective after the DynamoDB outage, for its configured length.
    assert.equal(kinesisOutage.startMs, dynamodbOutage.endMs + 5000);
    assert.equal(kinesisOutage.endMs - kinesisOutage.startMs, DEFAULT_OPTIONS.kinesisOutageSeconds * 1000);
    assert.ok(kinesisOutage.endMs <= 75_000 * 0.85);
  });

  it('puts the reshard after the DynamoDB outage, with load after the merge, and sizes it by --reshard-seconds', () => {
    const withoutKinesisOutage = { ...DEFAULT_OPTIONS.steps, kinesisOutage: false };
    const { dynamodbOutage, reshard } = planTimeline({ ...DEFAULT_OPTIONS, durationSeconds: 60, steps: withoutKinesisOutage }, [5000, 3000]).windows;
    assert.ok(dynamodbOutage && reshard);
    assert.ok(reshard.startMs >= dynamodbOutage.endMs);
    assert.equal(reshard.endMs - reshard.startMs, 6000, 'by default 10% of the load, at least 6 s');
    assert.ok(reshard.endMs <= 60_000 * 0.85, 'the merged shards take load before the end');
    const longer = planTimeline({ ...DEFAULT_OPTIONS, durationSeconds: 60, reshardSeconds: 9, steps: withoutKinesisOutage }, [5000]).windows.reshard;
    assert.equal(longer && longer.endMs - longer.startMs, 9000);
  });

  it('fits every step of the default run (npm start with no options) before 85% of its load', () => {
    const { loadMs, windows } = planTimeline(DEFAULT_OPTIONS, [5000, 3000]);
    const ends = Object.values(windows).map((w) => w.endMs);
    assert.equal(ends.length, 4, 'consumer outage, DynamoDB outage, Kinesis outage and reshard all placed');
    assert.ok(Math.max(...ends) <= loadMs * 0.85);
  });

  it('refuses a duration too short for the enabled outages, and says what to change', () => {
    assert.throws(() => planTimeline({ ...DEFAULT_OPTIONS, durationSeconds: 10 }, [5000]), /--duration 10s is too short/);
    const withoutOutages = planTimeline({ ...DEFAULT_OPTIONS, durationSeconds: 10, steps: { ...DEFAULT_OPTIONS.steps, consumerOutage: false, dynamodbOutage: false, kinesisOutage: false, reshard: false } }, [5000]);
    assert.equal(withoutOutages.windows.consumerOutage, undefined);
  });
});
