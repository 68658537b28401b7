/**
 * The template's schedules on the local target, end to end: a synthesized stack with EventBridge rules
 * (rate, cron with a constant input, DISABLED) and an EventBridge Scheduler schedule runs on
 * startLocalAws at time scale 60 (a minute lasts a second); the functions are real bundles in the local
 * Lambda runtime, and each sends what it received to an SQS queue, which the test reads.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startLocalAws, type LocalAwsInstance } from '../../local';
import type { ScheduleModel } from '../../local/deploy';
import type { ScheduledInvocation } from '../../local/scheduler/scheduler';
import { isAlive } from './support/processes';
import { clientsFor, runnerEmulators } from './support/emulator-clients';
import { synthScheduleFixtureStack, type ScheduleFixtureStack } from './support/schedule-fixture-stack';

interface Recorded {
  readonly executionStart: number;
  readonly pid: number;
  readonly event: Record<string, unknown>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('schedules on the local target (EventBridge rules and Scheduler)', () => {
  const emulators = runnerEmulators();
  const direct = clientsFor(emulators);
  let fixture: ScheduleFixtureStack;
  let localAws: LocalAwsInstance;
  let queueUrl: string;
  const recorded: Recorded[] = [];

  const drain = async (forMs: number): Promise<void> => {
    const until = Date.now() + forMs;
    while (Date.now() < until) {
      const out = await direct.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const m of out.Messages ?? []) recorded.push(JSON.parse(m.Body ?? '{}') as Recorded);
    }
  };
  const scheduleOf = (logicalId: string): ScheduleModel => {
    const found = localAws.deployed.schedules.find((s) => s.logicalId === logicalId);
    assert.ok(found, `${logicalId} is deployed as a schedule`);
    return found;
  };
  const from = (logicalId: string): Recorded[] => {
    const arn = scheduleOf(logicalId).arn;
    return recorded.filter((r) => (r.event.resources as unknown[] | undefined)?.[0] === arn || r.event.schedule === arn);
  };

  let ranForMs = 0;
  /** The invocations made during the measured run, by schedule, each finished (succeeded or failed). */
  const settled = new Map<string, ScheduledInvocation[]>();
  before(async () => {
    fixture = synthScheduleFixtureStack(`Schedules${randomUUID().slice(0, 8)}`);
    localAws = await startLocalAws({ cdkOut: fixture.cdkOut, stackName: fixture.stackName, emulators, timeScale: 60, verbose: false });
    queueUrl = localAws.resources[fixture.ids.queue]?.physicalId as string;
    const began = Date.now();
    await drain(5_000);
    ranForMs = Date.now() - began;
    // The occurrences fire on the clock; their invocations finish when the machine lets them (cold starts
    // under load): judge the run's occurrences once each has finished and its message has arrived.
    const names = localAws.deployed.schedules.map((schedule) => schedule.name);
    const measured = new Map(names.map((name) => [name, localAws.schedules.invocations(name).length]));
    const deadline = Date.now() + 60_000;
    const snapshot = () => names.map((name) => [name, localAws.schedules.invocations(name).slice(0, measured.get(name))] as const);
    while (snapshot().some(([, runs]) => runs.some((run) => run.outcome === 'pending')) && Date.now() < deadline) await drain(1_000);
    await drain(2_000);
    for (const [name, runs] of snapshot()) settled.set(name, runs);
  });
  after(async () => {
    await localAws?.stop();
    direct.destroy();
  });

  it('deploys every schedule and says what it runs, DISABLED included', () => {
    const rate = scheduleOf(fixture.ids.rate);
    assert.deepEqual([rate.type, rate.expression, rate.enabled, rate.timezone], ['AWS::Events::Rule', 'rate(1 minute)', true, 'UTC']);
    assert.deepEqual(rate.targets.map((t) => t.input), [{ kind: 'scheduled-event' }]);
    assert.equal(scheduleOf(fixture.ids.cron).expression, 'cron(* * * * ? *)');
    assert.equal(scheduleOf(fixture.ids.disabled).enabled, false);
    const schedule = scheduleOf(fixture.ids.schedule);
    assert.deepEqual([schedule.type, schedule.expression], ['AWS::Scheduler::Schedule', 'rate(1 minute)']);
    assert.match(schedule.arn, /^arn:aws:scheduler:us-east-1:000000000000:schedule\/default\//);
    assert.ok(localAws.deployed.report.some((l) => l.includes(`schedule ${scheduleOf(fixture.ids.disabled).name} (AWS::Events::Rule): rate(1 minute)`) && l.includes('DISABLED: never fires')));
    assert.ok(localAws.deployed.notEmulated['AWS::Lambda::Permission']?.length, 'the invoke permissions are listed as not emulated');
    // Nothing silently ignored: what does not run is listed, by kind.
    assert.deepEqual(localAws.deployed.notEmulated['AWS::Events::Rule (event pattern)'], [fixture.ids.onPattern]);
    assert.deepEqual(localAws.deployed.notEmulated['AWS::Events::Rule target (sqs)'], [`${fixture.ids.toQueue}.Targets[0]`]);
    assert.deepEqual(localAws.deployed.notEmulated['AWS::Events::Rule (no Lambda target)'], [fixture.ids.toQueue]);
    assert.equal(localAws.deployed.schedules.length, 4, 'only the four schedules with a Lambda target run');
  });

  it('a rate(1 minute) rule invokes its function every second at time scale 60, with the standard Scheduled Event', () => {
    const rule = scheduleOf(fixture.ids.rate);
    const events = from(fixture.ids.rate);
    const runs = settled.get(rule.name)!;
    // One per second of the run, give or take the first one and the last.
    assert.ok(runs.length >= Math.floor(ranForMs / 1000) - 1 && runs.length <= Math.ceil(ranForMs / 1000) + 1, `${runs.length} occurrences in ${ranForMs} ms`);
    runs.slice(1).forEach((run, i) => assert.equal(run.occurrence - (runs[i] as { occurrence: number }).occurrence, 60_000, 'one simulated minute apart'));
    const succeeded = runs.filter((run) => run.outcome === 'succeeded').length;
    assert.ok(succeeded >= runs.length - 1, `${succeeded} of ${runs.length} invocations succeeded`);
    assert.ok(events.length >= succeeded, `${events.length} events received for ${succeeded} successful invocations`);
    for (const { event } of events) {
      assert.deepEqual(Object.keys(event), ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail']);
      assert.deepEqual({ ...event, id: 'id', time: 'time' }, {
        version: '0',
        id: 'id',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '000000000000',
        time: 'time',
        region: 'us-east-1',
        resources: [localAws.resources[fixture.ids.rate]?.arn],
        detail: {},
      });
      assert.match(String(event.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    }
    assert.equal(new Set(events.map((e) => e.event.id)).size, events.length, 'each event has its own id');
  });

  it('a cron rule fires on the (scaled) minute with its constant input; a DISABLED rule never fires', () => {
    const cron = from(fixture.ids.cron);
    const cronRuns = recorded.filter((r) => r.event.from === 'cron');
    assert.equal(cron.length, 0, 'a constant input replaces the Scheduled Event');
    const cronInvocations = settled.get(scheduleOf(fixture.ids.cron).name)!;
    assert.ok(cronInvocations.length >= Math.floor(ranForMs / 1000) - 2, `${cronInvocations.length} cron occurrences in ${ranForMs} ms`);
    const cronSucceeded = cronInvocations.filter((run) => run.outcome === 'succeeded').length;
    assert.ok(cronRuns.length >= cronSucceeded, `${cronRuns.length} cron invocations received for ${cronSucceeded} successful ones`);
    for (const run of cronRuns) assert.deepEqual(run.event, fixture.cronInput);
    const cronOccurrences = cronInvocations.map((r) => r.occurrence);
    assert.ok(cronOccurrences.every((t) => t % 60_000 === 0), 'on the minute of the simulated clock');
    assert.equal(from(fixture.ids.disabled).length, 0);
    assert.equal(localAws.schedules.invocations(scheduleOf(fixture.ids.disabled).name).length, 0);
  });

  it('a Scheduler schedule sends its input with the context attributes, and goes on when the function fails', () => {
    const schedule = scheduleOf(fixture.ids.schedule);
    const received = from(fixture.ids.schedule);
    const runs = settled.get(schedule.name)!;
    assert.ok(runs.length >= 3, `${runs.length} occurrences`);
    assert.ok(runs.every((r) => r.outcome === 'failed'), 'each invocation failed, and the next occurrence still fired');
    assert.ok(received.length >= 2);
    for (const { event } of received) {
      assert.deepEqual(Object.keys(event), ['schedule', 'at']);
      assert.equal(event.schedule, schedule.arn);
      assert.match(String(event.at), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    }
  });

  it('stop() stops every timer and every function container: nothing fires afterwards', async () => {
    const pids = [...new Set(recorded.map((r) => r.pid))];
    assert.ok(pids.length >= 2 && pids.every(isAlive), 'the containers ran');
    await localAws.stop();
    assert.equal(localAws.schedules.activeTimers, 0);
    assert.deepEqual(pids.filter(isAlive), [], 'no container left');
    const invoked = localAws.schedules.invocations().length;
    await sleep(2_500);
    assert.equal(localAws.schedules.invocations().length, invoked, 'no occurrence fired after stop() (a minute lasts a second here)');
  });
});
