/**
 * The returns judge (scenario/workloads/returns-judge.ts) on planted observations: a clean run passes,
 * and each kind of failure a windowed pipeline could show must fail it: a wrong window count, a
 * duplicate counted twice, a second alert, an alert for a SKU that did not spike, a too-late event
 * missing from the DLQ or the metric, an event dead-lettered too late while the watermark had not
 * passed its window, a window left open past the watermark rule.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IdempotencyStatus, idempotencyStorageKey } from '../../lambdas/shared/tables';
import { ReturnEventType } from '../../lambdas/shared/returns-events';
import type { CloudEvent } from '../../lambdas/shared/envelope';
import { spikeSchema } from '../../lambdas/shared/windows-config';
import { Ledger } from '../../scenario/judge/ledger';
import { reconcilePipeline, type PipelineReconciliation } from '../../scenario/judge/reconcile-pipeline';
import { idleShardEvidence, returnsJudge, type ReceivedSpikeAlert, type ReturnsObservations, type ReturnsPlanFacts } from '../../scenario/workloads/returns-judge';
import type { OpenWindow, WindowResult } from '../../scenario/aws/windows';

const S = 10_000;
const T0 = Date.parse('2026-12-01T10:00:00Z');
const source = '/stream-pipeline/scenario/r1/returns';
const spike = spikeSchema.parse({ minimumVolume: 5, factor: 3 });
const SPIKE_SKU = 'sku-r1-001';
const OTHER_SKU = 'sku-r1-002';

let n = 0;
const returned = (sku: string, timeMs: number): CloudEvent => ({
  specversion: '1.0',
  id: `r1-${++n}`,
  source,
  type: ReturnEventType.Returned,
  subject: sku,
  time: new Date(timeMs).toISOString(),
  data: { orderId: `o-${n}`, sku, reason: 'damaged', amount: 10 },
});

/**
 * The ledger of a small run: window 0 with 2 + 1 returns, window 1 with the spike (8 returns of SPIKE_SKU,
 * one duplicated) and 1 of OTHER_SKU, and one too-late return into window 0 put during window 3.
 */
function scenario() {
  n = 0;
  const ledger = new Ledger();
  let seq = 0;
  const put = (event: CloudEvent, sentAt: number, injected?: 'duplicate' | 'late') => {
    const entry = ledger.addEvent('returns', event, injected);
    Object.assign(entry, { sentAt });
    entry.outcome = { ok: true, shardId: 'shardId-000000000000', sequenceNumber: String(++seq), attempts: 1 };
    return event;
  };
  put(returned(SPIKE_SKU, T0 + 1000), T0 + 1000);
  put(returned(SPIKE_SKU, T0 + 2000), T0 + 2000);
  put(returned(OTHER_SKU, T0 + 3000), T0 + 3000);
  const spikeEvents: CloudEvent[] = [];
  for (let i = 0; i < 8; i++) spikeEvents.push(put(returned(SPIKE_SKU, T0 + S + 2000 + i * 100), T0 + S + 2000 + i * 100));
  put(spikeEvents[3]!, T0 + S + 2900, 'duplicate');
  put(returned(OTHER_SKU, T0 + S + 4000), T0 + S + 4000);
  const tooLate = put(returned(OTHER_SKU, T0 + 5000), T0 + 3 * S + 5000, 'late');
  const facts: ReturnsPlanFacts = {
    timing: { sizeMs: S, latenessMs: 20_000, outOfOrderMs: 2000, idleMs: 10_000 },
    spike,
    spikeSku: SPIKE_SKU,
    spikeWindowStart: T0 + S,
    tooLateIds: new Set([tooLate.id]),
    lateIds: new Set(),
    closeSlackMs: 15_000,
  };
  // The 5th spike return (the threshold crossing) was put at T0 + S + 2400; the alert came 600 ms later.
  const alert: ReceivedSpikeAlert = { sku: SPIKE_SKU, windowStart: T0 + S, count: 5, baseline: 0, threshold: 5, receivedAt: T0 + S + 3000 };
  const results: WindowResult[] = [
    { key: SPIKE_SKU, start: T0, end: T0 + S, count: 2, tooLate: 0, closedAt: T0 + 3 * S },
    { key: OTHER_SKU, start: T0, end: T0 + S, count: 1, tooLate: 1, closedAt: T0 + 3 * S },
    { key: SPIKE_SKU, start: T0 + S, end: T0 + 2 * S, count: 8, tooLate: 0, closedAt: T0 + 4 * S, spiked: true, baselineBefore: 2 },
    { key: OTHER_SKU, start: T0 + S, end: T0 + 2 * S, count: 1, tooLate: 0, closedAt: T0 + 4 * S, baselineBefore: 1 },
  ];
  const observed: ReturnsObservations = {
    results,
    open: [],
    alerts: [alert],
    tooLateInDlq: new Map([[tooLate.id, T0 + 3 * S + 6000]]),
    tooLateMetric: 1,
    watermarks: [{ at: T0 + 3 * S + 7000, watermark: T0 + 3 * S }],
    now: T0 + 5 * S,
  };
  return { ledger, facts, observed, spikeEvents, tooLate };
}

function judge(ledger: Ledger, facts: ReturnsPlanFacts, observed: ReturnsObservations): PipelineReconciliation {
  const idempotency = new Map(ledger.events.map((e) => [idempotencyStorageKey(e.idempotencyKey), IdempotencyStatus.Completed as string]));
  return reconcilePipeline({
    pipeline: 'returns',
    action: 'returns',
    events: ledger.events,
    poison: [],
    observed: { idempotency, poisonMessages: [], onFailure: [], unreadableDlqMessages: [] },
    storageKey: idempotencyStorageKey,
    judge: returnsJudge(facts, observed),
  });
}

describe('returns judge', () => {
  it('passes a clean run and measures the alert from the threshold crossing', () => {
    const { ledger, facts, observed } = scenario();
    const result = judge(ledger, facts, observed);
    assert.deepEqual(result.problems, []);
    const w = result.windowed;
    assert.ok(w);
    assert.equal(w.windowsClosed, 4);
    assert.equal(w.countsMatched, 4);
    assert.equal(w.spike.alerts, 1);
    assert.equal(w.spike.latencyMs, 600);
    assert.equal(w.spike.beforeCloseMs, T0 + 4 * S - (T0 + S + 3000));
    assert.deepEqual([w.tooLate.put, w.tooLate.onResults, w.tooLate.inDlq, w.tooLate.metric], [1, 1, 1, 1]);
    assert.equal(result.waitUntil, undefined);
  });

  it('fails a window whose count differs (one lost, or a duplicate counted twice)', () => {
    for (const count of [7, 9]) {
      const { ledger, facts, observed } = scenario();
      const results = observed.results.map((r) => (r.key === SPIKE_SKU && r.start === T0 + S ? { ...r, count } : r));
      const problems = judge(ledger, facts, { ...observed, results }).problems;
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, new RegExp(`window ${SPIKE_SKU} .*expected 8 counted, found closed: ${count} counted`));
    }
  });

  it('fails a second alert for the spike window, and any alert for a SKU that did not spike', () => {
    const { ledger, facts, observed } = scenario();
    const twice = judge(ledger, facts, { ...observed, alerts: [...observed.alerts, { ...observed.alerts[0]!, receivedAt: T0 + S + 5000 }] });
    assert.ok(twice.problems.some((p) => /alert sku-r1-001 .*expected 1 alert, found 2 alerts \(more: alerted twice\)/.test(p)), twice.problems.join('\n'));
    const other = judge(ledger, facts, { ...observed, alerts: [...observed.alerts, { ...observed.alerts[0]!, sku: OTHER_SKU }] });
    assert.ok(other.problems.some((p) => /alert sku-r1-002 .*expected no alert, found 1 alerts/.test(p)), other.problems.join('\n'));
    const none = judge(ledger, facts, { ...observed, alerts: [] });
    assert.ok(none.problems.some((p) => /alert sku-r1-001 .*found 0 alerts \(fewer: lost\)/.test(p)), none.problems.join('\n'));
  });

  it('fails an alert raised after the window closed, or not at the threshold', () => {
    const { ledger, facts, observed } = scenario();
    const afterClose = judge(ledger, facts, { ...observed, alerts: [{ ...observed.alerts[0]!, receivedAt: T0 + 4 * S + 1 }] });
    assert.ok(afterClose.problems.some((p) => p.includes('spike alert')), afterClose.problems.join('\n'));
    const atTheEnd = judge(ledger, facts, { ...observed, alerts: [{ ...observed.alerts[0]!, count: 8 }] });
    assert.ok(atTheEnd.problems.some((p) => p.includes('spike alert')), 'an alert at the final count is not mid-window');
    const wrongThreshold = judge(ledger, facts, { ...observed, alerts: [{ ...observed.alerts[0]!, threshold: 6, count: 6 }] });
    assert.ok(wrongThreshold.problems.some((p) => p.includes('spike alert')), 'the threshold is max(minimum volume, factor × baseline)');
  });

  it('fails a too-late event missing from the DLQ, from its result or from the metric', () => {
    const { ledger, facts, observed } = scenario();
    assert.ok(judge(ledger, facts, { ...observed, tooLateInDlq: new Map() }).problems.some((p) => /too-late event .* not in the DLQ/.test(p)));
    assert.ok(judge(ledger, facts, { ...observed, tooLateMetric: 0 }).problems.some((p) => /EventsTooLate metric: expected 1, found 0/.test(p)));
    // A too-late event met twice (a producer duplicate, a redelivery) is counted twice by the metric: reported, not failed.
    const twice = judge(ledger, facts, { ...observed, tooLateMetric: 2 });
    assert.ok(!twice.problems.some((p) => /EventsTooLate/.test(p)));
    assert.ok(twice.caveats.some((c) => /EventsTooLate counted 2 records for 1 too-late event/.test(c)));
    const results = observed.results.map((r) => (r.key === OTHER_SKU && r.start === T0 ? { ...r, tooLate: 0 } : r));
    assert.ok(judge(ledger, facts, { ...observed, results }).problems.some((p) => /window sku-r1-002 .*1 too late/.test(p)));
  });

  it('fails an event dead-lettered as too late before the watermark passed its window; accepts one the watermark had passed', () => {
    const { ledger, facts, observed } = scenario();
    const victim = ledger.events.find((e) => e.event.subject === OTHER_SKU && Date.parse(e.event.time ?? '') === T0 + S + 4000)!.event.id;
    const results = observed.results.map((r) => (r.key === OTHER_SKU && r.start === T0 + S ? { ...r, count: 0, tooLate: 1 } : r));
    const tooLateInDlq = new Map([...observed.tooLateInDlq, [victim, T0 + 2 * S]]);
    // The watermark right after was below the window's end plus the lateness (T0 + 4 S): not justified.
    const early = judge(ledger, facts, { ...observed, results, tooLateInDlq, tooLateMetric: 2, watermarks: [{ at: T0 + 2 * S + 500, watermark: T0 + 2 * S }, ...observed.watermarks] });
    assert.ok(early.problems.some((p) => p.includes(`event ${victim}`) && p.includes('before the watermark passed')), early.problems.join('\n'));
    // Past it: the producer put it too late, and the pipeline did what it promises.
    const late = judge(ledger, facts, { ...observed, results, tooLateInDlq, tooLateMetric: 2, watermarks: [{ at: T0 + 2 * S + 500, watermark: T0 + 4 * S }, ...observed.watermarks] });
    assert.deepEqual(late.problems, []);
    assert.equal(late.windowed?.tooLate.delayed, 1);
  });

  it('waits for an open window while the watermark rule allows it, then fails it', () => {
    const { ledger, facts, observed } = scenario();
    const results = observed.results.filter((r) => !(r.key === OTHER_SKU && r.start === T0 + S));
    const open: OpenWindow[] = [{ key: OTHER_SKU, start: T0 + S, end: T0 + 2 * S, count: 1 }];
    // Its latest close: end + lateness + idle + out of order (the last put was earlier) + slack.
    const deadline = T0 + 2 * S + 20_000 + 10_000 + 2000 + 15_000;
    const waiting = judge(ledger, facts, { ...observed, results, open, now: deadline - 1 });
    assert.equal(waiting.waitUntil, deadline);
    assert.ok(waiting.problems.some((p) => p.includes('(closing)')));
    const overdue = judge(ledger, facts, { ...observed, results, open, now: deadline + 1 });
    assert.equal(overdue.waitUntil, undefined);
    assert.ok(overdue.problems.some((p) => p.includes('(not closed in time)')));
  });

  it('shows the idle shard released only when the watermark passed it while another shard held it (not the no-traffic rule)', () => {
    const { facts, observed } = scenario();
    const idle = { shardId: 'shardId-000000000001', lastEventTime: T0 + 5000, idleUntil: T0 + 6 * S };
    const closed = observed.results.map((r) => ({ ...r, closedAt: T0 + 4 * S }));
    // Past the idle shard's own (T0 + 3 s), far from now − idle − out of order: the other shard held it.
    const held = idleShardEvidence(idle, facts.timing, { results: closed, watermarks: [{ at: T0 + 5 * S, watermark: T0 + 2 * S }] });
    assert.equal(held.watermarkPastIdleMs, 2 * S - 3000);
    assert.equal(held.windowsClosedWhileIdle, 4);
    // The no-traffic rule's watermark (now − 12 s) shows nothing about the idle shard.
    const clock = idleShardEvidence(idle, facts.timing, { results: closed, watermarks: [{ at: T0 + 5 * S, watermark: T0 + 5 * S - 12_000 }] });
    assert.equal(clock.windowsClosedWhileIdle, 0);
  });
});
