/**
 * Inline SVG charts for the HTML report: a time-series line chart with shaded windows and a state
 * timeline. No library and no network: the report must open anywhere, offline.
 */

export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

export interface Point {
  /** Seconds from the start of the run. */
  readonly x: number;
  readonly y: number;
}

export interface Line {
  readonly label: string;
  readonly color: string;
  readonly points: readonly Point[];
  readonly dashed?: boolean;
  /** Points further apart than this (x units) are not joined: a gap in the data stays a gap. */
  readonly maxGap?: number;
}

export interface Band {
  readonly label: string;
  readonly color: string;
  readonly start: number;
  readonly end: number;
}

export interface Threshold {
  readonly label: string;
  readonly y: number;
  readonly color: string;
}

export interface ChartOptions {
  readonly title: string;
  readonly yLabel: string;
  readonly xMax: number;
  readonly lines: readonly Line[];
  readonly bands?: readonly Band[];
  readonly thresholds?: readonly Threshold[];
  readonly width?: number;
  readonly height?: number;
  /** Formats a y tick. Default: the number. */
  readonly formatY?: (y: number) => string;
}

const MARGIN = { top: 28, right: 16, bottom: 34, left: 64 };

/** A "nice" tick step (1, 2 or 5 × 10^n) giving about `count` ticks over `span`. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / magnitude;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * magnitude;
}

export function lineChart(options: ChartOptions): string {
  const width = options.width ?? 900;
  const height = options.height ?? 260;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const xMax = Math.max(1, options.xMax);
  const allY = [...options.lines.flatMap((l) => l.points.map((p) => p.y)), ...(options.thresholds ?? []).map((t) => t.y)];
  const yStep = niceStep(Math.max(1, ...allY) * 1.1, 5);
  const yMax = Math.ceil((Math.max(1, ...allY) * 1.1) / yStep) * yStep;
  const sx = (x: number): number => MARGIN.left + (Math.min(Math.max(x, 0), xMax) / xMax) * plotW;
  const sy = (y: number): number => MARGIN.top + plotH - (Math.min(Math.max(y, 0), yMax) / yMax) * plotH;
  const fmt = options.formatY ?? ((y: number) => String(y));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(options.title)}">`);
  parts.push(`<text x="${MARGIN.left}" y="18" class="chart-title">${escapeXml(options.title)}</text>`);
  for (const band of options.bands ?? []) {
    const x1 = sx(band.start);
    const x2 = sx(band.end);
    parts.push(`<rect x="${x1.toFixed(1)}" y="${MARGIN.top}" width="${Math.max(1, x2 - x1).toFixed(1)}" height="${plotH}" fill="${band.color}" fill-opacity="0.18"><title>${escapeXml(band.label)}</title></rect>`);
    parts.push(`<text x="${(x1 + 3).toFixed(1)}" y="${MARGIN.top + 12}" class="band-label" fill="${band.color}">${escapeXml(band.label)}</text>`);
  }
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" class="tick">${escapeXml(fmt(y))}</text>`);
  }
  const xStep = niceStep(xMax, 10);
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    parts.push(`<line x1="${sx(x).toFixed(1)}" x2="${sx(x).toFixed(1)}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 4}" class="axis"/>`);
    parts.push(`<text x="${sx(x).toFixed(1)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle" class="tick">${x}s</text>`);
  }
  parts.push(`<text x="14" y="${MARGIN.top + plotH / 2}" transform="rotate(-90 14 ${MARGIN.top + plotH / 2})" text-anchor="middle" class="tick">${escapeXml(options.yLabel)}</text>`);
  for (const t of options.thresholds ?? []) {
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${sy(t.y).toFixed(1)}" y2="${sy(t.y).toFixed(1)}" stroke="${t.color}" stroke-dasharray="6 4" stroke-width="1.5"/>`);
    parts.push(`<text x="${MARGIN.left + plotW - 4}" y="${(sy(t.y) - 4).toFixed(1)}" text-anchor="end" class="tick" fill="${t.color}">${escapeXml(t.label)}</text>`);
  }
  for (const line of options.lines) {
    if (line.points.length === 0) continue;
    const gap = line.maxGap ?? Infinity;
    const d = line.points
      .map((p, i) => {
        const previous = line.points[i - 1];
        const move = previous === undefined || p.x - previous.x > gap;
        return `${move ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`;
      })
      .join(' ');
    // A lone point between gaps would draw nothing: mark every point too.
    const dots = line.points.length <= 400 ? line.points.map((p) => `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="1.8" fill="${line.color}"/>`).join('') : '';
    parts.push(`<path d="${d}" fill="none" stroke="${line.color}" stroke-width="1.8"${line.dashed ? ' stroke-dasharray="3 3"' : ''}><title>${escapeXml(line.label)}</title></path>${dots}`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  // Legend at the top right, clear of the title.
  const legendWidth = options.lines.reduce((w, line) => w + 30 + line.label.length * 6.5, 0);
  let legendX = width - MARGIN.right - legendWidth;
  for (const line of options.lines) {
    parts.push(`<line x1="${legendX.toFixed(1)}" x2="${(legendX + 18).toFixed(1)}" y1="14" y2="14" stroke="${line.color}" stroke-width="2.5"${line.dashed ? ' stroke-dasharray="3 3"' : ''}/>`);
    parts.push(`<text x="${(legendX + 22).toFixed(1)}" y="18" class="tick">${escapeXml(line.label)}</text>`);
    legendX += 30 + line.label.length * 6.5;
  }
  parts.push('</svg>');
  return parts.join('\n');
}

export interface StateSegment {
  readonly start: number;
  readonly end: number;
  readonly state: string;
}

export interface StateRow {
  readonly label: string;
  readonly segments: readonly StateSegment[];
}

export const STATE_COLORS: Readonly<Record<string, string>> = { OK: '#2e9d5b', ALARM: '#d1383d', INSUFFICIENT_DATA: '#b8b8b8' };

/** One row per alarm, coloured by state over time, with the same x axis as the line charts. */
export function stateTimeline(title: string, rows: readonly StateRow[], xMax: number, bands: readonly Band[] = [], width = 900): string {
  const rowH = 20;
  const labelW = 300;
  const top = 28;
  const height = top + rows.length * (rowH + 6) + 30;
  const plotW = width - labelW - MARGIN.right;
  const max = Math.max(1, xMax);
  const sx = (x: number): number => labelW + (Math.min(Math.max(x, 0), max) / max) * plotW;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}">`];
  parts.push(`<text x="4" y="18" class="chart-title">${escapeXml(title)}</text>`);
  for (const band of bands) {
    parts.push(`<rect x="${sx(band.start).toFixed(1)}" y="${top - 4}" width="${Math.max(1, sx(band.end) - sx(band.start)).toFixed(1)}" height="${rows.length * (rowH + 6) + 4}" fill="${band.color}" fill-opacity="0.15"><title>${escapeXml(band.label)}</title></rect>`);
  }
  rows.forEach((row, i) => {
    const y = top + i * (rowH + 6);
    parts.push(`<text x="${labelW - 8}" y="${y + 14}" text-anchor="end" class="tick">${escapeXml(row.label)}</text>`);
    for (const seg of row.segments) {
      const x1 = sx(seg.start);
      const w = Math.max(1, sx(seg.end) - x1);
      const color = STATE_COLORS[seg.state] ?? '#888';
      parts.push(`<rect x="${x1.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowH}" fill="${color}"><title>${escapeXml(`${row.label}: ${seg.state} from ${seg.start.toFixed(1)}s to ${seg.end.toFixed(1)}s`)}</title></rect>`);
      if (w > 44) parts.push(`<text x="${(x1 + 4).toFixed(1)}" y="${y + 14}" class="seg-label">${escapeXml(seg.state === 'INSUFFICIENT_DATA' ? 'NO DATA' : seg.state)}</text>`);
    }
  });
  const axisY = top + rows.length * (rowH + 6) + 12;
  const xStep = niceStep(max, 10);
  for (let x = 0; x <= max + 1e-9; x += xStep) parts.push(`<text x="${sx(x).toFixed(1)}" y="${axisY}" text-anchor="middle" class="tick">${x}s</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
