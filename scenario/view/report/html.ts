/**
 * The self-contained HTML report of a scenario run: inline CSS and SVG, no script, no external
 * resource, so it opens offline and can be attached to a ticket as one file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { windowLine, type ReportData } from '../summary';
import type { PipelineReconciliation } from '../../judge/reconcile-pipeline';
import { SCENARIO_STEPS } from '../../steps';
import { producerTable } from '../producer-summary';
import { workloadFor } from '../../workloads';
import { escapeXml as esc, lineChart, stateTimeline, type Band, type StateRow } from './svg';
import { windowedSections } from './windows';

/** Each step's window in its own colour (steps/<step>.ts). */
const windowColor = (label: string): string => SCENARIO_STEPS.find((s) => s.window?.label === label)?.window?.color ?? '#888';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:960px;color:#1d2330;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #dde1e8;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.verdict{display:inline-block;padding:4px 10px;border-radius:4px;font-weight:600;color:#fff}
.pass{background:#2e9d5b}.fail{background:#d1383d}.partial{background:#c98a00}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}th,td{border:1px solid #dde1e8;padding:3px 8px;text-align:right}
th{background:#f3f5f8}td:first-child,th:first-child{text-align:left}
td.bad{color:#d1383d;font-weight:600}td.good{color:#2e9d5b}
.muted{color:#687083}code{font-size:12px}
svg{display:block;margin:8px 0;max-width:100%;height:auto}
.chart-title{font-weight:600;font-size:13px;fill:#1d2330}.tick{font-size:11px;fill:#4a5263}
.band-label{font-size:11px;font-weight:600}.seg-label{font-size:11px;fill:#fff}
.grid{stroke:#eceff3}.axis{stroke:#999}.frame{fill:none;stroke:#c9ced8}
details{margin:6px 0}summary{cursor:pointer;color:#33507a}
ul.problems li{color:#d1383d}
`;

function bandsOf(data: ReportData): Band[] {
  return data.summary.windows.map((w) => ({
    label: w.label,
    color: windowColor(w.label),
    start: (w.startAt - data.loadStartedAt) / 1000,
    end: ((w.endAt ?? Date.parse(data.summary.endedAt)) - data.loadStartedAt) / 1000,
  }));
}

/** Alarm state over time: history transitions if any, else the scenario's own samples. */
export function alarmRows(data: ReportData, xMax: number): StateRow[] {
  const toX = (at: number): number => (at - data.loadStartedAt) / 1000;
  return data.alarmNames.map((name) => {
    const transitions = data.alarmTransitions.filter((t) => t.name === name);
    const changes: { x: number; state: string }[] = [];
    if (transitions.length > 0) {
      changes.push({ x: 0, state: transitions[0]?.from ?? 'INSUFFICIENT_DATA' });
      for (const t of transitions) changes.push({ x: toX(t.at.getTime()), state: t.to });
    } else {
      for (const sample of data.alarmSamples) {
        const state = sample.states[name];
        if (state && changes.at(-1)?.state !== state) changes.push({ x: toX(sample.at), state });
      }
    }
    const segments = changes
      .map((c, i) => ({ start: Math.max(0, c.x), end: Math.min(xMax, changes[i + 1]?.x ?? xMax), state: c.state }))
      .filter((s) => s.end > s.start);
    return { label: name, segments };
  });
}

function countsTable(pipelines: readonly PipelineReconciliation[], completed: boolean): string {
  // A stopped run has not drained: what is unaccounted for may still be in the stream, not lost.
  const unaccounted = completed ? 'lost' : 'not yet accounted for (run stopped; may still be in the stream)';
  const rows: [string, (p: PipelineReconciliation) => number | undefined, 'zero' | 'none'][] = [
    ['distinct valid events put', (p) => p.counts.events, 'none'],
    ['producer duplicates injected', (p) => p.counts.duplicatesInjected, 'none'],
    ['out-of-order events injected', (p) => p.counts.outOfOrderInjected, 'none'],
    ['late events injected', (p) => p.counts.lateInjected, 'none'],
    ['applied exactly once', (p) => p.counts.appliedOnce, 'none'],
    ['older than stored state, kept out', (p) => p.counts.staleAcknowledged, 'none'],
    [unaccounted, (p) => p.counts.lost, completed ? 'zero' : 'none'],
    ['applied twice', (p) => p.counts.appliedTwice, 'zero'],
    ['entities checked for per-key order, event by event', (p) => p.counts.orderKeysChecked, 'none'],
    ['events not applied in put order', (p) => p.counts.outOfPutOrder, 'zero'],
    ['still pending', (p) => p.counts.pending, 'zero'],
    ['applied, completion unrecorded (see note)', (p) => p.counts.completionUnrecorded, 'none'],
    ['poison records put', (p) => p.counts.poisonPut, 'none'],
    ['poison records in DLQ with reason', (p) => p.counts.poisonInDlq, 'none'],
    ['batches given up to the DLQ (ranges)', (p) => p.counts.batchesGivenUp, 'zero'],
    ['alerts expected (incidents)', (p) => p.counts.alertsExpected, 'none'],
    ['alerts received', (p) => p.counts.alertsReceived, 'none'],
  ];
  const head = `<tr><th></th>${pipelines.map((p) => `<th>${esc(p.pipeline)}</th>`).join('')}</tr>`;
  const body = rows
    .map(([label, get, rule]) => {
      const cells = pipelines.map((p) => {
        const v = get(p);
        const cls = rule === 'zero' && v !== undefined ? (v === 0 ? 'good' : 'bad') : '';
        return `<td class="${cls}">${v === undefined ? '–' : v}</td>`;
      });
      return `<tr><td>${esc(label)}</td>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table>${head}${body}</table>`;
}

function pipelineDetails(p: PipelineReconciliation): string {
  const parts: string[] = [`<h3>${esc(p.pipeline)}</h3>`];
  parts.push('<table><tr><th>poison record</th><th>kind</th><th>sequence number</th><th>DLQ reason</th><th>error</th><th>found</th></tr>');
  for (const r of p.poison) {
    parts.push(
      `<tr><td><code>${esc(r.partitionKey)}</code></td><td>${esc(r.kind)}</td><td><code>${esc(r.sequenceNumber ?? '–')}</code></td><td>${esc(r.reason ?? '–')}</td><td style="text-align:left">${esc((r.error ?? '–').slice(0, 160))}</td><td class="${r.ok ? 'good' : 'bad'}">${r.ok ? 'yes' : 'NO'}</td></tr>`,
    );
  }
  parts.push('</table>');
  const badEntities = p.entities.filter((e) => !e.ok);
  const entityRows = (list: typeof p.entities): string =>
    list.map((e) => `<tr><td>${esc(e.entity)}</td><td>${esc(e.expected)}</td><td>${esc(e.observed)}</td><td class="${e.ok ? 'good' : 'bad'}">${e.ok ? 'ok' : 'MISMATCH'}</td></tr>`).join('\n');
  const entityHead = '<tr><th>checked</th><th>expected</th><th>found</th><th></th></tr>';
  if (badEntities.length > 0) parts.push(`<table>${entityHead}${entityRows(badEntities)}</table>`);
  parts.push(`<details><summary>all ${p.entities.length} ${workloadFor(p.action)?.entityLabel ?? 'entity'} checks (${badEntities.length} mismatched)</summary><table>${entityHead}${entityRows(p.entities)}</table></details>`);
  const eventRows = (list: typeof p.events): string =>
    list
      .map(
        (e) =>
          `<tr><td><code>${esc(e.id)}</code></td><td><code>${esc(e.subject)}</code></td><td>${esc(e.injected.join(', ') || '–')}</td><td>${esc(e.expected)}</td><td>${esc(e.observed)}</td><td class="${e.verdict === 'ok' ? 'good' : e.verdict === 'unrecorded' ? '' : 'bad'}">${esc(e.verdict)}</td></tr>`,
      )
      .join('\n');
  const eventHead = '<tr><th>event id</th><th>subject</th><th>injected</th><th>expected</th><th>found</th><th>verdict</th></tr>';
  const notOk = p.events.filter((e) => e.verdict !== 'ok' && e.verdict !== 'unrecorded');
  if (notOk.length > 0) parts.push(`<table>${eventHead}${eventRows(notOk.slice(0, 500))}</table>`);
  const injected = p.events.filter((e) => e.injected.length > 0);
  parts.push(`<details><summary>${injected.length} events with injected duplicates, reordering or lateness</summary><table>${eventHead}${eventRows(injected)}</table></details>`);
  parts.push(`<details><summary>every event (${p.events.length})</summary><table>${eventHead}${eventRows(p.events)}</table></details>`);
  return parts.join('\n');
}

export function renderReport(data: ReportData): string {
  const s = data.summary;
  const xMax = (Date.parse(s.endedAt) - data.loadStartedAt) / 1000;
  const bands = bandsOf(data);
  const toPoints = (points: readonly { at: number; value: number }[]) => points.map((p) => ({ x: (p.at - data.loadStartedAt) / 1000, y: p.value }));
  const maxGap = data.seriesPeriodSeconds * 2.5;
  const verdictClass = !s.completed ? 'partial' : s.ok ? 'pass' : 'fail';
  const verdictText = !s.completed ? `PARTIAL (${s.stoppedBecause ?? 'interrupted'})` : s.ok ? 'PASS' : 'FAIL';
  const o = s.options;
  const enabledSteps = Object.entries(o.steps).filter(([, on]) => on).map(([step]) => step);

  const charts = s.pipelines.map((p) => {
    const series = data.series.find((x) => x.pipeline === p.pipeline);
    const latency = lineChart({
      title: `${p.pipeline}: event-to-action latency (per ${data.seriesPeriodSeconds} s)`,
      yLabel: 'ms',
      xMax,
      bands,
      thresholds: [{ label: `objective ${p.latencyObjectiveMs} ms`, y: p.latencyObjectiveMs, color: '#d1383d' }],
      lines: [
        { label: 'p50', color: '#2f6fde', points: toPoints(series?.p50 ?? []), maxGap },
        { label: 'p99', color: '#d97706', points: toPoints(series?.p99 ?? []), maxGap },
      ],
    });
    const age = lineChart({
      title: `${p.pipeline}: iterator age (maximum)`,
      yLabel: 'ms',
      xMax,
      bands,
      height: 180,
      lines: [{ label: 'iterator age', color: '#7b3fbf', points: toPoints(series?.iteratorAge ?? []), maxGap }],
    });
    const throughput = lineChart({
      title: `${p.pipeline}: events processed per ${data.seriesPeriodSeconds} s`,
      yLabel: 'events',
      xMax,
      bands,
      height: 160,
      lines: [{ label: 'processed', color: '#2e9d5b', points: toPoints(series?.processed ?? []), maxGap }],
    });
    return `${latency}\n${age}\n${throughput}`;
  });

  const problems = s.problems.length
    ? `<h2>Problems (${s.problems.length})</h2><ul class="problems">${s.problems.slice(0, 300).map((p) => `<li>${esc(p)}</li>`).join('')}</ul>`
    : '';
  const latencyTable = `<table><tr><th>pipeline</th><th>p50</th><th>p99</th><th>worst period p99</th><th>objective</th><th>latency alarm ALARM at</th><th>OK again at</th><th>stalled alarm ALARM at</th><th>OK again at</th></tr>${s.pipelines
    .map(
      (p) =>
        `<tr><td>${esc(p.pipeline)}</td><td>${fmt(p.latencyP50)}</td><td>${fmt(p.latencyP99)}</td><td>${fmt(p.worstPeriodP99)}</td><td>${p.latencyObjectiveMs} ms</td><td>${at(p.latencyAlarm?.firedAt)}</td><td>${at(p.latencyAlarm?.clearedAt)}</td><td>${at(p.stalledAlarm?.firedAt)}</td><td>${at(p.stalledAlarm?.clearedAt)}</td></tr>`,
    )
    .join('')}</table>`;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>stream-pipeline scenario ${esc(s.runId)}</title><style>${CSS}</style></head>
<body>
<h1>stream-pipeline scenario <code>${esc(s.runId)}</code></h1>
<p><span class="verdict ${verdictClass}">${verdictText}</span>
<span class="muted">&nbsp;${esc(s.startedAt)} → ${esc(s.endedAt)}</span></p>
<p class="muted">${o.ratePerSecond} events/s per pipeline for ${o.durationSeconds} s on ${esc(o.pipelines.join(', '))};
steps: ${esc(enabledSteps.join(', ') || 'none')}; time scale ${o.timeScale}× (a ${60} s alarm period lasts ${(60 / o.timeScale).toFixed(1)} s); seed ${o.seed}.
Windows: ${s.windows.map((w) => esc(windowLine(w, new Date(data.loadStartedAt).toISOString()))).join('; ') || 'none'}.</p>
${problems}
<h2>Reconciliation</h2>
<p>Every event the producer put, matched against the idempotency table, the state table, the alerts topic and the dead-letter queue.</p>
${data.reconciliation ? countsTable(data.reconciliation.pipelines, s.completed) : '<p class="muted">Not reconciled (the run stopped before).</p>'}
${s.caveats.map((c) => `<p class="muted">Note: ${esc(c)}</p>`).join('\n')}
${producerTable(s.pipelines)}
<h2>Latency</h2>
${latencyTable}
${charts.join('\n')}
${windowedSections(data, xMax, bands)}
<h2>Alarms</h2>
${stateTimeline('alarm state over the run', alarmRows(data, xMax), xMax, bands)}
<h2>Details per pipeline</h2>
${data.reconciliation ? data.reconciliation.pipelines.map(pipelineDetails).join('\n') : ''}
<p class="muted">Generated by <code>npm start</code>. Metrics from the CloudWatch API (GetMetricData, DescribeAlarmHistory) of the target; tables and queues read with the AWS SDK.</p>
</body></html>
`;
}

const fmt = (v: number | undefined): string => (v === undefined ? '–' : `${Math.round(v)} ms`);
const at = (v: number | undefined): string => (v === undefined ? 'never' : `${v.toFixed(1)} s`);

export function writeReport(path: string, data: ReportData): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderReport(data));
}
