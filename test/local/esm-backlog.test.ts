/**
 * A backlog is drained as AWS's poller drains it ("Lambda keeps processing batches until the function
 * catches up with the stream"): reading is not what a shard's batches wait on. A `GetRecords` asks for
 * more than one batch, so a backlog of many batches takes a few reads, not one read per batch under the
 * shard's 5 reads/s; and still every record arrives once, in shard order, one batch at a time
 * (parallelization factor 1), never over BatchSize.
 * GetRecords calls are observed on the SDK client's middleware stack.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { clientsFromEnv, createStream, FixtureInvoker, testMapping, waitFor, type TestClients } from '../../local/event-source/test-kit';

const RECORDS = 600;
const BATCH_SIZE = 10;

describe('a backlog on one shard', () => {
  let clients: TestClients;
  let getRecords = 0;
  before(() => {
    clients = clientsFromEnv();
    clients.kinesis.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetRecordsCommand') getRecords += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countGetRecords' },
    );
  });
  after(() => clients.destroy());

  it('is read a few GetRecords at a time, not one per batch, and delivered once, in order, a batch at a time', async () => {
    const stream = await createStream(clients.kinesis);
    const expected = Array.from({ length: RECORDS }, (_, i) => `r${i}`);
    for (let i = 0; i < RECORDS; i += 500) {
      const out = await clients.kinesis.send(new PutRecordsCommand({ StreamName: stream.name, Records: expected.slice(i, i + 500).map((data, k) => ({ PartitionKey: `k${(i + k) % 7}`, Data: Buffer.from(data) })) }));
      assert.equal(out.FailedRecordCount ?? 0, 0);
    }
    // 60 batches: read one batch per GetRecords under 5 reads/s, the drain would take 12 s and 60 reads.
    const invoker = new FixtureInvoker(() => null, 5);
    const mapping = testMapping({ stream, invoker, clients }, { BatchSize: BATCH_SIZE });
    const readsBefore = getRecords;
    try {
      await mapping.start();
      await waitFor('the backlog drained', () => invoker.delivered().length >= RECORDS, 30_000);
      const reads = getRecords - readsBefore;
      assert.deepEqual(invoker.delivered(), expected, 'every record once, in shard order');
      assert.ok(invoker.calls.every((c) => c.data.length <= BATCH_SIZE), 'no batch over BatchSize');
      assert.equal(invoker.maxConcurrent, 1, 'one batch in flight per shard');
      assert.ok(reads < RECORDS / BATCH_SIZE / 4, `${RECORDS / BATCH_SIZE} batches took ${reads} GetRecords`);
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });
});
