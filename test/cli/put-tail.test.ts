/** `put`, `tail` and `--help`, run as a user runs them, against the real Kinesis emulator. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../../bin/cli';
import { eventsByKey } from '../client/support/events';
import { TestStream } from '../client/support/kinesis-streams';
import { jsonOf, runCli } from './support/run-cli';

describe('stream-pipeline put and tail', () => {
  let stream: TestStream;
  before(async () => {
    stream = await TestStream.create('cli-put', 2);
  });
  after(async () => {
    await stream.delete();
    stream.client.destroy();
  });

  it('puts JSON Lines from stdin, keeping each subject in order, and tail prints them decoded', async () => {
    const lines = [
      { type: 'order.status-changed', subject: 'order-1', data: { status: 'created' } },
      { type: 'order.status-changed', subject: 'order-2', data: { status: 'created' } },
      { type: 'order.status-changed', subject: 'order-1', data: { status: 'paid' }, id: 'evt-paid-1', source: 'urn:shop' },
    ];
    const put = await runCli(['put', '--stream', stream.streamName, '--json'], { input: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' });
    assert.equal(put.code, 0, put.stderr);
    const result = jsonOf<{ sent: number; failed: number; events: Array<{ id: string; ok: boolean; sequenceNumber: string }> }>(put);
    assert.equal(result.sent, 3);
    assert.equal(result.failed, 0);
    assert.equal(result.events[2]!.id, 'evt-paid-1');

    const stored = eventsByKey(await stream.readAll());
    assert.deepEqual(
      stored.get('order-1')!.map((e) => [e.data, e.source]),
      [
        [{ status: 'created' }, '/stream-pipeline/cli'],
        [{ status: 'paid' }, 'urn:shop'],
      ],
    );

    const tail = await runCli(['tail', '--stream', stream.streamName, '--from', 'trim-horizon', '--no-follow', '--json']);
    assert.equal(tail.code, 0, tail.stderr);
    const printed = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { partitionKey: string; event: { id: string } });
    assert.deepEqual(printed.map((p) => p.event.id).sort(), result.events.map((e) => e.id).sort());
  });

  it('refuses a file with any invalid event, listing every problem by line, and sends nothing', async () => {
    const empty = await TestStream.create('cli-put-invalid', 1, stream.client);
    const input = ['{"type":"order.status-changed","subject":"order-1"}', 'not json', '{"subject":"order-2"}', '{"type":"x","time":"yesterday"}'].join('\n');
    const put = await runCli(['put', '--stream', empty.streamName], { input });
    assert.equal(put.code, 1);
    assert.match(put.stderr, /nothing was sent; fix these 3 problem\(s\)/);
    assert.match(put.stderr, /line 2: not JSON/);
    assert.match(put.stderr, /line 3: Invalid event: type: is required/);
    assert.match(put.stderr, /line 4: Invalid event: time: must be an RFC 3339 timestamp/);
    assert.deepEqual(await empty.readAll(), []);
    await empty.delete();
  });

  it('prints help with examples for every command', async () => {
    // In-process: nine child processes would only measure tsx start-up.
    const program = buildProgram();
    let out = '';
    const quiet = (command: Command): void => {
      command.exitOverride().configureOutput({ writeOut: (text) => (out += text), writeErr: (text) => (out += text) });
      command.commands.forEach(quiet);
    };
    quiet(program);
    for (const command of [[], ['put'], ['load'], ['tail'], ['dlq'], ['dlq', 'list'], ['dlq', 'show'], ['dlq', 'replay'], ['dlq', 'delete'], ['alarms']]) {
      out = '';
      await assert.rejects(program.parseAsync(['node', 'stream-pipeline', ...command, '--help']), (e: unknown) => e instanceof CommanderError && e.code === 'commander.helpDisplayed');
      assert.match(out, /^Usage: stream-pipeline/);
      if (command.length > 0 && command.join(' ') !== 'dlq') assert.match(out, /Examples:/, `${command.join(' ')} --help shows examples`);
    }
  });

  it('names the valid pipelines when given an unknown one', async () => {
    const run = await runCli(['tail', '--pipeline', 'nope']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Allowed choices are orders, telemetry/);
  });
});
