/**
 * LocalStack's MaximumRecordAgeInSeconds cases (test_lambda_integration_kinesis.py, TestKinesisSource),
 * one test per case, titled with the LocalStack case name. LocalStack shortens the 60 s minimum by
 * patching its poller in-process; these tests let record ages pass on the target's own clock instead
 * (support/target.ts: real seconds on an external target, a time scale of 10 on the embedded one), so
 * the mapping keeps AWS's 60 s minimum. Assertions from LocalStack's snapshots (recorded on AWS).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decode, invocationsOf, receiveBodies, type Resources, withResources as run } from './support/resources';
import { startParityTarget, type ParityTarget } from './support/target';

interface AgeRecord {
  requestContext: { functionArn: string; condition: string; approximateInvokeCount: number };
  responseContext?: unknown;
  version: string;
  KinesisBatchInfo: { shardId: string; startSequenceNumber: string; endSequenceNumber: string; batchSize: number; streamArn: string };
}

function assertAgeExceeded(record: AgeRecord, expected: { functionArn: string; streamArn: string; sequenceNumber: string }): void {
  assert.deepEqual(Object.keys(record), ['requestContext', 'version', 'timestamp', 'KinesisBatchInfo'], 'no responseContext for RecordAgeExceeded');
  assert.equal(record.requestContext.condition, 'RecordAgeExceeded');
  assert.equal(record.requestContext.functionArn, expected.functionArn);
  assert.equal(record.version, '1.0');
  assert.equal(record.KinesisBatchInfo.shardId, 'shardId-000000000000');
  assert.equal(record.KinesisBatchInfo.startSequenceNumber, expected.sequenceNumber);
  assert.equal(record.KinesisBatchInfo.endSequenceNumber, expected.sequenceNumber);
  assert.equal(record.KinesisBatchInfo.batchSize, 1);
  assert.equal(record.KinesisBatchInfo.streamArn, expected.streamArn);
}

describe('LocalStack parity: TestKinesisSource (MaximumRecordAgeInSeconds)', { concurrency: true }, () => {
  let target: ParityTarget;
  before(async () => {
    target = await startParityTarget({ timeScale: 10 });
  });
  after(() => target?.stop());

  const withResources = (body: (r: Resources) => Promise<void>): Promise<void> => run(target, body);

  it('test_kinesis_maximum_record_age_exceeded[expire-while-retrying]: given up as RecordAgeExceeded, counting every invocation made', () =>
    withResources(async (r) => {
      const stream = await r.stream();
      const seq = await r.putRecord(stream.name, 'stream-data', 'test');
      const fn = await r.recorder({ FAIL_ALWAYS: '1' });
      const dlq = await r.queue();
      await r.mapping({
        FunctionName: fn.name,
        BatchSize: 1,
        StartingPosition: 'TRIM_HORIZON',
        EventSourceArn: stream.arn,
        MaximumBatchingWindowInSeconds: 1,
        MaximumRetryAttempts: -1,
        MaximumRecordAgeInSeconds: 60,
        DestinationConfig: { OnFailure: { Destination: dlq.arn } },
      });
      const [record] = (await receiveBodies(target, dlq.url, 1, 180_000)) as AgeRecord[];
      assert.ok(record, 'an invocation record arrives');
      assertAgeExceeded(record, { functionArn: fn.arn, streamArn: stream.arn, sequenceNumber: seq });
      const invocations = await invocationsOf(target, fn, record.requestContext.approximateInvokeCount);
      // AWS recorded 8 for its retry pace; the count is the invocations made before the record expired.
      assert.ok(record.requestContext.approximateInvokeCount >= 2, `retried before expiring (${record.requestContext.approximateInvokeCount})`);
      assert.equal(invocations.length, record.requestContext.approximateInvokeCount);
    }));

  it('test_kinesis_maximum_record_age_exceeded[expire-before-ingestion]: too old when first read, approximateInvokeCount 1, never invoked', () =>
    withResources(async (r) => {
      const stream = await r.stream();
      const seq = await r.putRecord(stream.name, 'stream-data', 'test');
      await target.waitRecordAge(60);
      const fn = await r.recorder({ FAIL_ALWAYS: '1' });
      const dlq = await r.queue();
      await r.mapping({
        FunctionName: fn.name,
        BatchSize: 1,
        StartingPosition: 'TRIM_HORIZON',
        EventSourceArn: stream.arn,
        MaximumBatchingWindowInSeconds: 1,
        MaximumRetryAttempts: 0,
        MaximumRecordAgeInSeconds: 60,
        DestinationConfig: { OnFailure: { Destination: dlq.arn } },
      });
      const [record] = (await receiveBodies(target, dlq.url, 1)) as AgeRecord[];
      assert.ok(record);
      assertAgeExceeded(record, { functionArn: fn.arn, streamArn: stream.arn, sequenceNumber: seq });
      assert.equal(record.requestContext.approximateInvokeCount, 1);
      assert.deepEqual(await invocationsOf(target, fn, 1, 1000), [], 'the function is never invoked');
    }));

  it('test_kinesis_maximum_record_age_exceeded_discard_records: the expired first record is reported, the five newer ones delivered', () =>
    withResources(async (r) => {
      const stream = await r.stream();
      const expiredSeq = await r.putRecord(stream.name, 'stream-data', 'test');
      await target.waitRecordAge(80);
      const fn = await r.recorder();
      const dlq = await r.queue();
      await r.putRecords(stream.name, Array.from({ length: 5 }, (_, i) => ({ data: `stream-data-${i + 1}`, partitionKey: 'test' })));
      await r.mapping({
        FunctionName: fn.name,
        BatchSize: 10,
        StartingPosition: 'TRIM_HORIZON',
        EventSourceArn: stream.arn,
        MaximumBatchingWindowInSeconds: 1,
        MaximumRetryAttempts: 0,
        MaximumRecordAgeInSeconds: 60,
        DestinationConfig: { OnFailure: { Destination: dlq.arn } },
      });
      const [record] = (await receiveBodies(target, dlq.url, 1)) as AgeRecord[];
      assert.ok(record);
      assertAgeExceeded(record, { functionArn: fn.arn, streamArn: stream.arn, sequenceNumber: expiredSeq });
      assert.equal(record.requestContext.approximateInvokeCount, 1);
      const delivered = (await invocationsOf(target, fn, 1)).flatMap((inv) => inv.event.Records.map((rec) => decode(rec.kinesis.data)));
      assert.deepEqual(delivered.sort(), ['stream-data-1', 'stream-data-2', 'stream-data-3', 'stream-data-4', 'stream-data-5']);
    }));
});
