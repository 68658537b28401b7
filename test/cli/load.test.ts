/** `load`, run as a user runs it: what it says it sent is what the stream holds. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeEnvelope, type CloudEvent } from '../../lambdas/shared/envelope';
import { ORDER_STATUSES } from '../../client/examples/pipeline-events';
import { bySequence, TestStream } from '../client/support/kinesis-streams';
import { jsonOf, runCli } from './support/run-cli';
import type { LoadSummary } from '../../client/operations/load-generator';

describe('stream-pipeline load', () => {
  let stream: TestStream;
  before(async () => {
    stream = await TestStream.create('cli-load', 2);
  });
  after(async () => {
    await stream.delete();
    stream.client.destroy();
  });

  it('puts order status changes with the duplicates, out-of-order pairs and invalid records it reports', async () => {
    const run = await runCli(['load', '--stream', stream.streamName, '--action', 'orders', '--count', '80', '--rate', '500', '--keys', '6', '--duplicates', '0.2', '--out-of-order', '0.2', '--invalid', '0.1', '--seed', '3', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const summary = jsonOf<LoadSummary>(run);
    assert.ok(summary.duplicates > 0 && summary.outOfOrder > 0 && summary.invalid > 0, JSON.stringify(summary));
    assert.equal(summary.failed, 0);

    const stored = (await stream.readAll()).sort((a, b) => (a.shardId === b.shardId ? bySequence(a, b) : a.shardId.localeCompare(b.shardId)));
    const events: CloudEvent[] = [];
    let invalid = 0;
    for (const record of stored) {
      const decoded = decodeEnvelope(record.data);
      if (decoded.ok) events.push(decoded.event);
      else invalid++;
    }
    assert.equal(invalid, summary.invalid);
    assert.equal(events.length, summary.events);
    assert.equal(summary.acknowledged, summary.events + summary.invalid);

    const seen = new Map<string, number>();
    for (const e of events) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
    assert.equal([...seen.values()].filter((n) => n === 2).length, summary.duplicates, 'each injected duplicate is the same event (same id) twice');

    let olderAfterNewer = 0;
    const bySubject = new Map<string, CloudEvent[]>();
    for (const e of events) bySubject.set(e.subject!, [...(bySubject.get(e.subject!) ?? []), e]);
    assert.ok(bySubject.size <= 6);
    for (const list of bySubject.values()) {
      list.forEach((e, i) => {
        assert.equal(e.type, 'order.status-changed');
        assert.ok(ORDER_STATUSES.includes((e.data as { status: (typeof ORDER_STATUSES)[number] }).status));
        if (i > 0 && Date.parse(e.time!) < Date.parse(list[i - 1]!.time!)) olderAfterNewer++;
      });
    }
    assert.equal(olderAfterNewer, summary.outOfOrder, 'each out-of-order pair puts an older change right after a newer one');
  });
});
