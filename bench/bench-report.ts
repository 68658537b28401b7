/**
 * How a benchmark states its results: markdown-like tables on stdout, every goal with the figure
 * measured in the same run, met or missed, and the whole result in reports/bench-<name>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

export interface Goal {
  /** What is measured, e.g. "noop fresh: ours / floor (time)". */
  readonly figure: string;
  readonly measured: number;
  /** How `measured` is printed, e.g. "1.18x". */
  readonly shown: string;
  /** The goal as a sentence fragment, e.g. "≤ 1.25x". */
  readonly goal: string;
  readonly met: boolean;
}

/** A goal that `measured` is at most `limit`. */
export const atMost = (figure: string, measured: number, limit: number, unit = '', digits = 2): Goal => ({
  figure,
  measured,
  shown: `${measured.toFixed(digits)}${unit}`,
  goal: `≤ ${limit}${unit}`,
  met: measured <= limit,
});

/** A goal that `measured` is at least `limit`. */
export const atLeast = (figure: string, measured: number, limit: number, unit = '', digits = 2): Goal => ({
  figure,
  measured,
  shown: `${measured.toFixed(digits)}${unit}`,
  goal: `≥ ${limit}${unit}`,
  met: measured >= limit,
});

export function printTable(rows: readonly (readonly string[])[]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  console.log([line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n'));
}

export function printGoals(goals: readonly Goal[]): void {
  console.log('\nGoals (each figure measured in this run)');
  printTable([['figure', 'measured', 'goal', 'result'], ...goals.map((g) => [g.figure, g.shown, g.goal, g.met ? 'met' : 'MISSED'])]);
}

/** The machine's state, printed before a table: the ratios hold for this load, not for another. */
export function machine(): { cpus: number; loadAverage: number[]; node: string } {
  return { cpus: cpus().length, loadAverage: loadavg(), node: process.version };
}

export function printMachine(): void {
  const m = machine();
  console.log(`\nMachine: ${m.cpus} CPUs, load average ${m.loadAverage.map((l) => l.toFixed(1)).join(' ')} (other work on the machine slows every side of a ratio)`);
}

/** Writes reports/bench-<name>.json with the goals and the run's context; returns its path. */
export function writeReport(name: string, body: Record<string, unknown>, goals: readonly Goal[]): string {
  mkdirSync(join(ROOT, 'reports'), { recursive: true });
  const file = join('reports', `bench-${name}.json`);
  const report = { generatedAt: new Date().toISOString(), ...machine(), goals, ...body };
  writeFileSync(join(ROOT, file), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`Report: ${file}`);
  return file;
}
