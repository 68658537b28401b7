/**
 * `dlq list | show | replay` against the real Kinesis and SQS emulators, with DLQ messages shaped
 * exactly as the processor (poison records) and the event source mapping (on-failure records) write them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bySequence, TestStream, type StoredRecord } from '../client/support/kinesis-streams';
import { onFailureMessage, perKey, poisonMessage, writeRecords, type Written } from './support/dlq-messages';
import { jsonOf, runCli } from './support/run-cli';
import { TestQueue } from './support/sqs-queues';

describe('stream-pipeline dlq', () => {
  let stream: TestStream;
  let queue: TestQueue;
  let written: Written[];
  let poisoned: Written;
  let ids: { onFailure: string; poison: string; expired: string };
  const target = (): string[] => ['--stream', stream.streamName, '--queue-url', queue.queueUrl];

  before(async () => {
    stream = await TestStream.create('cli-dlq', 1);
    queue = await TestQueue.create('cli-dlq');
    written = await writeRecords(stream, [
      { partitionKey: 'order-1', data: JSON.stringify({ n: 0 }) },
      { partitionKey: 'order-1', data: JSON.stringify({ n: 1 }) },
      { partitionKey: 'order-2', data: JSON.stringify({ n: 2 }) },
      { partitionKey: 'order-1', data: JSON.stringify({ n: 3 }) },
    ]);
    // Written after the others, so the poison record is outside the on-failure range below (a
    // record in both is put back once: test/cli/dlq-hostile.test.ts).
    written.push(...(await writeRecords(stream, [{ partitionKey: 'order-3', data: 'not json at all' }])));
    const arn = await stream.streamArn;
    poisoned = written.find((w) => Buffer.from(w.data).toString() === 'not json at all')!;
    ids = {
      onFailure: await queue.send(onFailureMessage(arn, written[1]!, written[3]!, 3)),
      poison: await queue.send(poisonMessage(arn, poisoned)),
      // Its first record is no longer in the stream: as if retention had trimmed it.
      expired: await queue.send(onFailureMessage(arn, written[0]!, written[0]!, 2, (BigInt(written[0]!.sequenceNumber) - 1n).toString())),
    };
  });

  after(async () => {
    await queue.delete();
    await stream.delete();
    stream.client.destroy();
    queue.sqs.destroy();
  });

  it('lists both kinds of message, readable, and leaves them in the queue', async () => {
    const run = await runCli(['dlq', 'list', ...target(), '--json']);
    assert.equal(run.code, 0, run.stderr);
    const list = jsonOf<{ count: number; messages: Array<Record<string, unknown>> }>(run);
    assert.equal(list.count, 3);
    const byId = new Map(list.messages.map((m) => [m.messageId, m]));
    assert.deepEqual(
      { ...byId.get(ids.onFailure), messageId: undefined, sentAt: undefined, receiveCount: undefined, failedAt: undefined, firstArrival: undefined, lastArrival: undefined, expiresAt: undefined },
      {
        messageId: undefined,
        sentAt: undefined,
        receiveCount: undefined,
        failedAt: undefined,
        firstArrival: undefined,
        lastArrival: undefined,
        expiresAt: undefined,
        kind: 'on-failure',
        condition: 'RetryAttemptsExhausted',
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
        approximateInvokeCount: 6,
        functionError: 'Unhandled',
        shardId: written[1]!.shardId,
        startSequenceNumber: written[1]!.sequenceNumber,
        endSequenceNumber: written[3]!.sequenceNumber,
        batchSize: 3,
        streamArn: await stream.streamArn,
        withinRetention: true,
      },
    );
    const poison = byId.get(ids.poison)!;
    assert.equal(poison.kind, 'poison-record');
    assert.equal(poison.reason, 'undecodable');
    assert.equal(poison.partitionKey, 'order-3');
    assert.deepEqual(poison.payload, { invalid: 'record data is not JSON: Unexpected token \'o\', "not json at all" is not valid JSON', text: 'not json at all' });
    assert.deepEqual(await queue.visibleIds(), Object.values(ids).sort(), 'listing leaves every message visible in the queue');

    const human = await runCli(['dlq', 'list', ...target()]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /3 message\(s\) in /);
    assert.match(human.stdout, /on-failure\s+RetryAttemptsExhausted/);
    assert.match(human.stdout, /poison-record\s+undecodable\s+order-3/);
  });

  it('shows an on-failure message with its records read back from the stream', async () => {
    const run = await runCli(['dlq', 'show', ids.onFailure, ...target(), '--json']);
    assert.equal(run.code, 0, run.stderr);
    const shown = jsonOf<{ readable: boolean; records: Array<{ partitionKey: string; sequenceNumber: string; invalid?: { dataBase64: string } }> }>(run);
    assert.equal(shown.readable, true);
    assert.deepEqual(
      shown.records.map((r) => [r.partitionKey, r.sequenceNumber, Buffer.from(r.invalid!.dataBase64, 'base64').toString()]),
      written.slice(1, 4).map((w) => [w.partitionKey, w.sequenceNumber, Buffer.from(w.data).toString()]),
    );
  });

  it('dry run: reports what would happen and changes nothing', async () => {
    const run = await runCli(['dlq', 'replay', ...target(), '--dry-run', '--json']);
    assert.equal(run.code, 2, 'one message cannot be replayed');
    const report = jsonOf<{ results: Array<{ messageId: string; outcome: string; records: number; problem: string | null }> }>(run);
    const outcomes = Object.fromEntries(report.results.map((r) => [r.messageId, [r.outcome, r.records]]));
    assert.deepEqual(outcomes, { [ids.onFailure]: ['would-replay', 3], [ids.poison]: ['would-replay', 1], [ids.expired]: ['kept-expired', 0] });
    assert.equal((await stream.readAll()).length, 5);
    assert.deepEqual(await queue.visibleIds(), Object.values(ids).sort());
  });

  it('replays the exact records with their partition keys, deletes their messages, and keeps the one past retention', async () => {
    const run = await runCli(['dlq', 'replay', ...target(), '--json']);
    assert.equal(run.code, 2, run.stderr);
    const report = jsonOf<{ results: Array<{ messageId: string; outcome: string; problem: string | null }> }>(run);
    const expired = report.results.find((r) => r.messageId === ids.expired)!;
    assert.equal(expired.outcome, 'kept-expired');
    assert.match(expired.problem!, /no longer in the stream|past retention/);

    const stored: StoredRecord[] = (await stream.readAll()).sort(bySequence);
    assert.equal(stored.length, 9);
    const replayed = stored.slice(5);
    // The on-failure range, then the poison record (from the payload stored in its message): same bytes, same keys, in order per key.
    assert.deepEqual(perKey(replayed), perKey([...written.slice(1, 4), poisoned]));
    assert.deepEqual(await queue.visibleIds(), [ids.expired], 'only the message past retention is left, visible again');
  });

  it('keeps a message whose records the stream did not accept', async () => {
    const run = await runCli(['dlq', 'replay', '--stream', 'no-such-stream', '--queue-url', queue.queueUrl, '--json']);
    assert.equal(run.code, 2);
    const leftover = await queue.send(onFailureMessage(await stream.streamArn, written[2]!, written[2]!, 1));
    const again = await runCli(['dlq', 'replay', '--stream', 'no-such-stream', '--queue-url', queue.queueUrl, '--message-id', leftover, '--json']);
    assert.equal(again.code, 2);
    const report = jsonOf<{ results: Array<{ outcome: string; problem: string }> }>(again);
    assert.equal(report.results[0]!.outcome, 'kept-failed');
    assert.match(report.results[0]!.problem, /ResourceNotFound/);
    assert.deepEqual(await queue.visibleIds(), [ids.expired, leftover].sort());
  });

  it('deletes the messages an operator has dealt with, and only those', async () => {
    const run = await runCli(['dlq', 'delete', ids.expired, 'no-such-message', ...target(), '--json']);
    assert.equal(run.code, 2, 'one id was not found');
    assert.deepEqual(jsonOf(run), { deleted: [ids.expired], missing: ['no-such-message'] });
    assert.equal((await queue.visibleIds()).length, 1);
  });
});
