/**
 * How the end-to-end benchmarks print and keep their figures: one table of rows (figure, value, goal,
 * met / missed / no goal), the machine's load beside them, and the same rows in reports/bench-<name>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

export interface Figure {
  readonly figure: string;
  /** undefined: not measured on this build (`note` says why). */
  readonly value: number | undefined;
  readonly unit: string;
  /** A goal the value must reach: at least (`min`) or at most (`max`). */
  readonly goal?: { readonly min?: number; readonly max?: number };
  readonly note?: string;
}

export type Verdict = 'met' | 'MISSED' | 'not available' | '';

export function verdict(f: Figure): Verdict {
  if (f.value === undefined) return 'not available';
  if (!f.goal) return '';
  if (f.goal.min !== undefined && f.value < f.goal.min) return 'MISSED';
  if (f.goal.max !== undefined && f.value > f.goal.max) return 'MISSED';
  return 'met';
}

const goalText = (f: Figure): string => (f.goal ? [f.goal.min !== undefined ? `≥ ${f.goal.min}` : '', f.goal.max !== undefined ? `≤ ${f.goal.max}` : ''].filter(Boolean).join(' and ') : '');

const valueText = (v: number | undefined): string => (v === undefined ? '–' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(Math.abs(v) >= 10 ? 1 : 2));

export const median = (values: readonly number[]): number => percentile(values, 50);

/** Nearest-rank percentile; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export function machine(): { cpus: number; loadAverage: number[]; node: string } {
  return { cpus: cpus().length, loadAverage: loadavg().map((l) => Number(l.toFixed(2))), node: process.version };
}

/** Prints the figures as a table (with the load average at the end of the run) and writes the report. */
export function report(name: string, title: string, figures: readonly Figure[], details: Record<string, unknown>, loadAtStart: number[]): void {
  const rows = [['figure', 'value', 'unit', 'goal', 'verdict', 'note'], ...figures.map((f) => [f.figure, valueText(f.value), f.unit, goalText(f), verdict(f), f.note ?? ''])];
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c] as number)).join(' | ')} |`;
  const m = machine();
  console.log(`\n${title}`);
  console.log(`Machine: ${m.cpus} CPUs, load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at start, ${m.loadAverage.map((l) => l.toFixed(1)).join(' ')} at end (shared: figures are noisy, ratios are measured in the same run)`);
  console.log([line(rows[0] as string[]), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n'));
  mkdirSync(join(ROOT, 'reports'), { recursive: true });
  const file = join('reports', `bench-${name}.json`);
  const body = { benchmark: name, generatedAt: new Date().toISOString(), machine: { ...m, loadAverageAtStart: loadAtStart }, figures: figures.map((f) => ({ ...f, verdict: verdict(f) })), details };
  writeFileSync(join(ROOT, file), `${JSON.stringify(body, null, 2)}\n`);
  console.log(`Report: ${file}`);
}

/** Runs a benchmark's main and exits with its outcome (bench/run.ts counts a non-zero exit as a failure). */
export function runBenchmark(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
