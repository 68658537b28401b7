/**
 * Schedule expressions as EventBridge reads them, held to the examples and wildcards of AWS's
 * "Cron expressions reference" and "Rate expressions" (EventBridge User Guide), and the local
 * scheduler's timing rules on a simulated clock: the scaled rate, DISABLED, failures, stop().
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedClock } from '../../local/cloudwatch';
import type { FunctionInvoker, InvokeResult } from '../../local/contracts';
import type { ScheduleModel } from '../../local/deploy';
import { InvalidScheduleError, LocalScheduler, parseScheduleExpression } from '../../local/scheduler';

/** The next `count` occurrences after `from`, as ISO minutes. */
function runs(expression: string, from: string, count: number, timezone?: string): string[] {
  const parsed = parseScheduleExpression(expression, { ...(timezone ? { timezone } : {}) });
  const out: string[] = [];
  let at = Date.parse(from);
  for (let i = 0; i < count; i++) {
    const next = parsed.next(at);
    if (next === undefined) break;
    out.push(new Date(next).toISOString().slice(0, 16));
    at = next;
  }
  return out;
}

// 2026-03-02 is a Monday.
const MONDAY = '2026-03-02T07:00:30Z';

describe('schedule expressions (AWS cron and rate syntax)', () => {
  it("AWS's documented cron examples", () => {
    assert.deepEqual(runs('cron(0 10 * * ? *)', MONDAY, 3), ['2026-03-02T10:00', '2026-03-03T10:00', '2026-03-04T10:00'], '10:00 am every day');
    assert.deepEqual(runs('cron(15 12 * * ? *)', MONDAY, 2), ['2026-03-02T12:15', '2026-03-03T12:15'], '12:15 pm every day');
    assert.deepEqual(
      runs('cron(0 18 ? * MON-FRI *)', MONDAY, 6),
      ['2026-03-02T18:00', '2026-03-03T18:00', '2026-03-04T18:00', '2026-03-05T18:00', '2026-03-06T18:00', '2026-03-09T18:00'],
      '6:00 pm Monday through Friday',
    );
    assert.deepEqual(runs('cron(0 8 1 * ? *)', MONDAY, 2), ['2026-04-01T08:00', '2026-05-01T08:00'], '8:00 am on the 1st of the month');
    assert.deepEqual(runs('cron(0/15 * * * ? *)', MONDAY, 4), ['2026-03-02T07:15', '2026-03-02T07:30', '2026-03-02T07:45', '2026-03-02T08:00'], 'every 15 minutes');
    assert.deepEqual(
      runs('cron(0/10 * ? * MON-FRI *)', '2026-03-06T23:45:00Z', 3),
      ['2026-03-06T23:50', '2026-03-09T00:00', '2026-03-09T00:10'],
      'every 10 minutes Monday through Friday (the weekend skipped)',
    );
    assert.deepEqual(
      runs('cron(0/5 8-17 ? * MON-FRI *)', '2026-03-02T17:50:00Z', 3),
      ['2026-03-02T17:55', '2026-03-03T08:00', '2026-03-03T08:05'],
      'every 5 minutes Monday through Friday between 8:00 am and 5:55 pm',
    );
    assert.deepEqual(
      runs('cron(0/30 20-2 ? * MON-FRI *)', '2026-03-06T19:00:00Z', 15),
      [
        ...['20:00', '20:30', '21:00', '21:30', '22:00', '22:30', '23:00', '23:30'].map((t) => `2026-03-06T${t}`),
        ...['00:00', '00:30', '01:00', '01:30', '02:00', '02:30', '20:00'].map((t) => `2026-03-09T${t}`),
      ],
      'every 30 minutes, the hour range wrapping past midnight, Saturday and Sunday mornings excluded',
    );
    assert.deepEqual(runs('cron(0 9 ? * 2#1 *)', MONDAY, 3), ['2026-03-02T09:00', '2026-04-06T09:00', '2026-05-04T09:00'], 'first Monday of the month');
  });

  it("the reference's wildcards: L, W, #, numbered weekdays (1 = SUN), years", () => {
    assert.deepEqual(runs('cron(0 0 L * ? *)', MONDAY, 2), ['2026-03-31T00:00', '2026-04-30T00:00'], 'L: last day of the month');
    assert.deepEqual(runs('cron(0 0 ? * L *)', MONDAY, 2), ['2026-03-07T00:00', '2026-03-14T00:00'], 'L in Day-of-week: the last day of the week, Saturday');
    assert.deepEqual(runs('cron(0 0 ? * 6L *)', MONDAY, 2), ['2026-03-27T00:00', '2026-04-24T00:00'], '6L: the last Friday');
    assert.deepEqual(runs('cron(0 0 3W * ? *)', MONDAY, 3), ['2026-03-03T00:00', '2026-04-03T00:00', '2026-05-04T00:00'], '3W: the weekday nearest the 3rd (Sunday 3 May → Monday 4)');
    assert.deepEqual(runs('cron(0 0 ? * 3#2 *)', MONDAY, 2), ['2026-03-10T00:00', '2026-04-14T00:00'], '3#2: the second Tuesday');
    assert.deepEqual(runs('cron(0 12 ? * 1 *)', MONDAY, 1), ['2026-03-08T12:00'], '1 is Sunday');
    assert.deepEqual(runs('cron(0 12 ? * SUN,7 *)', MONDAY, 2), ['2026-03-07T12:00', '2026-03-08T12:00'], '7 is Saturday; names and numbers mix');
    assert.deepEqual(runs('cron(0 1 ? * FRI-MON *)', MONDAY, 4), ['2026-03-06T01:00', '2026-03-07T01:00', '2026-03-08T01:00', '2026-03-09T01:00'], 'a weekday range that wraps');
    assert.deepEqual(runs('cron(0 0 1 1 ? 2027)', MONDAY, 3), ['2027-01-01T00:00'], 'a fixed year: once, then never');
    assert.deepEqual(runs('cron(0 0 31 2 ? *)', MONDAY, 1), [], 'a day that never comes');
  });

  it('time zones (EventBridge Scheduler): 9:00 in New York before and after the DST change', () => {
    assert.deepEqual(runs('cron(0 9 * * ? *)', '2026-03-06T00:00:00Z', 4, 'America/New_York'), ['2026-03-06T14:00', '2026-03-07T14:00', '2026-03-08T13:00', '2026-03-09T13:00']);
    assert.deepEqual(runs('at(2026-03-02T10:30:00)', MONDAY, 2, 'Europe/Paris'), ['2026-03-02T09:30'], 'at() fires once');
  });

  it('rates count from the start of the schedule', () => {
    const start = Date.parse(MONDAY);
    const rate = parseScheduleExpression('rate(5 minutes)', { rateAnchorMs: start });
    assert.equal(rate.next(start), start + 300_000);
    assert.equal(rate.next(start + 299_999), start + 300_000);
    assert.equal(rate.next(start + 300_000), start + 600_000);
    assert.equal(parseScheduleExpression('rate(1 day)', { rateAnchorMs: start }).next(start), start + 86_400_000);
    assert.equal(parseScheduleExpression('rate(1 hour)', { rateAnchorMs: start }).next(start), start + 3_600_000);
  });

  it('refuses what AWS refuses, saying why', () => {
    const refused: [string, RegExp][] = [
      ['rate(1 minutes)', /singular when the value is 1/],
      ['rate(5 minute)', /singular when the value is 1/],
      ['rate(0 minutes)', /positive/],
      ['rate(30 seconds)', /minute\(s\), hour\(s\) or day\(s\)/],
      ['cron(0 10 * * ?)', /six fields/],
      ['cron(0 10 1 * MON *)', /one of Day-of-month and Day-of-week must be \?/],
      ['cron(0 10 ? * ? *)', /one of Day-of-month and Day-of-week must be \?/],
      ['cron(60 10 * * ? *)', /Minutes 60 is outside 0-59/],
      ['cron(0 10 ? * 3#1,6#3 *)', /one expression only/],
      ['cron(0 10 ? * 8 *)', /Day-of-week 8 is outside 1-7/],
      ['cron(0 10 * * ? 1969)', /Year 1969 is outside 1970-2199/],
      ['every(5 minutes)', /not a schedule expression/],
    ];
    for (const [expression, reason] of refused) assert.throws(() => parseScheduleExpression(expression), reason, expression);
    assert.throws(() => parseScheduleExpression('at(2026-03-02T10:30:00)', { allowAt: false }), /not rules/);
  });
});

/** A FunctionInvoker that records payloads and fails for the functions named. */
class RecordingInvoker implements FunctionInvoker {
  readonly calls: { functionName: string; payload: unknown; at: number }[] = [];
  constructor(private readonly failing: ReadonlySet<string> = new Set()) {}
  async invoke(functionName: string, payload: unknown): Promise<InvokeResult> {
    this.calls.push({ functionName, payload, at: Date.now() });
    if (this.failing.has(functionName)) return { kind: 'functionError', errorType: 'Error', errorMessage: 'boom', durationMs: 1, functionError: 'Unhandled' };
    return { kind: 'success', payload: null, durationMs: 1 };
  }
}

const rule = (name: string, expression: string, overrides: Partial<ScheduleModel> = {}): ScheduleModel => ({
  logicalId: name,
  type: 'AWS::Events::Rule',
  name,
  arn: `arn:aws:events:us-east-1:000000000000:rule/${name}`,
  expression,
  timezone: 'UTC',
  enabled: true,
  targets: [{ id: 'Target0', functionName: `${name}-fn`, functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}-fn`, input: { kind: 'scheduled-event' } }],
  ...overrides,
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('local scheduler on a simulated clock', () => {
  it('fires rate(1 minute) every 60/S real seconds, one minute apart on the simulated axis, and stops for good', async () => {
    // Time scale 600: a simulated minute lasts 100 ms.
    const clock = new SimulatedClock(600);
    const invoker = new RecordingInvoker(new Set(['failing-fn']));
    const lines: string[] = [];
    const scheduler = new LocalScheduler({
      schedules: [rule('every-minute', 'rate(1 minute)'), rule('off', 'rate(1 minute)', { enabled: false }), rule('failing', 'rate(1 minute)')],
      invoker,
      clock,
      account: '000000000000',
      region: 'us-east-1',
      log: (line) => lines.push(line),
    });
    const began = Date.now();
    scheduler.start();
    assert.equal(scheduler.activeTimers, 2, 'the DISABLED rule arms no timer');
    await sleep(1_050);
    await scheduler.stop();
    const elapsed = Date.now() - began;
    const fired = scheduler.invocations('every-minute');
    // About one per 100 ms: allow the event loop's slack, never a burst or a silence.
    assert.ok(fired.length >= Math.floor(elapsed / 100) - 3 && fired.length <= Math.floor(elapsed / 100), `${fired.length} invocations in ${elapsed} ms`);
    fired.slice(1).forEach((run, i) => assert.equal(run.occurrence - (fired[i] as { occurrence: number }).occurrence, 60_000, 'one simulated minute apart'));
    assert.equal(scheduler.invocations('off').length, 0, 'a DISABLED rule never fires');
    const failing = scheduler.invocations('failing');
    assert.ok(failing.length >= 5 && failing.every((r) => r.outcome === 'failed' && r.error === 'Error: boom'), 'a failing function is invoked at every occurrence');
    assert.ok(lines.some((l) => l.includes('failing → failing-fn failed (Error: boom); the schedule goes on')));
    assert.equal(scheduler.activeTimers, 0);
    const after = invoker.calls.length;
    await sleep(300);
    assert.equal(invoker.calls.length, after, 'nothing fires after stop()');
  });

  it('sends the Scheduled Event: AWS fields in wire order, the rule ARN, the wall-clock time to the second', async () => {
    const clock = new SimulatedClock(600);
    const invoker = new RecordingInvoker();
    const scheduler = new LocalScheduler({ schedules: [rule('shape', 'rate(1 minute)')], invoker, clock, account: '123456789012', region: 'eu-west-1' });
    scheduler.start();
    await sleep(250);
    await scheduler.stop();
    const [call] = invoker.calls;
    assert.ok(call);
    const event = call.payload as Record<string, unknown>;
    assert.deepEqual(Object.keys(event), ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail']);
    assert.match(String(event.id), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual({ ...event, id: '', time: '' }, {
      version: '0',
      id: '',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '',
      region: 'eu-west-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/shape'],
      detail: {},
    });
    assert.match(String(event.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.ok(Math.abs(Date.parse(String(event.time)) - call.at) < 1_500, 'the wall clock, not the simulated one');
    const ids = invoker.calls.map((c) => (c.payload as { id: string }).id);
    assert.equal(new Set(ids).size, ids.length, 'each event has its own id');
  });

  it('refuses invalid schedules before anything runs, listing each', () => {
    assert.throws(
      () =>
        new LocalScheduler({
          schedules: [rule('bad-rate', 'rate(1 minutes)'), rule('bad-input', 'rate(1 minute)', { targets: [{ id: 't', functionName: 'f', functionArn: 'a', input: { kind: 'input', text: '{nope' } }] })],
          invoker: new RecordingInvoker(),
          clock: new SimulatedClock(1),
          account: '000000000000',
          region: 'us-east-1',
        }),
      (error: unknown) => error instanceof InvalidScheduleError && /bad-rate.*singular/s.test(error.message) && /bad-input.*well-formed JSON/s.test(error.message),
    );
  });
});
