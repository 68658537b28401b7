/**
 * The live terminal view: one screen redrawn in place (ANSI cursor codes) while the scenario runs.
 * Without a TTY (CI logs, pipes) it prints a compact status line every few seconds instead.
 */
import { formatWithOptions } from 'node:util';
import { bold, dim, green, red, yellow } from '../../client/operations/colors';
import type { AlarmState, PipelineNow } from '../aws/cloudwatch';

/** Lines of other output kept in the frame. */
const CAPTURED_LINES = 3;

export interface LivePipeline {
  readonly pipeline: string;
  /** Records Kinesis accepted (valid, duplicates and poison). */
  readonly put: number;
  readonly now?: PipelineNow;
  readonly dlqDepth?: number;
}

export interface LiveState {
  readonly elapsedMs: number;
  readonly loadMs: number;
  readonly phase: string;
  readonly timeScale: number;
  readonly pipelines: readonly LivePipeline[];
  readonly alarms: readonly AlarmState[];
  /** The scenario's own log: step changes, most recent last. */
  readonly log: readonly string[];
  /** Set when the last metrics read failed (the view keeps the previous values). */
  readonly readError?: string;
}


export function colorState(state: string): string {
  if (state === 'ALARM') return red(state);
  if (state === 'OK') return green(state);
  return yellow(state === 'INSUFFICIENT_DATA' ? 'NO DATA' : state);
}

const ANSI = /\x1b\[[0-9;]*m/g;
const visibleLength = (s: string): number => s.replace(ANSI, '').length;
const pad = (s: string, width: number, right = true): string => {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(s)));
  return right ? fill + s : s + fill;
};

/** Text table: first column left-aligned, the rest right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: readonly string[]): string => cells.map((c, i) => pad(c, widths[i] ?? 0, i > 0)).join('  ');
  return [bold(line(header)), ...rows.map(line)];
}

export const ms = (value: number | undefined): string => (value === undefined ? '–' : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);

/** Records put and not yet accounted for by the processor (approximate: redeliveries count as duplicates). */
export function inFlight(p: LivePipeline): number | undefined {
  if (!p.now) return undefined;
  return Math.max(0, p.put - p.now.processed - p.now.duplicates - p.now.poison - p.now.stale);
}

export function renderLive(state: LiveState, width = process.stdout.columns ?? 100): string[] {
  const seconds = (state.elapsedMs / 1000).toFixed(1);
  const progress = Math.min(1, state.elapsedMs / state.loadMs);
  const barWidth = Math.max(10, Math.min(40, width - 60));
  const filled = Math.round(progress * barWidth);
  const lines: string[] = [
    `${bold('stream-pipeline scenario')}  ${seconds} s of ${state.loadMs / 1000} s load  [${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}]  time scale ${state.timeScale}×`,
    `phase: ${bold(state.phase)}`,
    '',
    ...table(
      ['pipeline', 'put', 'processed', 'dup suppressed', 'stale', 'poison', 'in DLQ', 'in flight', 'p50', 'p99', 'iterator age'],
      state.pipelines.map((p) => [
        p.pipeline,
        String(p.put),
        String(p.now?.processed ?? '–'),
        String(p.now?.duplicates ?? '–'),
        String(p.now?.stale ?? '–'),
        String(p.now?.poison ?? '–'),
        String(p.dlqDepth ?? '–'),
        String(inFlight(p) ?? '–'),
        ms(p.now?.latencyP50),
        ms(p.now?.latencyP99),
        ms(p.now?.iteratorAgeMs),
      ]),
    ),
    '',
    bold('alarms'),
    ...alarmLines(state.alarms, width),
    '',
    bold('steps'),
    ...state.log.slice(-6).map((l) => `  ${l}`),
  ];
  if (state.readError) lines.push(yellow(`metrics read failed (showing last values): ${state.readError}`));
  return lines.map((l) => (visibleLength(l) > width ? l.replace(ANSI, '').slice(0, width - 1) : l));
}

function alarmLines(alarms: readonly AlarmState[], width: number): string[] {
  if (alarms.length === 0) return ['  (none yet)'];
  // The stack name prefixes every alarm: drop it to keep the view compact.
  const cells = alarms.map((a) => `${a.name.replace(/^[^-]+-/, '')} ${colorState(a.state)}`);
  const lines: string[] = [];
  let current = ' ';
  for (const cell of cells) {
    if (visibleLength(current) + visibleLength(cell) + 3 > width && current.trim()) {
      lines.push(current);
      current = ' ';
    }
    current += ` ${cell}  `;
  }
  lines.push(current);
  return lines;
}

/** One status line for logs without a terminal. */
export function renderLine(state: LiveState): string {
  const parts = state.pipelines.map(
    (p) => `${p.pipeline}: put ${p.put} processed ${p.now?.processed ?? '–'} dup ${p.now?.duplicates ?? '–'} DLQ ${p.dlqDepth ?? '–'} p99 ${ms(p.now?.latencyP99)}`,
  );
  const alarming = state.alarms.filter((a) => a.state === 'ALARM').map((a) => a.name);
  return `[${(state.elapsedMs / 1000).toFixed(0)}s ${state.phase}] ${parts.join(' | ')}${alarming.length ? ` | ALARM: ${alarming.join(', ')}` : ''}`;
}

/** Redraws a block of lines in place on a TTY; prints a line every `lineEveryMs` otherwise. */
export class LiveScreen {
  private drawn = 0;
  private lastLineAt = 0;
  private logPrinted = 0;
  private readonly tty: boolean;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly lineEveryMs = 5000,
  ) {
    this.tty = out.isTTY === true;
    if (this.tty) {
      out.write('\x1b[?25l');
      // A second Ctrl-C exits at once: the cursor must come back even then.
      process.once('exit', () => out.write('\x1b[?25h'));
      // Whatever else prints (the local target's own log lines) would scroll the frame away: it is
      // shown inside the frame instead, as its last lines.
      this.originalLog = console.log;
      console.log = (...args: unknown[]) => {
        this.captured.push(...formatWithOptions({ colors: false }, ...args).split('\n'));
        this.captured.splice(0, Math.max(0, this.captured.length - CAPTURED_LINES));
      };
    }
  }

  private readonly captured: string[] = [];
  private originalLog: typeof console.log | undefined;

  draw(state: LiveState): void {
    if (!this.tty) {
      // Step messages as they happen, then a status line every few seconds.
      for (const line of state.log.slice(this.logPrinted)) this.out.write(`${line}\n`);
      this.logPrinted = state.log.length;
      if (Date.now() - this.lastLineAt >= this.lineEveryMs) {
        this.lastLineAt = Date.now();
        this.out.write(`${renderLine(state)}\n`);
      }
      return;
    }
    const lines = renderLive(state, this.out.columns);
    if (this.captured.length > 0) {
      lines.push('', bold('local target'), ...this.captured.map((l) => dim(`  ${l}`.slice(0, (this.out.columns ?? 100) - 1))));
    }
    // Up to the first line we drew, clear to the end of the screen, draw again.
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F` : '';
    this.out.write(`${up}\x1b[0J${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  /** Leaves the last frame on screen and gives the cursor back. */
  close(): void {
    if (this.originalLog) console.log = this.originalLog;
    if (this.tty) this.out.write('\x1b[?25h');
  }
}
