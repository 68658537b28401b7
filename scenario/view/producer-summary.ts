/**
 * The producers' side of a run, for the summary and the report: how each pipeline's producer ran
 * (in memory, or a child process with a spool, crashed and restarted), its counters, and how long an
 * event took from its event time to Kinesis' acknowledgement, over the whole load and within the
 * Kinesis outage.
 */
import type { LedgerEvent } from '../judge/ledger';
import type { ExecutedWindow } from '../run-log';
import type { DrivenPipeline } from '../stage';
import { KINESIS_OUTAGE_LABEL } from '../steps/kinesis-outage';

export interface LatencyFigures {
  readonly count: number;
  readonly p50?: number;
  readonly p99?: number;
  readonly max?: number;
}

export interface ProducerSummary {
  readonly mode: 'in memory' | 'spool (child process)';
  readonly sent: number;
  readonly retried: number;
  readonly throttled: number;
  readonly givenUp: number;
  /** Spooled producers: events written to the spool, the most unacknowledged at once, crashes and what the restart recovered. */
  readonly spooled?: number;
  readonly peakSpooled?: number;
  readonly crashes?: number;
  readonly recoveredOnRestart?: number;
  readonly resentUnconfirmed?: number;
  /** Events Kinesis received a second time because the crash fell between send and acknowledgement (skipped by the processor). */
  readonly duplicateDeliveries?: number;
  readonly corruptTails?: number;
  /** Event time → Kinesis acknowledgement (ms), events put on time (not the deliberately late or reordered ones). */
  readonly acceptLatency: LatencyFigures;
  /** The same for events whose time falls inside the Kinesis outage. */
  readonly acceptLatencyInOutage?: LatencyFigures;
}

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function figures(latencies: number[]): LatencyFigures {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) };
}

export function summarizeProducer(pipeline: DrivenPipeline, events: readonly LedgerEvent[], windows: readonly ExecutedWindow[]): ProducerSummary {
  const metrics = pipeline.producer.metrics();
  const onTime = events.filter((e) => e.injected === undefined && e.outcome?.ok === true && e.outcome.acknowledgedAt !== undefined);
  const latency = (e: LedgerEvent): number => (e.outcome?.ok ? (e.outcome.acknowledgedAt ?? 0) : 0) - Date.parse(e.event.time ?? '');
  const outage = windows.find((w) => w.label === KINESIS_OUTAGE_LABEL);
  const inOutage = outage
    ? onTime.filter((e) => {
        const t = Date.parse(e.event.time ?? '');
        return t >= outage.startAt && t <= (outage.endAt ?? Infinity);
      })
    : undefined;
  const base = {
    sent: metrics.sent,
    retried: metrics.retried,
    throttled: metrics.throttled,
    givenUp: metrics.givenUp,
    acceptLatency: figures(onTime.map(latency)),
    ...(inOutage ? { acceptLatencyInOutage: figures(inOutage.map(latency)) } : {}),
  };
  const spooled = pipeline.spooledProducer;
  if (!spooled) return { mode: 'in memory', ...base };
  const c = spooled.processCounters;
  return {
    mode: 'spool (child process)',
    ...base,
    spooled: c.handedOver,
    peakSpooled: c.peakSpooled,
    crashes: c.crashes,
    recoveredOnRestart: c.recoveredOnRestart,
    resentUnconfirmed: c.resentUnconfirmed,
    duplicateDeliveries: c.duplicateDeliveries,
    corruptTails: metrics.spoolCorruptTails,
  };
}

const ms = (v: number | undefined): string => (v === undefined ? '–' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const latencyText = (f: LatencyFigures): string => `p50 ${ms(f.p50)}, p99 ${ms(f.p99)}, max ${ms(f.max)} (${f.count} events)`;

/** The summary's lines about one pipeline's producer. */
export function producerLines(p: ProducerSummary): string[] {
  const lines = [`    producer (${p.mode}): sent ${p.sent}, retried ${p.retried}, throttled ${p.throttled}, given up ${p.givenUp}`];
  if (p.spooled !== undefined) {
    lines.push(
      `      spooled ${p.spooled} (peak ${p.peakSpooled ?? 0} unacknowledged on disk), ${p.crashes ?? 0} crash(es): ${p.recoveredOnRestart ?? 0} recovered from the spool, ` +
        `${p.resentUnconfirmed ?? 0} unconfirmed handed over again, ${p.duplicateDeliveries ?? 0} delivered twice (skipped by the processor), ${p.corruptTails ?? 0} corrupt tail(s)`,
    );
  }
  lines.push(`    event time → accepted by Kinesis: ${latencyText(p.acceptLatency)}`);
  if (p.acceptLatencyInOutage) lines.push(`      during the Kinesis outage: ${latencyText(p.acceptLatencyInOutage)}`);
  return lines;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`);

/** The report's table of the producers. */
export function producerTable(pipelines: readonly { readonly pipeline: string; readonly producer?: ProducerSummary }[]): string {
  const rows = pipelines.filter((p) => p.producer !== undefined);
  if (rows.length === 0) return '';
  const head =
    '<tr><th>pipeline</th><th>producer</th><th>sent</th><th>retried</th><th>given up</th><th>spooled (peak)</th><th>crashes</th><th>recovered</th><th>delivered twice</th><th>event time → accepted p50 / p99 / max</th><th>same, during the Kinesis outage</th></tr>';
  const body = rows
    .map(({ pipeline, producer: p }) => {
      const l = (f: LatencyFigures | undefined): string => (f ? `${ms(f.p50)} / ${ms(f.p99)} / ${ms(f.max)}` : '–');
      const opt = (v: number | undefined): string => (v === undefined ? '–' : String(v));
      return `<tr><td>${esc(pipeline)}</td><td>${esc(p!.mode)}</td><td>${p!.sent}</td><td>${p!.retried}</td><td class="${p!.givenUp > 0 ? 'bad' : 'good'}">${p!.givenUp}</td><td>${p!.spooled === undefined ? '–' : `${p!.spooled} (${p!.peakSpooled ?? 0})`}</td><td>${opt(p!.crashes)}</td><td>${opt(p!.recoveredOnRestart)}</td><td>${opt(p!.duplicateDeliveries)}</td><td>${l(p!.acceptLatency)}</td><td>${l(p!.acceptLatencyInOutage)}</td></tr>`;
    })
    .join('');
  return `<h2>Producers</h2>\n<p>How each pipeline's producer rode the Kinesis outage: in memory (retry window), or a child process with a spool killed with SIGKILL in the middle of it and restarted on the same spool.</p>\n<table>${head}${body}</table>`;
}
