/**
 * The end-of-run summary: what `--json` prints, what the report and the exit code are made from.
 */
import type { AlarmTransition, PipelineSeries } from '../aws/cloudwatch';
import type { ScenarioOptions } from '../options';
import type { ExecutedWindow } from '../run-log';

export type { ExecutedWindow } from '../run-log';
import type { PipelineReconciliation, Reconciliation } from '../judge/reconcile-pipeline';
import type { WindowedEvidence } from '../judge/windowed-evidence';
import { producerLines, type ProducerSummary } from './producer-summary';


/** How an alarm answered the consumer outage. */
export interface AlarmOutcome {
  readonly alarmName: string;
  /** Seconds from the start of the load; undefined if it never happened. */
  readonly firedAt?: number;
  readonly clearedAt?: number;
  /** Went to ALARM after the consumer outage began, and back to OK later. */
  readonly firedAndCleared: boolean;
}

export interface PipelineSummary {
  readonly pipeline: string;
  readonly counts: PipelineReconciliation['counts'];
  /** Event-to-action latency over the whole run (ms), from CloudWatch. */
  readonly latencyP50?: number;
  readonly latencyP99?: number;
  /** The largest p99 of any period (ms): the outage's effect. */
  readonly worstPeriodP99?: number;
  readonly latencyObjectiveMs: number;
  readonly latencyAlarm?: AlarmOutcome;
  /** The ConsumerStalled alarm: records in, none read (it pages while the outage lasts). */
  readonly stalledAlarm?: AlarmOutcome;
  /** Windowed pipelines: the windows' reconciliation, the spike, the watermark (../judge/windowed-evidence.ts). */
  readonly windowed?: WindowedEvidence;
  /** How its producer ran: mode, counters, event time to acceptance by Kinesis. */
  readonly producer?: ProducerSummary;
}

export interface ScenarioSummary {
  /** True when every valid event was applied exactly once and every poison record is in its DLQ. */
  readonly ok: boolean;
  /** False when the run was interrupted (Ctrl-C) or failed before the end: the figures are partial. */
  readonly completed: boolean;
  readonly stoppedBecause?: string;
  readonly runId: string;
  readonly startedAt: string;
  readonly endedAt: string;
  /** When the load started: the windows are timed from it. */
  readonly loadStartedAt?: string;
  readonly options: ScenarioOptions;
  readonly windows: readonly ExecutedWindow[];
  readonly pipelines: readonly PipelineSummary[];
  /** Every failed check (capped in text output, complete here). */
  readonly problems: readonly string[];
  /** Limits of the evidence (what this target cannot show), not failures. */
  readonly caveats: readonly string[];
  readonly reportPath?: string;
}

/** Everything the HTML report draws. */
export interface ReportData {
  readonly summary: ScenarioSummary;
  /** Epoch ms of the start of the load: x = 0 on every chart. */
  readonly loadStartedAt: number;
  readonly series: readonly PipelineSeries[];
  readonly seriesPeriodSeconds: number;
  readonly alarmNames: readonly string[];
  readonly alarmTransitions: readonly AlarmTransition[];
  /** Alarm states seen by the scenario's own polling, used when the history API has nothing. */
  readonly alarmSamples: readonly { readonly at: number; readonly states: Readonly<Record<string, string>> }[];
  readonly reconciliation?: Reconciliation;
}

const fmtMs = (v: number | undefined): string => (v === undefined ? '–' : `${Math.round(v)} ms`);

const seconds = (ms: number | undefined): string => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** The reconciliation lines of a windowed pipeline: windows, the spike's alert, late and too-late events, the idle shard. */
export function windowedLines(w: WindowedEvidence): string[] {
  const s = w.spike;
  const t = w.tooLate;
  const lines = [
    `    windows (${seconds(w.timing.sizeMs)} tumbling, lateness ${seconds(w.timing.latenessMs)}): ${w.windowsClosed} closed, ${w.windowsOpen} still open; counts matched ${w.countsMatched}/${w.windowsJudged}`,
    `    spike ${s.sku}: ${s.alerts} alert${s.alerts === 1 ? '' : 's'}` +
      (s.alertCount !== undefined ? ` at count ${s.alertCount} of ${s.finalCount ?? '?'} (threshold ${s.threshold})` : '') +
      `, ${seconds(s.latencyMs)} after the threshold crossing, ${seconds(s.beforeCloseMs)} before its window closed; other SKUs alerted: ${s.otherAlerts}`,
    `    late within the lateness ${w.late.counted}/${w.late.put} counted; too late ${t.put}${t.delayed > 0 ? ` (+${t.delayed} arrived after the watermark)` : ''}: ${t.onResults} on window results, ${t.inDlq} in the DLQ (too-late), EventsTooLate ${t.metric ?? '–'}`,
  ];
  if (w.idleShard) lines.push(`    idle shard ${w.idleShard.shardId}: the watermark went ${seconds(w.idleShard.watermarkPastIdleMs)} past it while another shard held it; ${w.idleShard.windowsClosedWhileIdle} window(s) it would have held closed`);
  return lines;
}

/** A window as the summary lists it: its label, when it started and ended, and what it did. */
export function windowLine(w: ExecutedWindow, loadStartedAt: string | undefined): string {
  const origin = loadStartedAt === undefined ? w.startAt : Date.parse(loadStartedAt);
  const at = (t: number): string => ((t - origin) / 1000).toFixed(1);
  return `${w.label} ${at(w.startAt)}–${w.endAt === undefined ? '…' : at(w.endAt)} s${w.detail ? `: ${w.detail}` : ''}`;
}

/** The plain-text summary printed at the end of `npm start`. */
export function formatSummary(summary: ScenarioSummary, color: (ok: boolean, text: string) => string = (_ok, t) => t): string {
  const lines: string[] = [];
  const verdict = !summary.completed
    ? color(false, `PARTIAL: stopped early (${summary.stoppedBecause ?? 'interrupted'})`)
    : summary.ok
      ? color(true, 'PASS: every valid event applied exactly once, every poison record in its DLQ, nothing lost')
      : color(false, `FAIL: ${summary.problems.length} problem(s)`);
  lines.push('', `Scenario ${summary.runId}: ${verdict}`, '');
  for (const p of summary.pipelines) {
    const c = p.counts;
    lines.push(`  ${p.pipeline}`);
    lines.push(
      `    events put ${c.events} distinct (+${c.duplicatesInjected} producer duplicates, ${c.outOfOrderInjected} out of order, ${c.lateInjected} late), ${c.poisonPut} poison`,
    );
    // Stopped early, an event not yet accounted for may still be in the stream: not "lost".
    const unaccounted = summary.completed ? `lost ${c.lost}` : `not yet accounted for ${c.lost}`;
    lines.push(
      `    applied exactly once ${c.appliedOnce}, stale kept out ${c.staleAcknowledged}, ${unaccounted}, applied twice ${c.appliedTwice}, pending ${c.pending}, poison in DLQ ${c.poisonInDlq}/${c.poisonPut}, batches given up ${c.batchesGivenUp}` +
        (c.completionUnrecorded > 0 ? ` (${c.completionUnrecorded} applied with completion unrecorded, see note)` : ''),
    );
    if (c.orderKeysChecked !== undefined) lines.push(`    per-key order: ${c.orderKeysChecked} keys checked event by event, ${c.outOfPutOrder ?? 0} event(s) not applied in put order`);
    if (c.alertsExpected !== undefined) lines.push(`    alerts ${c.alertsReceived ?? 0} received for ${c.alertsExpected} incidents`);
    if (p.windowed) lines.push(...windowedLines(p.windowed));
    lines.push(
      `    event-to-action latency p50 ${fmtMs(p.latencyP50)}, p99 ${fmtMs(p.latencyP99)}, worst period p99 ${fmtMs(p.worstPeriodP99)} (objective ${p.latencyObjectiveMs} ms)`,
    );
    if (p.producer) lines.push(...producerLines(p.producer));
    if (p.latencyAlarm) {
      const a = p.latencyAlarm;
      const at = (s: number | undefined): string => (s === undefined ? 'never' : `at ${s.toFixed(1)} s`);
      lines.push(`    latency alarm ${a.alarmName}: ALARM ${at(a.firedAt)}, OK again ${at(a.clearedAt)}`);
      if (p.stalledAlarm) lines.push(`    stalled alarm ${p.stalledAlarm.alarmName}: ALARM ${at(p.stalledAlarm.firedAt)}, OK again ${at(p.stalledAlarm.clearedAt)}`);
      if (a.firedAt === undefined) {
        // One period whose p99 breaches fires it: a backlog that never pushed a period's p99 over the objective does not.
        lines.push(`      (no alarm period's p99 exceeded the objective: the outage was shorter than the objective; a longer one shows it fire, e.g. --consumer-outage-seconds 20)`);
      }
    }
  }
  if (summary.windows.length > 0) lines.push('', '  windows (seconds into the load):', ...summary.windows.map((w) => `    ${windowLine(w, summary.loadStartedAt)}`));
  if (summary.problems.length > 0) {
    // A partial run's open items are mostly events still in flight: a few examples are enough.
    const shown = summary.completed ? 20 : 5;
    lines.push('', summary.completed ? '  problems:' : '  open when stopped (partial run; events still in the stream are not lost):');
    for (const problem of summary.problems.slice(0, shown)) lines.push(`    - ${problem}`);
    if (summary.problems.length > shown) lines.push(`    … ${summary.problems.length - shown} more (see the report)`);
  }
  for (const caveat of summary.caveats) lines.push('', `  note: ${caveat}`);
  if (summary.reportPath) lines.push('', `  report: ${summary.reportPath}`);
  lines.push('');
  return lines.join('\n');
}
