/**
 * The judge of a `returns` pipeline (pure: ./returns.ts reads the observations through the APIs).
 *
 * Against the ledger's distinct events (duplicates excluded):
 *  - every window's count equals the valid events put with an event time inside it, the planned too-late
 *    events excluded: a closed window's result, or an open window's running count (an open window is
 *    pending until the latest time the watermark rule lets it stay open, then a failure);
 *  - every too-late event is accounted for three times: counted on its window's result (`tooLate`), in the
 *    dead-letter queue with reason `too-late`, and in the EventsTooLate metric. A valid event dead-lettered
 *    as too late that was not planned so is a failure, unless the watermark sampled right after it was
 *    dead-lettered had indeed passed its window's end plus the lateness: it arrived that late (a producer's
 *    put backlog, a consumer stalled past the idle timeout), and the pipeline did what it promises; such
 *    events are counted apart;
 *  - the spiking SKU's spike window alerted exactly once, mid-window (its count at the alert below the
 *    window's final count, the alert received before the window closed), at the configured threshold;
 *    no other SKU and window alerted. The alert's latency from the threshold crossing (the put of the event
 *    that made the count reach the threshold) is measured and reported.
 */
import { spikeThreshold, type SpikeConfig } from '../../lambdas/shared/windows-config';
import type { OpenWindow, WindowResult } from '../aws/windows';
import type { DistinctEvent, EntityCheck, PipelineJudge } from '../judge/reconcile-pipeline';
import type { WindowedEvidence, WindowTiming } from '../judge/windowed-evidence';

export type { WindowedEvidence, WindowTiming } from '../judge/windowed-evidence';

/** A spike alert as the alerts topic's subscriber received it. */
export interface ReceivedSpikeAlert {
  readonly sku: string;
  readonly windowStart: number;
  readonly count: number;
  readonly baseline: number;
  readonly threshold: number;
  /** When the subscriber's queue received it (epoch ms). */
  readonly receivedAt: number;
}

/** What the workload planned: which events must be too late, which SKU and window spike. */
export interface ReturnsPlanFacts {
  readonly timing: WindowTiming;
  readonly spike: SpikeConfig;
  readonly spikeSku: string;
  readonly spikeWindowStart: number;
  /** Event ids put too late on purpose (behind a watermark already past their window's end plus the lateness). */
  readonly tooLateIds: ReadonlySet<string>;
  /** Event ids put late on purpose: after their window ended, within the allowed lateness. */
  readonly lateIds: ReadonlySet<string>;
  /** The shard left idle: its last event's put time, and the end of the load (it stayed idle until then). */
  readonly idleShard?: { readonly shardId: string; readonly lastEventTime: number; readonly idleUntil: number };
  /** Slack on the latest time a window may stay open (closer interval, watermark write interval, load). */
  readonly closeSlackMs: number;
}

export interface ReturnsObservations {
  readonly results: readonly WindowResult[];
  readonly open: readonly OpenWindow[];
  readonly alerts: readonly ReceivedSpikeAlert[];
  /** Event ids of the too-late records in the dead-letter queue → when the processor dead-lettered them (epoch ms). */
  readonly tooLateInDlq: ReadonlyMap<string, number>;
  /** EventsTooLate summed over the run (undefined: not readable). */
  readonly tooLateMetric?: number;
  /** The pipeline watermark over time, as sampled during the run. */
  readonly watermarks: readonly { readonly at: number; readonly watermark: number }[];
  readonly now: number;
}

const windowId = (key: string, start: number): string => `${key} @${new Date(start).toISOString().slice(11, 19)}`;
const cell = (key: string, start: number): string => `${key}\u0000${start}`;

/** The latest time a window may still be open once traffic stopped (the watermark rule, lambdas/processor/windows/watermark.ts). */
export function latestCloseAt(end: number, lastPutAt: number, facts: Pick<ReturnsPlanFacts, 'timing' | 'closeSlackMs'>): number {
  const { latenessMs, idleMs, outOfOrderMs } = facts.timing;
  return Math.max(end + latenessMs + idleMs + outOfOrderMs, lastPutAt + idleMs + outOfOrderMs) + facts.closeSlackMs;
}

interface Expected {
  counted: number;
  tooLate: number;
  /** Put times of the counted events, in put order (the threshold crossing of the spike window). */
  puts: number[];
}

export function returnsJudge(facts: ReturnsPlanFacts, observed: ReturnsObservations): PipelineJudge {
  return {
    ordering: 'every-event',
    actionKind: 'windowed',
    judge: (distinct) => judgeReturns(facts, observed, distinct),
  };
}

/**
 * Unplanned too-late events the watermark justifies: the first watermark sample taken after the record was
 * dead-lettered (at least the one the processor read, which never goes backwards) had passed the window's
 * end plus the allowed lateness.
 */
export function justifiedTooLate(facts: ReturnsPlanFacts, observed: Pick<ReturnsObservations, 'tooLateInDlq' | 'watermarks'>, distinct: readonly DistinctEvent[]): Set<string> {
  const justified = new Set<string>();
  const byId = new Map(distinct.map((d) => [d.first.event.id, d.first.event]));
  for (const [id, deadLetteredAt] of observed.tooLateInDlq) {
    const event = byId.get(id);
    if (!event || facts.tooLateIds.has(id)) continue;
    const time = Date.parse(event.time ?? '');
    const end = Math.floor(time / facts.timing.sizeMs) * facts.timing.sizeMs + facts.timing.sizeMs;
    const after = observed.watermarks.find((m) => m.at >= deadLetteredAt);
    if (after && after.watermark >= end + facts.timing.latenessMs) justified.add(id);
  }
  return justified;
}

/**
 * What shows that the idle shard stopped holding the watermark back: samples where the pipeline watermark
 * was past the idle shard's own (its last event time minus the out-of-order bound) and not the no-traffic
 * rule's (now minus the idle timeout and the bound), so another shard held it; and the windows the idle
 * shard would have held open that had closed by the last such sample.
 */
export function idleShardEvidence(idle: NonNullable<ReturnsPlanFacts['idleShard']>, timing: WindowTiming, observed: Pick<ReturnsObservations, 'watermarks' | 'results'>) {
  const own = idle.lastEventTime - timing.outOfOrderMs;
  const clockRule = (at: number): number => at - timing.idleMs - timing.outOfOrderMs;
  const held = observed.watermarks.filter((m) => m.watermark > own && Math.abs(m.watermark - clockRule(m.at)) > 3000);
  const last = held.at(-1);
  return {
    shardId: idle.shardId,
    idleFrom: idle.lastEventTime,
    watermarkPastIdleMs: last ? Math.max(...held.map((m) => m.watermark)) - own : 0,
    windowsClosedWhileIdle: last
      ? observed.results.filter((r) => r.closedAt !== undefined && r.closedAt <= last.at && r.end + timing.latenessMs > own).length
      : 0,
  };
}

function expectedWindows(facts: ReturnsPlanFacts, distinct: readonly DistinctEvent[], tooLate: ReadonlySet<string>): Map<string, Expected & { key: string; start: number }> {
  const expected = new Map<string, Expected & { key: string; start: number }>();
  for (const d of [...distinct].sort((a, b) => a.first.sendIndex - b.first.sendIndex)) {
    const key = d.first.event.subject ?? '';
    const time = Date.parse(d.first.event.time ?? '');
    if (!Number.isFinite(time)) continue;
    const start = Math.floor(time / facts.timing.sizeMs) * facts.timing.sizeMs;
    const id = cell(key, start);
    const entry = expected.get(id) ?? { key, start, counted: 0, tooLate: 0, puts: [] };
    if (tooLate.has(d.first.event.id)) entry.tooLate += 1;
    else {
      entry.counted += 1;
      entry.puts.push(d.first.sentAt);
    }
    expected.set(id, entry);
  }
  return expected;
}

function judgeReturns(facts: ReturnsPlanFacts, observed: ReturnsObservations, distinct: readonly DistinctEvent[]) {
  const checks: EntityCheck[] = [];
  const caveats: string[] = [];
  const delayed = justifiedTooLate(facts, observed, distinct);
  const expected = expectedWindows(facts, distinct, new Set([...facts.tooLateIds, ...delayed]));
  const results = new Map(observed.results.map((r) => [cell(r.key, r.start), r]));
  const open = new Map(observed.open.map((w) => [cell(w.key, w.start), w]));
  const lastPutAt = Math.max(0, ...distinct.map((d) => d.first.sentAt));
  let waitUntil: number | undefined;
  let windowsClosed = 0;
  let windowsOpen = 0;
  let countsMatched = 0;

  const cells = [...new Set([...expected.keys(), ...results.keys(), ...open.keys()])];
  for (const id of cells.sort()) {
    const want = expected.get(id);
    const result = results.get(id);
    const running = open.get(id);
    const key = want?.key ?? result?.key ?? running?.key ?? '';
    const start = want?.start ?? result?.start ?? running?.start ?? 0;
    const end = start + facts.timing.sizeMs;
    const counted = want?.counted ?? 0;
    const tooLate = want?.tooLate ?? 0;
    const entity = `window ${windowId(key, start)}`;
    const expectedText = `${counted} counted${tooLate > 0 ? `, ${tooLate} too late` : ''}`;
    if (result && result.closedAt === undefined && !running && counted === 0) {
      // Only too-late events in a window that never had an on-time one: nothing to close, the result counts them.
      const ok = result.tooLate === tooLate;
      if (ok) countsMatched += 1;
      checks.push({ entity, expected: expectedText, observed: `no window opened, ${result.tooLate} too late on its result`, ok });
      continue;
    }
    if (result?.closedAt !== undefined) {
      windowsClosed += 1;
      const observedText = `closed: ${result.count ?? 0} counted${result.tooLate > 0 ? `, ${result.tooLate} too late` : ''}`;
      const ok = result.count === counted && result.tooLate === tooLate;
      if (ok) countsMatched += 1;
      checks.push({ entity, expected: expectedText, observed: ok ? observedText : `${observedText} (${(result.count ?? 0) > counted ? 'more: counted twice' : 'differs'})`, ok });
      continue;
    }
    // Not closed yet: its running count must already be right; it may stay open only as long as the watermark rule allows.
    const runningCount = running?.count ?? 0;
    windowsOpen += 1;
    const deadline = latestCloseAt(end, lastPutAt, facts);
    const late = observed.now > deadline;
    if (!late) waitUntil = Math.max(waitUntil ?? 0, deadline);
    const countOk = runningCount === counted;
    if (countOk) countsMatched += 1;
    checks.push({
      entity,
      expected: `${expectedText}, closed by ${new Date(deadline).toISOString().slice(11, 19)}`,
      observed: `open: ${runningCount} counted${result ? `, ${result.tooLate} too late` : ''}${late ? ' (not closed in time)' : ' (closing)'}`,
      ok: false,
    });
  }

  // The spike: one alert for the planned SKU and window, none for any other.
  const spikeCell = cell(facts.spikeSku, facts.spikeWindowStart);
  const alertsByCell = new Map<string, ReceivedSpikeAlert[]>();
  for (const alert of observed.alerts) {
    const id = cell(alert.sku, alert.windowStart);
    alertsByCell.set(id, [...(alertsByCell.get(id) ?? []), alert]);
  }
  for (const id of [...new Set([spikeCell, ...alertsByCell.keys()])].sort()) {
    const got = alertsByCell.get(id)?.length ?? 0;
    const want = id === spikeCell ? 1 : 0;
    const [key, start] = id.split('\u0000') as [string, string];
    const observedText = got === want ? `${got} alert${got === 1 ? '' : 's'}` : got > want ? `${got} alerts (more: alerted twice)` : `${got} alerts (fewer: lost)`;
    checks.push({ entity: `alert ${windowId(key, Number(start))}`, expected: want === 1 ? '1 alert' : 'no alert', observed: observedText, ok: got === want });
  }
  // A window the workload did not plan to spike must stay under the minimum volume, or "no alert" would be a wrong expectation.
  for (const [id, want] of expected) {
    if (id !== spikeCell && want.counted >= facts.spike.minimumVolume) {
      checks.push({ entity: `window ${windowId(want.key, want.start)}`, expected: `below the minimum volume ${facts.spike.minimumVolume} (not planned to spike)`, observed: `${want.counted} events put (the workload's mistake)`, ok: false });
    }
  }

  const spikeWant = expected.get(spikeCell);
  const spikeResult = results.get(spikeCell);
  const spikeAlerts = alertsByCell.get(spikeCell) ?? [];
  const alert = spikeAlerts[0];
  let latencyMs: number | undefined;
  let beforeCloseMs: number | undefined;
  if (alert && spikeWant) {
    const crossing = spikeWant.puts[alert.threshold - 1];
    if (crossing !== undefined) latencyMs = alert.receivedAt - crossing;
    if (spikeResult?.closedAt !== undefined) beforeCloseMs = spikeResult.closedAt - alert.receivedAt;
    const threshold = spikeThreshold(facts.spike, alert.baseline);
    const midWindow = alert.count >= alert.threshold && alert.count < spikeWant.counted;
    const beforeClose = spikeResult?.closedAt === undefined || alert.receivedAt < spikeResult.closedAt;
    checks.push({
      entity: `spike alert ${windowId(facts.spikeSku, facts.spikeWindowStart)}`,
      expected: `at the threshold max(${facts.spike.minimumVolume}, ${facts.spike.factor} × baseline), during the window`,
      observed:
        `count ${alert.count} of ${spikeWant.counted}, threshold ${alert.threshold} (baseline ${alert.baseline.toFixed(1)})` +
        (latencyMs !== undefined ? `, ${(latencyMs / 1000).toFixed(1)} s after the crossing` : '') +
        (beforeCloseMs !== undefined ? `, ${(beforeCloseMs / 1000).toFixed(1)} s before the window closed` : ', window not closed yet'),
      ok: midWindow && beforeClose && alert.threshold === threshold,
    });
    if (spikeResult?.closedAt !== undefined && spikeResult.spiked !== true) {
      checks.push({ entity: `window ${windowId(facts.spikeSku, facts.spikeWindowStart)} result`, expected: 'spiked', observed: 'not marked as spiked', ok: false });
    }
  }

  // Too late: each planned one in the DLQ; the results' counts are judged per window above; the metric in total.
  const putIds = new Set(distinct.map((d) => d.first.event.id));
  const tooLatePut = [...facts.tooLateIds].filter((id) => putIds.has(id));
  for (const id of tooLatePut) {
    const inDlq = observed.tooLateInDlq.has(id);
    checks.push({ entity: `too-late event ${id}`, expected: 'in the DLQ as too-late', observed: inDlq ? 'in the DLQ as too-late' : 'not in the DLQ', ok: inDlq });
  }
  for (const id of observed.tooLateInDlq.keys()) {
    if (facts.tooLateIds.has(id) || !putIds.has(id)) continue;
    const ok = delayed.has(id);
    checks.push({
      entity: `event ${id}`,
      expected: 'counted in its window, or too late behind the watermark',
      observed: ok ? 'too late: the watermark had passed its window when it was processed' : 'dead-lettered as too late before the watermark passed its window',
      ok,
    });
  }
  const metric = observed.tooLateMetric;
  const allTooLate = tooLatePut.length + delayed.size;
  // The metric counts too-late records as the processor met them: a producer duplicate or a redelivery of a
  // too-late event is counted again (the event itself is accounted for once, on its result and in the DLQ).
  // Fewer than the too-late events would leave one unaccounted for; more is reported, not failed.
  checks.push({
    entity: 'EventsTooLate metric',
    expected: `${allTooLate}`,
    observed: metric === undefined ? 'not readable' : `${metric}`,
    ok: metric !== undefined && metric >= allTooLate,
  });
  if (metric !== undefined && metric > allTooLate) {
    caveats.push(`EventsTooLate counted ${metric} records for ${allTooLate} too-late event(s): ${metric - allTooLate} more, a producer duplicate or a redelivery of a too-late event counted again`);
  }
  if (delayed.size > 0) {
    caveats.push(
      `${delayed.size} event(s) not planned as too late arrived after the watermark had passed their windows (on a loaded machine the producer's put backlog delays them, or a consumer outage longer than the idle timeout releases the watermark): each is accounted for as too late`,
    );
  }

  const lateCounted = [...facts.lateIds].filter((id) => putIds.has(id) && !observed.tooLateInDlq.has(id)).length;
  const idle = facts.idleShard;
  const idleEvidence = idle ? idleShardEvidence(idle, facts.timing, observed) : undefined;
  if (idle && idleEvidence?.windowsClosedWhileIdle === 0) {
    caveats.push(`shard ${idle.shardId} was idle from ${new Date(idle.lastEventTime).toISOString()}, but the watermark never passed it while another shard held it (the run is too short to show it)`);
  }

  const spikeWindows = [...expected.values(), ...observed.results.map((r) => ({ key: r.key, start: r.start }))]
    .filter((w) => w.key === facts.spikeSku)
    .map((w) => w.start);
  const evidence: WindowedEvidence = {
    timing: facts.timing,
    windowsClosed,
    windowsOpen,
    countsMatched,
    windowsJudged: cells.length,
    late: { put: [...facts.lateIds].filter((id) => putIds.has(id)).length, counted: lateCounted },
    tooLate: {
      put: tooLatePut.length,
      delayed: delayed.size,
      onResults: observed.results.reduce((n, r) => n + r.tooLate, 0),
      inDlq: [...observed.tooLateInDlq.keys()].filter((id) => putIds.has(id)).length,
      ...(metric !== undefined ? { metric } : {}),
    },
    spike: {
      sku: facts.spikeSku,
      windowStart: facts.spikeWindowStart,
      alerts: spikeAlerts.length,
      otherAlerts: observed.alerts.length - spikeAlerts.length,
      ...(alert ? { alertCount: alert.count, threshold: alert.threshold } : {}),
      ...(spikeWant ? { finalCount: spikeWant.counted } : {}),
      ...(latencyMs !== undefined ? { latencyMs } : {}),
      ...(beforeCloseMs !== undefined ? { beforeCloseMs } : {}),
      windows: [...new Set(spikeWindows)].sort((a, b) => a - b).map((start) => {
        const result = results.get(cell(facts.spikeSku, start));
        const baseline = result?.baselineBefore;
        return {
          start,
          count: result?.count ?? open.get(cell(facts.spikeSku, start))?.count ?? 0,
          closed: result?.closedAt !== undefined,
          ...(baseline !== undefined ? { baseline } : {}),
          threshold: spikeThreshold(facts.spike, baseline),
          spiked: result?.spiked === true || start === alert?.windowStart,
        };
      }),
    },
    ...(idleEvidence ? { idleShard: idleEvidence } : {}),
    watermarks: observed.watermarks,
  };
  return {
    checks,
    caveats,
    alerts: { expected: 1, received: observed.alerts.length },
    ...(waitUntil !== undefined ? { waitUntil } : {}),
    windowed: evidence,
  };
}
