/**
 * Runs the template's schedules (EventBridge rules with a ScheduleExpression, EventBridge Scheduler
 * schedules): at each occurrence every target function is invoked through the local Lambda runtime with
 * the payload AWS sends (./payload.ts).
 *
 * Time: occurrences are computed on the local target's simulated time axis (the one CloudWatch uses),
 * so with time scale S a `rate(1 minute)` fires every 60/S real seconds and a cron falls when the
 * simulated clock passes its minute; the payload's times (`time`, `<aws.scheduler.scheduled-time>`) are
 * the wall clock of the invocation, the clock the function itself reads.
 *
 * Failures: EventBridge invokes Lambda asynchronously, and Lambda retries a function error of an
 * asynchronous invocation (twice by default); locally each occurrence invokes once, a failure (function
 * error, or no such function) is logged and counted, and the schedule goes on. Invocations are not
 * awaited before the next occurrence (as AWS's are not); an occurrence missed entirely (the process was
 * busy past the next one) is skipped, the latest one fired. `stop()` clears every timer and waits for
 * the invocations in flight.
 *
 * Overlap (`skipWhileBusy`, off by default): an occurrence whose previous invocation of the same target
 * is still running is skipped (the first skip per schedule is logged, every skip counted in
 * `skippedWhileBusy`). On AWS a run lasts its real time against a real period; on a scaled axis a
 * `rate(1 minute)` fires every second, and a run slower than that (a loaded machine) would pile
 * invocations into the function's few local containers and starve its event source mapping, which AWS's
 * concurrency never would. `npm start` turns it on.
 */
import type { FunctionInvoker } from '../contracts';
import type { ScheduleModel } from '../deploy/model';
import { InvalidScheduleExpressionError, parseScheduleExpression, type ScheduleExpression } from './expression';
import { isSupportedInputPath, payloadFor, withContextAttributes } from './payload';
import { LocalAwsError } from '../errors';

/** The local target's time axis (CloudWatch's SimulatedClock): simulated epoch ms, and real ms for a simulated span. */
export interface SchedulerClock {
  now(): number;
  realDuration(simulatedMs: number): number;
}

export interface LocalSchedulerOptions {
  readonly schedules: readonly ScheduleModel[];
  readonly invoker: FunctionInvoker;
  readonly clock: SchedulerClock;
  readonly account: string;
  readonly region: string;
  /** Wall clock (epoch ms) for the payload's times. Default Date.now. */
  readonly wallClock?: () => number;
  /** Default: stderr. */
  readonly log?: (line: string) => void;
  /** Skip an occurrence while the previous invocation of the same target still runs. Default false (AWS: every occurrence invokes). */
  readonly skipWhileBusy?: boolean;
}

/** One invocation of one target, as it went. */
export interface ScheduledInvocation {
  readonly schedule: string;
  readonly functionName: string;
  /** Simulated epoch ms of the occurrence. */
  readonly occurrence: number;
  readonly payload: unknown;
  outcome: 'pending' | 'succeeded' | 'failed';
  error?: string;
}

/** setTimeout takes at most 2^31-1 ms; a longer wait is taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;
/** Invocations kept per schedule for `invocations()`. */
const HISTORY = 200;

interface Armed {
  readonly schedule: ScheduleModel;
  readonly expression: ScheduleExpression;
  timer: NodeJS.Timeout | undefined;
}

export class InvalidScheduleError extends LocalAwsError {}

export class LocalScheduler {
  private readonly armed: Armed[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** `<schedule>\u0000<function>` of the invocations still running. */
  private readonly busy = new Set<string>();
  private readonly skipped = new Map<string, number>();
  private readonly history = new Map<string, ScheduledInvocation[]>();
  private running = false;
  private readonly log: (line: string) => void;
  private readonly wallClock: () => number;

  /** Checks every schedule first (expression, inputs) and throws one error that lists every problem, as a deploy would fail. */
  constructor(private readonly options: LocalSchedulerOptions) {
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.wallClock = options.wallClock ?? Date.now;
    const problems: string[] = [];
    for (const schedule of options.schedules) {
      try {
        this.check(schedule);
      } catch (error) {
        if (!(error instanceof InvalidScheduleExpressionError || error instanceof InvalidScheduleError)) throw error;
        problems.push(`${schedule.logicalId} (${schedule.type}): ${error.message}`);
      }
    }
    if (problems.length > 0) throw new InvalidScheduleError(`Invalid schedules:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }

  /** Arms every enabled schedule, counting from now. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.options.clock.now();
    for (const schedule of this.options.schedules.filter((s) => s.enabled)) {
      const armed: Armed = { schedule, expression: this.expressionOf(schedule, now), timer: undefined };
      this.armed.push(armed);
      this.arm(armed, this.firstAfter(armed, now));
    }
  }

  /** Clears every timer and waits for the invocations in flight. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    for (const armed of this.armed.splice(0)) clearTimeout(armed.timer);
    await Promise.allSettled([...this.inFlight]);
  }

  /** Timers armed right now (0 once stopped). */
  get activeTimers(): number {
    return this.armed.filter((a) => a.timer !== undefined).length;
  }

  /** The latest invocations (up to 200 per schedule), oldest first; of one schedule (its name) or all. */
  invocations(schedule?: string): readonly ScheduledInvocation[] {
    if (schedule !== undefined) return [...(this.history.get(schedule) ?? [])];
    return [...this.history.values()].flat().sort((a, b) => a.occurrence - b.occurrence);
  }

  private check(schedule: ScheduleModel): void {
    this.expressionOf(schedule, 0);
    if (schedule.targets.length === 0) throw new InvalidScheduleError('no target the local target can invoke');
    for (const target of schedule.targets) {
      if (target.input.kind === 'input-path' && !isSupportedInputPath(target.input.path)) {
        throw new InvalidScheduleError(`target ${target.id}: InputPath "${target.input.path}" is not supported locally (only $ and $.a.b paths)`);
      }
      if (target.input.kind === 'input') {
        const text = schedule.type === 'AWS::Scheduler::Schedule' ? withContextAttributes(target.input.text, { schedule, at: 0, account: '', region: '' }) : target.input.text;
        try {
          JSON.parse(text);
        } catch {
          throw new InvalidScheduleError(`target ${target.id}: Input must be well-formed JSON for a Lambda target`);
        }
      }
    }
    for (const [label, date] of [['StartDate', schedule.startDate], ['EndDate', schedule.endDate]] as const) {
      if (date !== undefined && Number.isNaN(Date.parse(date))) throw new InvalidScheduleError(`${label} "${date}" is not a date`);
    }
  }

  private expressionOf(schedule: ScheduleModel, now: number): ScheduleExpression {
    const start = schedule.startDate === undefined ? undefined : Date.parse(schedule.startDate);
    return parseScheduleExpression(schedule.expression, {
      timezone: schedule.timezone,
      // A rate counts from the schedule's start: its StartDate, or the moment the local target started it.
      rateAnchorMs: start !== undefined && start > now ? start : now,
      allowAt: schedule.type === 'AWS::Scheduler::Schedule',
    });
  }

  /** The first occurrence after `after` within StartDate..EndDate, or undefined. */
  private firstAfter(armed: Armed, after: number): number | undefined {
    const { startDate, endDate } = armed.schedule;
    const start = startDate === undefined ? undefined : Date.parse(startDate);
    const end = endDate === undefined ? undefined : Date.parse(endDate);
    const next = armed.expression.next(start !== undefined && start - 1 > after ? start - 1 : after);
    return next === undefined || (end !== undefined && next > end) ? undefined : next;
  }

  private arm(armed: Armed, due: number | undefined): void {
    armed.timer = undefined;
    if (!this.running || due === undefined) return;
    const wait = this.options.clock.realDuration(due - this.options.clock.now());
    armed.timer = setTimeout(() => (wait > MAX_TIMER_MS ? this.arm(armed, due) : this.fire(armed, due)), Math.max(0, Math.min(wait, MAX_TIMER_MS)));
    // The scheduler never keeps a process alive by itself.
    armed.timer.unref();
  }

  private fire(armed: Armed, due: number): void {
    if (!this.running) return;
    // The next occurrence after this one; if the process fell behind past it, skip to the latest one due.
    const now = this.options.clock.now();
    let next = this.firstAfter(armed, due);
    let skipped = 0;
    while (next !== undefined) {
      const later = this.firstAfter(armed, next);
      if (later === undefined || later > now) break;
      next = later;
      skipped += 1;
    }
    if (skipped > 0) this.log(`[scheduler] ${armed.schedule.name}: ${skipped} occurrence(s) missed while the process was busy; firing the latest`);
    this.arm(armed, next);
    for (const target of armed.schedule.targets) this.invoke(armed.schedule, target.functionName, payloadFor(target, { schedule: armed.schedule, at: this.wallClock(), account: this.options.account, region: this.options.region }), due);
  }

  /** Occurrences skipped per schedule because its previous invocation of a target was still running. */
  skippedWhileBusy(schedule: string): number {
    return this.skipped.get(schedule) ?? 0;
  }

  private invoke(schedule: ScheduleModel, functionName: string, payload: unknown, occurrence: number): void {
    const busyKey = `${schedule.name}\u0000${functionName}`;
    if (this.options.skipWhileBusy && this.busy.has(busyKey)) {
      const skipped = (this.skipped.get(schedule.name) ?? 0) + 1;
      this.skipped.set(schedule.name, skipped);
      if (skipped === 1) this.log(`[scheduler] ${schedule.name} → ${functionName}: still running at the next occurrence; occurrences are skipped while it runs`);
      return;
    }
    this.busy.add(busyKey);
    const record: ScheduledInvocation = { schedule: schedule.name, functionName, occurrence, payload, outcome: 'pending' };
    const runs = this.history.get(schedule.name) ?? [];
    runs.push(record);
    if (runs.length > HISTORY) runs.shift();
    this.history.set(schedule.name, runs);
    const done = this.options.invoker.invoke(functionName, payload).then(
      (result) => {
        if (result.kind === 'success') {
          record.outcome = 'succeeded';
          return;
        }
        this.failed(record, `${result.errorType}: ${result.errorMessage}`);
      },
      (error: unknown) => this.failed(record, error instanceof Error ? error.message : String(error)),
    );
    this.inFlight.add(done);
    void done.finally(() => {
      this.inFlight.delete(done);
      this.busy.delete(busyKey);
    });
  }

  private failed(record: ScheduledInvocation, error: string): void {
    record.outcome = 'failed';
    record.error = error;
    this.log(`[scheduler] ${record.schedule} → ${record.functionName} failed (${error}); the schedule goes on (not retried locally; Lambda retries an asynchronous invocation)`);
  }
}
