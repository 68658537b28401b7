/**
 * CloudWatch metric math, the subset alarms are built from: metric ids, numbers, `+ - * / ^`, unary
 * minus, `> < >= <= == !=`, `AND`/`&&`, `OR`/`||`, parentheses, `FILL(ts, number)` and
 * `IF(cond, a[, b])`. Everything else (other functions, SEARCH, METRICS(), arrays, strings, Metrics
 * Insights queries) is a parse error naming what is unsupported, so an alarm using it is listed as not
 * evaluated instead of silently never firing.
 *
 * Semantics, from the CloudWatch User Guide, "Metric math syntax and functions" (using-metric-math):
 * - Series are aligned on period start times. Between two series, a timestamp only one of them has
 *   counts the other as 0 ("Missing values in a time series are treated as 0"; comparison operators:
 *   "treats the missing value in the other time series as 0"); a timestamp neither has gives nothing.
 *   Between a series and a number, only the series' datapoints give results.
 * - A division by zero drops the datapoint.
 * - FILL "fills the missing values of a time series": every period of the queried range, also the
 *   newest (the guide warns that FILL in an alarm makes a never-published newest minute the FILL
 *   value). A metric without any datapoint in the range therefore becomes the fill value throughout:
 *   the guide does not spell that case out, but an edge period is filled with no neighbour to go by,
 *   and it is what lets FILL(m, 0) alarms leave INSUFFICIENT_DATA for an idle metric.
 * - IF, per datapoint of a series condition: nonzero takes the true branch (a series lacking the
 *   point gives 0), zero takes the false branch (dropped where that series lacks the point, or when
 *   it is omitted); no condition datapoint, no result. A number condition picks a whole series.
 */

import type { MetricStore, StatisticQuery } from './metric-store';
import { LocalAwsError } from '../errors';

export type Comparison = '>' | '<' | '>=' | '<=' | '==' | '!=';
export type BinaryOperator = '+' | '-' | '*' | '/' | '^' | Comparison | 'AND' | 'OR';

export type MathNode =
  | { readonly type: 'number'; readonly value: number; readonly column: number }
  | { readonly type: 'ref'; readonly id: string; readonly column: number }
  | { readonly type: 'negate'; readonly operand: MathNode; readonly column: number }
  | { readonly type: 'binary'; readonly op: BinaryOperator; readonly left: MathNode; readonly right: MathNode; readonly column: number }
  | { readonly type: 'fill'; readonly series: MathNode; readonly filler: MathNode; readonly column: number }
  | { readonly type: 'if'; readonly condition: MathNode; readonly whenTrue: MathNode; readonly whenFalse: MathNode | undefined; readonly column: number };

/** A parse or type error; `column` is 1-based in the expression text. */
export class MetricMathError extends LocalAwsError {
  constructor(
    readonly detail: string,
    readonly column: number,
  ) {
    super(`${detail} (column ${column})`);
  }
}

export const SUPPORTED_FUNCTIONS = ['FILL', 'IF'] as const;

/** CloudWatch's other functions and keywords, so that using one says "not supported" rather than "unknown". */
const CLOUDWATCH_FUNCTIONS = new Set([
  'ABS', 'ANOMALY_DETECTION_BAND', 'AVG', 'CEIL', 'DATAPOINT_COUNT', 'DATE', 'DAY', 'DB_PERF_INSIGHTS', 'DIFF', 'DIFF_TIME', 'EPOCH', 'FIRST',
  'FLOOR', 'HOUR', 'INSIGHT_RULE_METRIC', 'LAMBDA', 'LAST', 'LOG', 'LOG10', 'MAX', 'METRIC_COUNT', 'METRICS', 'MIN', 'MINUTE', 'MONTH',
  'PERIOD', 'RATE', 'REMOVE_EMPTY', 'RUNNING_SUM', 'SEARCH', 'SERVICE_QUOTA', 'SLICE', 'SORT', 'STDDEV', 'SUM', 'TIME_SERIES', 'YEAR',
]);

type Token =
  | { readonly kind: 'number'; readonly value: number; readonly column: number }
  | { readonly kind: 'id' | 'word' | 'op' | 'punct'; readonly text: string; readonly column: number }
  | { readonly kind: 'end'; readonly column: number }
  /** Where the text stops being tokens: raised only when the parser gets there, so errors come in reading order. */
  | { readonly kind: 'error'; readonly error: MetricMathError; readonly column: number };

const OPERATORS = ['>=', '<=', '==', '!=', '&&', '||', '+', '-', '*', '/', '^', '>', '<'] as const;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  try {
    readTokens(text, tokens);
  } catch (error) {
    if (!(error instanceof MetricMathError)) throw error;
    tokens.push({ kind: 'error', error, column: error.column });
  }
  return tokens;
}

function readTokens(text: string, tokens: Token[]): void {
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    const column = i + 1;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const number = /^(\d+(\.\d+)?|\.\d+)/.exec(text.slice(i));
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]), column });
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (word) {
      const w = word[0];
      if (w.startsWith('_')) throw new MetricMathError(`"${w}": ids start with a lowercase letter`, column);
      tokens.push({ kind: /^[a-z]/.test(w) ? 'id' : 'word', text: w, column });
      i += w.length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op, column });
      i += op.length;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: 'punct', text: ch, column });
      i += 1;
      continue;
    }
    throw new MetricMathError(unexpectedCharacter(ch), column);
  }
  tokens.push({ kind: 'end', column: text.length + 1 });
}

function unexpectedCharacter(ch: string): string {
  if (ch === '"' || ch === "'") return 'string arguments (SEARCH, METRICS("…"), Metrics Insights) are not supported by the local metric math';
  if (ch === '[' || ch === ']') return 'arrays of time series ([…]) are not supported by the local metric math';
  if (ch === '=') return '"=" is not an operator; compare with "=="';
  if (ch === '!') return '"!" is not an operator (metric math has no NOT); use "!=" or "== 0"';
  if (ch === '&' || ch === '|') return `"${ch}" is not an operator; use "${ch}${ch}" or ${ch === '&' ? 'AND' : 'OR'}`;
  return `unexpected character "${ch}"`;
}

class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): MathNode {
    if (this.peek().kind === 'end') throw new MetricMathError('the expression is empty', 1);
    const node = this.or();
    const next = this.peek();
    if (next.kind !== 'end') throw new MetricMathError(`unexpected ${describe(next)} after a complete expression`, next.column);
    return node;
  }

  private peek(): Token {
    const token = this.tokens[this.position] as Token;
    if (token.kind === 'error') throw token.error;
    return token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.position += 1;
    return token;
  }

  /** Consumes the next token if it is one of these operators or keywords. */
  private take(...texts: string[]): { readonly text: string; readonly column: number } | undefined {
    const t = this.peek();
    if ((t.kind === 'op' || t.kind === 'word') && texts.includes(t.text)) {
      this.position += 1;
      return t;
    }
    return undefined;
  }

  private expectPunct(text: string, context: string): void {
    const t = this.next();
    if (t.kind !== 'punct' || t.text !== text) throw new MetricMathError(`expected "${text}" ${context}, found ${describe(t)}`, t.column);
  }

  /** One precedence level of left-associative binary operators. */
  private leftAssociative(texts: string[], operand: () => MathNode, op: (text: string) => BinaryOperator = (text) => text as BinaryOperator): MathNode {
    let left = operand();
    for (let t = this.take(...texts); t; t = this.take(...texts)) {
      left = { type: 'binary', op: op(t.text), left, right: operand(), column: t.column };
    }
    return left;
  }

  private or(): MathNode {
    return this.leftAssociative(['OR', '||'], () => this.and(), () => 'OR');
  }

  private and(): MathNode {
    return this.leftAssociative(['AND', '&&'], () => this.comparison(), () => 'AND');
  }

  private comparison(): MathNode {
    return this.leftAssociative(['>', '<', '>=', '<=', '==', '!='], () => this.additive());
  }

  private additive(): MathNode {
    return this.leftAssociative(['+', '-'], () => this.multiplicative());
  }

  private multiplicative(): MathNode {
    return this.leftAssociative(['*', '/'], () => this.unary());
  }

  private unary(): MathNode {
    const minus = this.take('-');
    return minus ? { type: 'negate', operand: this.unary(), column: minus.column } : this.power();
  }

  private power(): MathNode {
    const base = this.primary();
    const caret = this.take('^');
    if (!caret) return base;
    const node: MathNode = { type: 'binary', op: '^', left: base, right: this.exponent(), column: caret.column };
    // The guide does not say how a ^ b ^ c groups; parentheses make it unambiguous.
    const again = this.take('^');
    if (again) throw new MetricMathError('chained "^" needs parentheses, e.g. (a ^ b) ^ c', again.column);
    return node;
  }

  /** The right side of ^: a signed operand, so that 2 ^ -1 parses and a ^ b ^ c is caught above. */
  private exponent(): MathNode {
    const minus = this.take('-');
    return minus ? { type: 'negate', operand: this.exponent(), column: minus.column } : this.primary();
  }

  private primary(): MathNode {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return { type: 'number', value: t.value, column: t.column };
      case 'id':
        if (this.isPunct('(')) throw new MetricMathError(`functions are written in uppercase: ${t.text.toUpperCase()}(…), not ${t.text}(…)`, t.column);
        return { type: 'ref', id: t.text, column: t.column };
      case 'punct':
        if (t.text === '(') {
          const inner = this.or();
          this.expectPunct(')', 'to close the parenthesis');
          return inner;
        }
        throw new MetricMathError(`unexpected ${describe(t)}`, t.column);
      case 'word':
        return this.call(t.text, t.column);
      case 'op':
      case 'end':
      case 'error':
        throw new MetricMathError(`unexpected ${describe(t)}`, t.column);
    }
  }

  private isPunct(text: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === text;
  }

  private call(name: string, column: number): MathNode {
    if (name === 'SELECT') throw new MetricMathError('Metrics Insights queries (SELECT …) are not supported by the local metric math', column);
    if (name === 'AND' || name === 'OR') throw new MetricMathError(`unexpected ${name}: it needs an operand on its left`, column);
    if (name === 'REPEAT' || name === 'LINEAR') throw new MetricMathError(`${name} is only valid as FILL's second argument, and is not supported by the local metric math`, column);
    if (name !== 'FILL' && name !== 'IF') {
      if (CLOUDWATCH_FUNCTIONS.has(name)) throw new MetricMathError(`${name}() is not supported by the local metric math (supported functions: ${SUPPORTED_FUNCTIONS.join(', ')})`, column);
      throw new MetricMathError(`unknown function or keyword "${name}" (metric ids start with a lowercase letter)`, column);
    }
    this.expectPunct('(', `after ${name}`);
    const args: MathNode[] = [];
    for (;;) {
      if (name === 'FILL' && args.length === 1) {
        const filler = this.peek();
        if (filler.kind === 'word' && (filler.text === 'REPEAT' || filler.text === 'LINEAR')) {
          throw new MetricMathError(`FILL(…, ${filler.text}) is not supported by the local metric math; fill with a number`, filler.column);
        }
      }
      args.push(this.or());
      if (!this.isPunct(',')) break;
      this.next();
    }
    this.expectPunct(')', `to close ${name}(`);
    if (name === 'FILL') {
      if (args.length !== 2) throw new MetricMathError(`FILL takes 2 arguments (a time series and a number), got ${args.length}`, column);
      return { type: 'fill', series: args[0] as MathNode, filler: args[1] as MathNode, column };
    }
    if (args.length !== 2 && args.length !== 3) throw new MetricMathError(`IF takes 2 or 3 arguments (condition, value if true[, value if false]), got ${args.length}`, column);
    return { type: 'if', condition: args[0] as MathNode, whenTrue: args[1] as MathNode, whenFalse: args[2], column };
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'end':
      return 'end of expression';
    case 'number':
      return `number ${t.value}`;
    case 'error':
      return t.error.detail;
    default:
      return `"${t.text}"`;
  }
}

/** Parses one expression; throws MetricMathError with the column of the problem. */
export function parseExpression(text: string): MathNode {
  return new Parser(tokenize(text)).parse();
}

/** The metric/expression ids an expression uses, in order of first use. */
export function references(node: MathNode): string[] {
  const ids: string[] = [];
  const walk = (n: MathNode): void => {
    switch (n.type) {
      case 'number':
        return;
      case 'ref':
        if (!ids.includes(n.id)) ids.push(n.id);
        return;
      case 'negate':
        return walk(n.operand);
      case 'binary':
        walk(n.left);
        return walk(n.right);
      case 'fill':
        walk(n.series);
        return walk(n.filler);
      case 'if':
        walk(n.condition);
        walk(n.whenTrue);
        if (n.whenFalse) walk(n.whenFalse);
    }
  };
  walk(node);
  return ids;
}

export type ValueKind = 'number' | 'series';

/** Whether an expression yields a number or a time series; throws on combinations metric math rejects. */
export function kindOf(node: MathNode): ValueKind {
  switch (node.type) {
    case 'number':
      return 'number';
    case 'ref':
      // Every query (metric or expression) yields a time series: expressions are checked to.
      return 'series';
    case 'negate':
      return kindOf(node.operand);
    case 'binary':
      return kindOf(node.left) === 'series' || kindOf(node.right) === 'series' ? 'series' : 'number';
    case 'fill':
      if (kindOf(node.series) !== 'series') throw new MetricMathError('FILL needs a time series as its first argument', node.column);
      if (kindOf(node.filler) !== 'number') throw new MetricMathError('FILL with a time series as filler is not supported by the local metric math; fill with a number', node.filler.column);
      return 'series';
    case 'if': {
      const branches = [node.whenTrue, ...(node.whenFalse ? [node.whenFalse] : [])].map(kindOf);
      if (kindOf(node.condition) === 'series') return 'series';
      // The guide defines IF(number, TS, TS) only.
      if (branches.some((k) => k !== 'series')) throw new MetricMathError('IF with a number as condition needs time series as values', node.column);
      return 'series';
    }
  }
}

/** A value during evaluation: a number, or one entry per period of the range (undefined: no datapoint). */
export type MathValue = { readonly kind: 'number'; readonly value: number | undefined } | { readonly kind: 'series'; readonly points: readonly (number | undefined)[] };

function apply(op: BinaryOperator, a: number, b: number): number | undefined {
  let r: number;
  switch (op) {
    case '+':
      r = a + b;
      break;
    case '-':
      r = a - b;
      break;
    case '*':
      r = a * b;
      break;
    case '/':
      if (b === 0) return undefined;
      r = a / b;
      break;
    case '^':
      r = a ** b;
      break;
    case '>':
      return a > b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case 'AND':
      return a !== 0 && b !== 0 ? 1 : 0;
    case 'OR':
      return a !== 0 || b !== 0 ? 1 : 0;
  }
  return Number.isFinite(r) ? r : undefined;
}

/**
 * Evaluates a parsed expression over a range of `length` aligned periods; `resolve` gives each
 * referenced id's series over the same range.
 */
export function evaluateExpression(node: MathNode, length: number, resolve: (id: string) => readonly (number | undefined)[]): MathValue {
  const ev = (n: MathNode): MathValue => evaluateExpression(n, length, resolve);
  const points = (v: MathValue): readonly (number | undefined)[] => (v.kind === 'series' ? v.points : Array.from({ length }, () => v.value));
  switch (node.type) {
    case 'number':
      return { kind: 'number', value: node.value };
    case 'ref':
      return { kind: 'series', points: resolve(node.id) };
    case 'negate': {
      const v = ev(node.operand);
      return v.kind === 'number' ? { kind: 'number', value: v.value === undefined ? undefined : -v.value } : { kind: 'series', points: v.points.map((p) => (p === undefined ? undefined : -p)) };
    }
    case 'binary': {
      const a = ev(node.left);
      const b = ev(node.right);
      if (a.kind === 'number' && b.kind === 'number') return { kind: 'number', value: a.value === undefined || b.value === undefined ? undefined : apply(node.op, a.value, b.value) };
      const both = a.kind === 'series' && b.kind === 'series';
      const pa = points(a);
      const pb = points(b);
      return {
        kind: 'series',
        points: pa.map((x, i) => {
          const y = pb[i];
          if (both) return x === undefined && y === undefined ? undefined : apply(node.op, x ?? 0, y ?? 0);
          return x === undefined || y === undefined ? undefined : apply(node.op, x, y);
        }),
      };
    }
    case 'fill': {
      const series = points(ev(node.series));
      const filler = ev(node.filler);
      const value = filler.kind === 'number' ? filler.value : undefined;
      return { kind: 'series', points: series.map((p) => p ?? value) };
    }
    case 'if': {
      const condition = ev(node.condition);
      const whenTrue = ev(node.whenTrue);
      const whenFalse = node.whenFalse ? ev(node.whenFalse) : undefined;
      if (condition.kind === 'number') {
        if (condition.value === undefined) return { kind: 'series', points: Array.from({ length }, () => undefined) };
        const chosen = condition.value !== 0 ? whenTrue : whenFalse;
        return { kind: 'series', points: chosen ? points(chosen) : Array.from({ length }, () => undefined) };
      }
      const t = points(whenTrue);
      const f = whenFalse ? points(whenFalse) : undefined;
      return {
        kind: 'series',
        points: condition.points.map((c, i) => {
          if (c === undefined) return undefined;
          if (c !== 0) return whenTrue.kind === 'series' ? (t[i] ?? 0) : t[i];
          return f?.[i];
        }),
      };
    }
  }
}

/** A MetricDataQuery as in PutMetricAlarm, GetMetricData and the template (same field names). */
export interface MetricDataQuery {
  readonly Id: string;
  readonly Expression?: string;
  readonly MetricStat?: MetricStat;
  readonly Label?: string;
  readonly ReturnData?: boolean;
  readonly Period?: number;
  readonly AccountId?: string;
}

export interface MetricStat {
  readonly Metric: { readonly Namespace: string; readonly MetricName: string; readonly Dimensions?: readonly { readonly Name: string; readonly Value: string }[] };
  /** Seconds. */
  readonly Period: number;
  readonly Stat: string;
  readonly Unit?: string;
}

type CompiledQuery =
  | { readonly kind: 'metric'; readonly id: string; readonly period: number; readonly stat: MetricStat }
  | { readonly kind: 'expression'; readonly id: string; readonly period: number; readonly node: MathNode; readonly refs: readonly string[] };

/** A validated set of queries: every id known, no cycles, every expression a time series of one period. */
export interface MetricMathProgram {
  readonly queries: ReadonlyMap<string, CompiledQuery>;
}

export type CompileResult = { readonly ok: true; readonly program: MetricMathProgram } | { readonly ok: false; readonly reason: string };

const ID = /^[a-z][A-Za-z0-9_]*$/;

/**
 * Validates queries the way CloudWatch would before running them; the reason names the query at fault
 * as `<field>[index] (Id)`, field being what the caller calls the list (Metrics, MetricDataQueries).
 */
export function compileMetricMath(queries: readonly MetricDataQuery[], field = 'Metrics'): CompileResult {
  const fail = (reason: string): CompileResult => ({ ok: false, reason });
  const name = (i: number): string => `${field}[${i}] (${(queries[i] as MetricDataQuery).Id})`;
  const parsed = new Map<string, { index: number; node: MathNode; refs: string[] } | { index: number; stat: MetricStat }>();
  for (const [i, q] of queries.entries()) {
    if (!ID.test(q.Id)) return fail(`${name(i)}: an Id starts with a lowercase letter and holds only letters, digits and underscores`);
    if (parsed.has(q.Id)) return fail(`${name(i)}: Id "${q.Id}" is used by more than one query`);
    if (q.AccountId !== undefined) return fail(`${name(i)}: cross-account queries (AccountId) are not evaluated locally`);
    if ((q.Expression === undefined) === (q.MetricStat === undefined)) return fail(`${name(i)}: exactly one of Expression and MetricStat is required`);
    if (q.MetricStat) {
      parsed.set(q.Id, { index: i, stat: q.MetricStat });
      continue;
    }
    const text = q.Expression as string;
    try {
      const node = parseExpression(text);
      if (kindOf(node) !== 'series') return fail(`${name(i)}: Expression "${text}": yields a single number, not a time series`);
      parsed.set(q.Id, { index: i, node, refs: references(node) });
    } catch (error) {
      if (error instanceof MetricMathError) return fail(`${name(i)}: Expression "${text}": ${error.message}`);
      throw error;
    }
  }
  for (const [id, p] of parsed) {
    if (!('refs' in p)) continue;
    const unknown = p.refs.find((r) => !parsed.has(r));
    if (unknown !== undefined) return fail(`${name(p.index)}: the expression uses "${unknown}", which is not the Id of any query`);
    if (p.refs.includes(id)) return fail(`${name(p.index)}: the expression uses its own Id`);
  }
  const compiled = new Map<string, CompiledQuery>();
  const visiting: string[] = [];
  // Depth-first in dependency order: a cycle shows up as an id already on the path.
  const visit = (id: string): string | undefined => {
    if (compiled.has(id)) return undefined;
    const p = parsed.get(id);
    if (!p) return undefined;
    if ('stat' in p) {
      compiled.set(id, { kind: 'metric', id, period: p.stat.Period, stat: p.stat });
      return undefined;
    }
    if (visiting.includes(id)) return `expressions use each other in a cycle: ${[...visiting.slice(visiting.indexOf(id)), id].join(' → ')}`;
    visiting.push(id);
    for (const r of p.refs) {
      const problem = visit(r);
      if (problem) return problem;
    }
    visiting.pop();
    const periods = [...new Set(p.refs.map((r) => (compiled.get(r) as CompiledQuery).period))];
    if (periods.length > 1) return `${name(p.index)}: the expression combines periods of ${periods.join(' s and ')} s; not evaluated locally`;
    const period = periods[0] as number;
    const own = (queries[p.index] as MetricDataQuery).Period;
    if (own !== undefined && own !== period) return `${name(p.index)}: Period ${own} differs from the ${period} s of the metrics it uses`;
    compiled.set(id, { kind: 'expression', id, period, node: p.node, refs: p.refs });
    return undefined;
  };
  for (const id of parsed.keys()) {
    const problem = visit(id);
    if (problem) return fail(problem);
  }
  return { ok: true, program: { queries: compiled } };
}

/** Period start (epoch ms) → value, for the periods that hold data. */
export type MetricFetcher = (stat: MetricStat, start: number, end: number) => ReadonlyMap<number, number>;

/** The metric store's query for one MetricStat over [start, end). */
export function statisticQuery(stat: MetricStat, start: number, end: number): StatisticQuery {
  return {
    namespace: stat.Metric.Namespace,
    metricName: stat.Metric.MetricName,
    dimensions: Object.fromEntries((stat.Metric.Dimensions ?? []).map((d) => [d.Name, d.Value])),
    stat: stat.Stat,
    period: stat.Period,
    start,
    end,
    unit: stat.Unit,
  };
}

export function storeFetcher(store: MetricStore): MetricFetcher {
  return (stat, start, end) => {
    const series = store.statistic(statisticQuery(stat, start, end));
    return new Map(series.timestamps.map((t, i) => [t, series.values[i] as number]));
  };
}

/**
 * The values of query `id` for `count` aligned periods from `start` (epoch ms, a multiple of the
 * query's period), undefined where there is no datapoint. Each metric is fetched once.
 */
export function evaluateQuery(program: MetricMathProgram, id: string, range: { readonly start: number; readonly count: number }, fetch: MetricFetcher): (number | undefined)[] {
  const cache = new Map<string, readonly (number | undefined)[]>();
  const resolve = (queryId: string): readonly (number | undefined)[] => {
    const cached = cache.get(queryId);
    if (cached) return cached;
    const q = program.queries.get(queryId);
    if (!q) throw new Error(`query ${queryId} is not part of the program`);
    let values: readonly (number | undefined)[];
    if (q.kind === 'metric') {
      const periodMs = q.period * 1000;
      const byStart = fetch(q.stat, range.start, range.start + range.count * periodMs);
      values = Array.from({ length: range.count }, (_, i) => byStart.get(range.start + i * periodMs));
    } else {
      const v = evaluateExpression(q.node, range.count, resolve);
      values = v.kind === 'series' ? v.points : Array.from({ length: range.count }, () => v.value);
    }
    cache.set(queryId, values);
    return values;
  };
  return [...resolve(id)];
}

/** The period (seconds) of a query's result. */
export function periodOf(program: MetricMathProgram, id: string): number {
  const q = program.queries.get(id);
  if (!q) throw new Error(`query ${id} is not part of the program`);
  return q.period;
}
