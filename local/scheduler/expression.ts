/**
 * Schedule expressions as EventBridge reads them (EventBridge User Guide, "Cron expressions reference"
 * and "Rate expressions"; EventBridge Scheduler adds `at()` and time zones):
 *
 *   rate(value unit)   unit minute(s) | hour(s) | day(s); singular exactly when value is 1
 *   cron(Minutes Hours Day-of-month Month Day-of-week Year)
 *                      six fields; Day-of-week 1-7 = SUN-SAT; `?` in Day-of-month or Day-of-week (one of
 *                      them must be `?`); `L`, `W`, `#`; `a/b` = from a every b; ranges may wrap (20-2)
 *   at(yyyy-mm-ddThh:mm:ss)   once (Scheduler only)
 *
 * Cron times are computed by croner (7-field patterns with a year, Quartz weekday numbering, `L`, `W`,
 * `#`); what AWS writes differently is rewritten first: `?` is `*` (AND of the two day fields, since one
 * is always `?`), `a/b` becomes `a-max/b`, a wrapping range becomes the list it stands for, a bare `L`
 * in Day-of-week (the week's last day) becomes 7 (SAT).
 */
import { Cron } from 'croner';
import { LocalAwsError } from '../errors';

export class InvalidScheduleExpressionError extends LocalAwsError {}

/** A parsed expression: its occurrences on a time axis of epoch milliseconds. */
export interface ScheduleExpression {
  readonly text: string;
  readonly kind: 'rate' | 'cron' | 'at';
  /** The first occurrence strictly after `afterMs`, or undefined when there is none (an `at()` passed, a cron's last year). */
  next(afterMs: number): number | undefined;
}

export interface ParseOptions {
  /** IANA time zone of cron and at expressions (Scheduler's ScheduleExpressionTimezone). Default UTC, as rules always are. */
  readonly timezone?: string;
  /** Where a rate expression's occurrences are counted from (epoch ms): the schedule's start. Default 0. */
  readonly rateAnchorMs?: number;
  /** Whether `at()` is accepted (EventBridge Scheduler) or not (EventBridge rules). Default true. */
  readonly allowAt?: boolean;
}

const UNIT_MS: Readonly<Record<string, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export function parseScheduleExpression(text: string, options: ParseOptions = {}): ScheduleExpression {
  const trimmed = text.trim();
  const match = /^(rate|cron|at)\((.*)\)$/.exec(trimmed);
  if (!match) throw new InvalidScheduleExpressionError(`"${text}" is not a schedule expression: expected rate(...), cron(...)${options.allowAt === false ? '' : ' or at(...)'}`);
  const [, kind, body = ''] = match;
  if (kind === 'rate') return rate(trimmed, body, options.rateAnchorMs ?? 0);
  if (kind === 'cron') return cron(trimmed, body, options.timezone ?? 'UTC');
  if (options.allowAt === false) throw new InvalidScheduleExpressionError(`"${text}": at() is for EventBridge Scheduler schedules, not rules`);
  return at(trimmed, body, options.timezone ?? 'UTC');
}

function rate(text: string, body: string, anchorMs: number): ScheduleExpression {
  const match = /^\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*$/.exec(body);
  if (!match) throw new InvalidScheduleExpressionError(`"${text}": a rate is rate(value unit) with a whole value and a unit of minute(s), hour(s) or day(s)`);
  const value = Number(match[1]);
  const unit = match[2] as string;
  if (value < 1) throw new InvalidScheduleExpressionError(`"${text}": the value must be a positive whole number`);
  const plural = unit.endsWith('s');
  if ((value === 1) === plural) throw new InvalidScheduleExpressionError(`"${text}": the unit is singular when the value is 1 and plural otherwise`);
  const periodMs = value * (UNIT_MS[plural ? unit.slice(0, -1) : unit] as number);
  return {
    text,
    kind: 'rate',
    next: (afterMs) => anchorMs + (Math.floor((afterMs - anchorMs) / periodMs) + 1) * periodMs,
  };
}

function at(text: string, body: string, timezone: string): ScheduleExpression {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(body.trim())) throw new InvalidScheduleExpressionError(`"${text}": at() takes yyyy-mm-ddThh:mm:ss`);
  const once = new Cron(body.trim(), { timezone, paused: true });
  const when = once.nextRun(new Date(0))?.getTime();
  if (when === undefined) throw new InvalidScheduleExpressionError(`"${text}": not a date`);
  return { text, kind: 'at', next: (afterMs) => (when > afterMs ? when : undefined) };
}

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Characters besides digits, names and `, - * /`. */
  readonly special: string;
  readonly names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: 'Minutes', min: 0, max: 59, special: '' },
  { name: 'Hours', min: 0, max: 23, special: '' },
  { name: 'Day-of-month', min: 1, max: 31, special: '?LW' },
  { name: 'Month', min: 1, max: 12, special: '', names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'Day-of-week', min: 1, max: 7, special: '?L#', names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
  { name: 'Year', min: 1970, max: 2199, special: '' },
];

function cron(text: string, body: string, timezone: string): ScheduleExpression {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) throw new InvalidScheduleExpressionError(`"${text}": a cron expression has six fields (Minutes Hours Day-of-month Month Day-of-week Year), got ${parts.length}`);
  const [, , dayOfMonth, , dayOfWeek] = parts as [string, string, string, string, string, string];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new InvalidScheduleExpressionError(`"${text}": one of Day-of-month and Day-of-week must be ? and the other not (AWS does not combine them)`);
  }
  if (dayOfWeek.includes('#') && dayOfWeek.includes(',')) throw new InvalidScheduleExpressionError(`"${text}": with #, Day-of-week holds one expression only`);
  const fields = parts.map((part, i) => rewriteField(text, part, FIELDS[i] as Field));
  let pattern: Cron;
  try {
    // Seconds first (always 0), then AWS's six fields; weekdays numbered 1 = SUN as AWS (Quartz) does.
    pattern = new Cron(`0 ${fields.join(' ')}`, { timezone, alternativeWeekdays: true, domAndDow: true, paused: true });
  } catch (error) {
    throw new InvalidScheduleExpressionError(`"${text}": ${error instanceof Error ? error.message : String(error)}`);
  }
  return { text, kind: 'cron', next: (afterMs) => pattern.nextRun(new Date(afterMs))?.getTime() };
}

/** One field, AWS's syntax checked and rewritten to croner's. */
function rewriteField(text: string, part: string, field: Field): string {
  if (part === '?') return '*';
  const allowed = new RegExp(`^[0-9A-Z,\\-*/${field.special.replace('?', '')}]+$`);
  if (!allowed.test(part)) throw new InvalidScheduleExpressionError(`"${text}": ${field.name} "${part}" uses characters the field does not allow`);
  if (field.name === 'Day-of-week' && part === 'L') return String(field.max);
  return part
    .split(',')
    .map((element) => rewriteElement(text, element, field))
    .join(',');
}

function rewriteElement(text: string, element: string, field: Field): string {
  const stepped = /^([0-9A-Z]+)(?:-([0-9A-Z]+))?(?:\/(\d+))?$/.exec(element);
  if (!stepped) return element; // *, */n, L, 5L, 15W, LW, 3#2: croner reads them as AWS does.
  const [, fromText = '', toText, stepText] = stepped;
  const from = valueOf(text, fromText, field);
  if (from === undefined) return element;
  const step = stepText === undefined ? undefined : Number(stepText);
  if (toText === undefined) return step === undefined ? element : `${from}-${field.max}/${step}`;
  const to = valueOf(text, toText, field);
  if (to === undefined || from <= to) return element;
  // A range that wraps (hours 20-2, FRI-MON): the values it stands for, in order, every step-th of them.
  const span = [...range(from, field.max), ...range(field.min, to)];
  return span.filter((_, i) => i % (step ?? 1) === 0).join(',');
}

function valueOf(text: string, token: string, field: Field): number | undefined {
  const named = field.names?.indexOf(token) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(token)) return undefined;
  const value = Number(token);
  if (value < field.min || value > field.max) throw new InvalidScheduleExpressionError(`"${text}": ${field.name} ${value} is outside ${field.min}-${field.max}`);
  return value;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
