/**
 * ReportBatchItemFailures against kinesis-local and fauxqs, case by case as AWS documents them (and as
 * LocalStack's own ESM tests check): what counts as success, what fails the whole batch, and what a
 * partial response retries. Each case runs one batch of three records with MaximumRetryAttempts 1 and
 * an SQS on-failure destination, so a failure shows as two invocations and one invocation record.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OnFailureInvocationRecord } from '../../local/event-source';
import { clientsFromEnv, createQueue, createStream, FixtureInvoker, put, receive, sleep, testMapping, waitFor, type FixtureAnswer, type RecordedCall, type TestClients } from '../../local/event-source/test-kit';

interface CaseResult {
  readonly invoker: FixtureInvoker;
  readonly sequenceNumbers: string[];
  readonly failureRecords: OnFailureInvocationRecord[];
}

describe('ReportBatchItemFailures', { concurrency: true }, () => {
  let clients: TestClients;
  before(() => {
    clients = clientsFromEnv();
  });
  after(() => clients.destroy());

  /** Runs one batch of r0..r2 through a function answering `answer(call)` until it settles. */
  async function runCase(answer: (call: RecordedCall) => FixtureAnswer, expectFailure: boolean): Promise<CaseResult> {
    const [stream, queue] = await Promise.all([createStream(clients.kinesis), createQueue(clients.sqs)]);
    const sequenceNumbers: string[] = [];
    for (let i = 0; i < 3; i += 1) sequenceNumbers.push(await put(clients.kinesis, stream.name, `k${i}`, `r${i}`));
    const invoker = new FixtureInvoker(answer);
    const mapping = testMapping(
      { stream, invoker, clients },
      { FunctionResponseTypes: ['ReportBatchItemFailures'], MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: queue.arn } } },
    );
    try {
      await mapping.start();
      await waitFor('the batch', () => invoker.calls.length >= 1);
      const failureRecords = (await receive(clients.sqs, queue.url, expectFailure ? 1 : 0, expectFailure ? 10_000 : 0)) as OnFailureInvocationRecord[];
      // Long enough for a wrongful retry (20 ms retry pause, 50 ms polls) to show.
      await sleep(300);
      failureRecords.push(...((await receive(clients.sqs, queue.url, 1, 1)) as OnFailureInvocationRecord[]));
      return { invoker, sequenceNumbers, failureRecords };
    } finally {
      await mapping.stop();
      await Promise.all([stream.delete(), queue.delete()]);
    }
  }

  const successCases: Record<string, FixtureAnswer> = {
    'an empty string': '',
    'an empty list': [],
    'null': null,
    'an empty object': {},
    'an empty batchItemFailures list': { batchItemFailures: [] },
    'a null batchItemFailures list': { batchItemFailures: null },
  };
  for (const [name, answer] of Object.entries(successCases)) {
    it(`treats ${name} as success: each record is delivered once, nothing is dead-lettered`, async () => {
      const { invoker, failureRecords } = await runCase(() => answer, false);
      assert.equal(invoker.calls.length, 1);
      assert.deepEqual(invoker.delivered(), ['r0', 'r1', 'r2']);
      assert.deepEqual(failureRecords, []);
    });
  }

  const failureCases: Record<string, (call: RecordedCall) => FixtureAnswer> = {
    'a numeric itemIdentifier': () => ({ batchItemFailures: [{ itemIdentifier: 123 }] }),
    'an empty itemIdentifier': () => ({ batchItemFailures: [{ itemIdentifier: '' }] }),
    'a null itemIdentifier': () => ({ batchItemFailures: [{ itemIdentifier: null }] }),
    'an itemIdentifier that is not in the batch': () => ({ batchItemFailures: [{ itemIdentifier: '49000000000000000000000000000000000000000000000000000001' }] }),
    'a wrong key': (call) => ({ batchItemFailures: [{ foo: call.sequenceNumbers[1] }] }),
  };
  for (const [name, answer] of Object.entries(failureCases)) {
    it(`fails the whole batch on ${name}: retried whole, then one invocation record for all three records`, async () => {
      const { invoker, sequenceNumbers, failureRecords } = await runCase(answer, true);
      assert.equal(invoker.calls.length, 2, 'MaximumRetryAttempts 1 = two invocations');
      assert.deepEqual(invoker.calls.map((c) => c.data), [['r0', 'r1', 'r2'], ['r0', 'r1', 'r2']]);
      assert.equal(failureRecords.length, 1);
      const record = failureRecords[0] as OnFailureInvocationRecord;
      assert.equal(record.requestContext.condition, 'RetryAttemptsExhausted');
      assert.equal(record.requestContext.approximateInvokeCount, 2);
      assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: null });
      assert.equal(record.KinesisBatchInfo.startSequenceNumber, sequenceNumbers[0]);
      assert.equal(record.KinesisBatchInfo.endSequenceNumber, sequenceNumbers[2]);
      assert.equal(record.KinesisBatchInfo.batchSize, 3);
    });
  }

  it('treats an unhandled exception as a function error (functionError "Unhandled" in the invocation record)', async () => {
    const { invoker, failureRecords } = await runCase(() => ({ throw: 'boom' }), true);
    assert.equal(invoker.calls.length, 2);
    assert.equal(failureRecords.length, 1);
    assert.deepEqual(failureRecords[0]?.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
    assert.equal(failureRecords[0]?.KinesisBatchInfo.batchSize, 3);
  });

  it('checkpoints before the lowest reported sequence number and retries only from there', async () => {
    // Reports r2 and r1 as failed (out of order): r1, the lowest, is where the retry starts.
    const { invoker, sequenceNumbers, failureRecords } = await runCase(
      (call) => ({ batchItemFailures: call.sequenceNumbers.slice(-2).reverse().map((itemIdentifier) => ({ itemIdentifier })) }),
      true,
    );
    assert.deepEqual(invoker.calls.map((c) => c.data), [['r0', 'r1', 'r2'], ['r1', 'r2']]);
    assert.equal(failureRecords.length, 1);
    const record = failureRecords[0] as OnFailureInvocationRecord;
    assert.equal(record.KinesisBatchInfo.startSequenceNumber, sequenceNumbers[1]);
    assert.equal(record.KinesisBatchInfo.endSequenceNumber, sequenceNumbers[2]);
    assert.equal(record.KinesisBatchInfo.batchSize, 2);
    assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: null });
  });
});
