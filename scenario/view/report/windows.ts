/**
 * The report's section for windowed pipelines (../../judge/windowed-evidence.ts): the spiking SKU's
 * windows against its baseline and threshold, with the alert, and the pipeline watermark over time
 * against the wall clock, with the idle shard's silence shaded.
 */
import type { WindowedEvidence } from '../../judge/windowed-evidence';
import type { ReportData } from '../summary';
import { escapeXml as esc, lineChart, type Band, type Point } from './svg';

const seconds = (ms: number | undefined): string => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** A value per window as a step line: flat over each window, from its start to its end. */
function steps(windows: readonly { start: number; value: number | undefined }[], sizeMs: number, toX: (at: number) => number): Point[] {
  return windows.flatMap((w) => (w.value === undefined ? [] : [{ x: toX(w.start), y: w.value }, { x: toX(w.start + sizeMs), y: w.value }]));
}

/** Only the spike's window is shaded here: the steps' windows are on the watermark chart below. */
function spikeChart(pipeline: string, w: WindowedEvidence, xMax: number, toX: (at: number) => number): string {
  const s = w.spike;
  const size = w.timing.sizeMs;
  const spikeBand: Band = { label: 'spike', color: '#d1383d', start: toX(s.windowStart), end: toX(s.windowStart + size) };
  return lineChart({
    title: `${pipeline}: returns of ${s.sku} per ${size / 1000} s window`,
    yLabel: 'returns per window',
    xMax,
    bands: [spikeBand],
    height: 240,
    lines: [
      { label: 'count', color: '#2f6fde', points: steps(s.windows.map((x) => ({ start: x.start, value: x.count })), size, toX), maxGap: size / 1000 + 0.01 },
      { label: 'baseline', color: '#687083', dashed: true, points: steps(s.windows.map((x) => ({ start: x.start, value: x.baseline })), size, toX), maxGap: size / 1000 + 0.01 },
      { label: 'threshold', color: '#d1383d', dashed: true, points: steps(s.windows.map((x) => ({ start: x.start, value: x.threshold })), size, toX), maxGap: size / 1000 + 0.01 },
    ],
  });
}

function watermarkChart(pipeline: string, w: WindowedEvidence, xMax: number, toX: (at: number) => number, bands: readonly Band[]): string {
  const idle: Band[] = w.idleShard ? [{ label: 'idle shard', color: '#5a7fa8', start: toX(w.idleShard.idleFrom), end: xMax }] : [];
  const samples = w.watermarks.filter((m) => toX(m.at) >= 0);
  return lineChart({
    title: `${pipeline}: pipeline watermark (event time)`,
    yLabel: 'event time (s)',
    xMax,
    bands: [...bands, ...idle],
    height: 240,
    lines: [
      { label: 'wall clock', color: '#b8b8b8', dashed: true, points: [{ x: 0, y: 0 }, { x: xMax, y: xMax }] },
      { label: 'watermark', color: '#2e9d5b', points: samples.map((m) => ({ x: toX(m.at), y: toX(m.watermark) })), maxGap: 5 },
    ],
  });
}

/** The windowed pipelines' charts and figures; empty when no pipeline is windowed. */
export function windowedSections(data: ReportData, xMax: number, bands: readonly Band[]): string {
  const toX = (at: number): number => (at - data.loadStartedAt) / 1000;
  const parts: string[] = [];
  for (const p of data.summary.pipelines) {
    const w = p.windowed;
    if (!w) continue;
    const s = w.spike;
    const t = w.tooLate;
    parts.push(`<h2>Event-time windows: ${esc(p.pipeline)}</h2>`);
    parts.push(
      `<p>${w.timing.sizeMs / 1000} s tumbling windows, ${w.timing.outOfOrderMs / 1000} s out of order, ${w.timing.latenessMs / 1000} s allowed lateness, ${w.timing.idleMs / 1000} s idle timeout. ` +
        `<b>${w.windowsClosed}</b> windows closed, ${w.windowsOpen} still open; counts matched <b>${w.countsMatched}/${w.windowsJudged}</b>. ` +
        `Spike on <code>${esc(s.sku)}</code>: ${s.alerts} alert${s.alerts === 1 ? '' : 's'}` +
        (s.alertCount !== undefined ? ` at count ${s.alertCount} of ${s.finalCount ?? '?'} (threshold ${s.threshold})` : '') +
        `, ${seconds(s.latencyMs)} after the threshold crossing, ${seconds(s.beforeCloseMs)} before its window closed; other SKUs alerted: ${s.otherAlerts}. ` +
        `Late within the lateness: ${w.late.counted}/${w.late.put} counted. Too late: ${t.put} put${t.delayed > 0 ? ` (+${t.delayed} arrived after the watermark)` : ''}, ${t.onResults} on window results, ${t.inDlq} in the DLQ, EventsTooLate ${t.metric ?? '–'}.` +
        (w.idleShard ? ` Idle shard <code>${esc(w.idleShard.shardId)}</code>: the watermark went ${seconds(w.idleShard.watermarkPastIdleMs)} past it while another shard held it; ${w.idleShard.windowsClosedWhileIdle} window(s) it would have held closed.` : '') +
        '</p>',
    );
    parts.push(spikeChart(p.pipeline, w, xMax, toX));
    parts.push(watermarkChart(p.pipeline, w, xMax, toX, bands));
  }
  return parts.join('\n');
}
