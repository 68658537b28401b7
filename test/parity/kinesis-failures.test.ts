/**
 * LocalStack's Kinesis event source tests of failures and answers (test_lambda_integration_kinesis.py,
 * TestKinesisSource) and of filtering (TestKinesisEventFiltering), ported one test per case and titled
 * with the LocalStack case name (parametrized ones as name[id]): on-failure destinations SQS, SNS and
 * S3, ReportBatchItemFailures answers that succeed or fail the batch, and FilterCriteria on `data`.
 * Same targets as kinesis-source.test.ts; assertions from LocalStack's snapshots (recorded on AWS).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bucketObjects, decode, invocationsOf, receiveBodies, type Resources, sleep, withResources as run } from './support/resources';
import { startParityTarget, type ParityTarget } from './support/target';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface FailureRecord {
  requestContext: { requestId: string; functionArn: string; condition: string; approximateInvokeCount: number };
  responseContext?: { statusCode: number; executedVersion: string; functionError: string | null };
  version: string;
  timestamp: string;
  KinesisBatchInfo: { shardId: string; startSequenceNumber: string; endSequenceNumber: string; approximateArrivalOfFirstRecord: string; approximateArrivalOfLastRecord: string; batchSize: number; streamArn: string };
  payload?: { Records: { kinesis: { data: string; partitionKey: string; sequenceNumber: string } }[] };
}

/** The invocation record of a RetryAttemptsExhausted failure of one record, as AWS recorded it. */
function assertRetriesExhausted(record: FailureRecord, expected: { functionArn: string; streamArn: string; sequenceNumber: string; invokeCount: number; functionError: string | null }): void {
  assert.deepEqual(Object.keys(record).slice(0, 5), ['requestContext', 'responseContext', 'version', 'timestamp', 'KinesisBatchInfo']);
  assert.match(record.requestContext.requestId, UUID);
  assert.equal(record.requestContext.functionArn, expected.functionArn);
  assert.equal(record.requestContext.condition, 'RetryAttemptsExhausted');
  assert.equal(record.requestContext.approximateInvokeCount, expected.invokeCount);
  assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: expected.functionError });
  assert.equal(record.version, '1.0');
  assert.match(record.timestamp, ISO_MS);
  assert.equal(record.KinesisBatchInfo.shardId, 'shardId-000000000000');
  assert.equal(record.KinesisBatchInfo.startSequenceNumber, expected.sequenceNumber);
  assert.equal(record.KinesisBatchInfo.endSequenceNumber, expected.sequenceNumber);
  assert.match(record.KinesisBatchInfo.approximateArrivalOfFirstRecord, ISO_MS);
  assert.match(record.KinesisBatchInfo.approximateArrivalOfLastRecord, ISO_MS);
  assert.equal(record.KinesisBatchInfo.batchSize, 1);
  assert.equal(record.KinesisBatchInfo.streamArn, expected.streamArn);
}

const RAISE_ERROR = JSON.stringify({ input: 'hello', value: 'world', raise_error: 1 });

describe('LocalStack parity: TestKinesisSource (failures) and TestKinesisEventFiltering', { concurrency: 4 }, () => {
  let target: ParityTarget;
  before(async () => {
    target = await startParityTarget();
  });
  after(() => target?.stop());

  const withResources = (body: (r: Resources) => Promise<void>): Promise<void> => run(target, body);

  it('test_kinesis_event_source_mapping_with_on_failure_destination_config: one invocation record on SQS after 2 invocations', () =>
    withResources(async (r) => {
      const fn = await r.recorder();
      const stream = await r.stream();
      const dlq = await r.queue();
      const created = await r.mapping({
        FunctionName: fn.name,
        BatchSize: 1,
        StartingPosition: 'TRIM_HORIZON',
        EventSourceArn: stream.arn,
        MaximumBatchingWindowInSeconds: 1,
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: dlq.arn } },
      });
      assert.deepEqual(created.DestinationConfig, { OnFailure: { Destination: dlq.arn } });
      const seq = await r.putRecord(stream.name, RAISE_ERROR, 'custom');
      const [record] = (await receiveBodies(target, dlq.url, 1)) as FailureRecord[];
      assert.ok(record, 'an invocation record arrives');
      assertRetriesExhausted(record, { functionArn: fn.arn, streamArn: stream.arn, sequenceNumber: seq, invokeCount: 2, functionError: 'Unhandled' });
    }));

  it('test_kinesis_report_batch_item_failures: the failed record alone is retried, then given up', () =>
    withResources(async (r) => {
      const fn = await r.recorder({ REPORT_FAILURES_FOR: 'should_fail' });
      const stream = await r.stream();
      const dlq = await r.queue();
      await r.mapping({
        FunctionName: fn.name,
        BatchSize: 3,
        StartingPosition: 'TRIM_HORIZON',
        EventSourceArn: stream.arn,
        MaximumBatchingWindowInSeconds: 1,
        MaximumRetryAttempts: 3,
        DestinationConfig: { OnFailure: { Destination: dlq.arn } },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      const seqs = await r.putRecords(stream.name, Array.from({ length: 6 }, (_, i) => ({ data: JSON.stringify({ should_fail: i === 5 }), partitionKey: `test_${i}` })));
      const [record] = (await receiveBodies(target, dlq.url, 1)) as FailureRecord[];
      assert.ok(record);
      assertRetriesExhausted(record, { functionArn: fn.arn, streamArn: stream.arn, sequenceNumber: seqs[5] as string, invokeCount: 4, functionError: null });
      const keys = (await invocationsOf(target, fn, 5)).flatMap((inv) => inv.event.Records.map((rec) => rec.kinesis.partitionKey)).sort();
      // test_0..test_4 once each; test_5 in its batch and in every retry (AWS's log showed one more, which LocalStack skips).
      assert.deepEqual(keys.filter((k) => k !== 'test_5'), ['test_0', 'test_1', 'test_2', 'test_3', 'test_4']);
      assert.equal(keys.filter((k) => k === 'test_5').length, 4);
    }));

  const failureScenarios: Record<string, string> = {
    item_identifier_not_present_failure: JSON.stringify({ batchItemFailures: [{ itemIdentifier: 123 }] }),
    empty_string_item_identifier_failure: JSON.stringify({ batchItemFailures: [{ itemIdentifier: '' }] }),
    null_item_identifier_failure: JSON.stringify({ batchItemFailures: [{ itemIdentifier: null }] }),
    invalid_key_foo_failure: JSON.stringify({ batchItemFailures: [{ foo: 123 }] }),
    invalid_key_foo_null_value_failure: JSON.stringify({ batchItemFailures: [{ foo: null }] }),
  };
  const unhandled = 'unhandled_exception_in_function';
  for (const id of [...Object.keys(failureScenarios), unhandled]) {
    it(`test_kinesis_report_batch_item_failure_scenarios[${id}]: the batch fails whole, 3 invocations, then the invocation record`, () =>
      withResources(async (r) => {
        const fn = await r.recorder(id === unhandled ? { FAIL_ALWAYS: '1' } : { RESPONSE: failureScenarios[id] as string });
        const stream = await r.stream();
        const dlq = await r.queue();
        await r.mapping({
          EventSourceArn: stream.arn,
          FunctionName: fn.name,
          StartingPosition: 'TRIM_HORIZON',
          BatchSize: 1,
          MaximumBatchingWindowInSeconds: 1,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          MaximumRetryAttempts: 2,
          DestinationConfig: { OnFailure: { Destination: dlq.arn } },
        });
        const seq = await r.putRecord(stream.name, 'hello', 'test');
        const [record] = (await receiveBodies(target, dlq.url, 1)) as FailureRecord[];
        assert.ok(record);
        assertRetriesExhausted(record, { functionArn: fn.arn, streamArn: stream.arn, sequenceNumber: seq, invokeCount: 3, functionError: id === unhandled ? 'Unhandled' : null });
        const invocations = await invocationsOf(target, fn, 3);
        assert.equal(invocations.length, 3);
        assert.ok(invocations.every((inv) => inv.event.Records.length === 1 && inv.event.Records[0]?.kinesis.sequenceNumber === seq));
      }));
  }

  it('test_kinesis_event_source_mapping_with_sns_on_failure_destination_config: the invocation record as the SNS message', () =>
    withResources(async (r) => {
      const fn = await r.recorder();
      const stream = await r.stream();
      const { topicArn, queue } = await r.topicWithQueue();
      await r.mapping({
        FunctionName: fn.name,
        BatchSize: 1,
        StartingPosition: 'TRIM_HORIZON',
        EventSourceArn: stream.arn,
        MaximumBatchingWindowInSeconds: 1,
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: topicArn } },
      });
      const seq = await r.putRecord(stream.name, RAISE_ERROR, 'custom');
      const [notification] = (await receiveBodies(target, queue.url, 1)) as { Type: string; TopicArn: string; Message: string }[];
      assert.ok(notification);
      assert.equal(notification.TopicArn, topicArn);
      assertRetriesExhausted(JSON.parse(notification.Message) as FailureRecord, { functionArn: fn.arn, streamArn: stream.arn, sequenceNumber: seq, invokeCount: 2, functionError: 'Unhandled' });
    }));

  it('test_kinesis_event_source_mapping_with_s3_on_failure_destination: the record with payload.Records under AWS\'s key', () =>
    withResources(async (r) => {
      const fn = await r.recorder();
      const stream = await r.stream();
      const bucket = await r.bucket();
      const created = await r.mapping({
        FunctionName: fn.name,
        BatchSize: 1,
        StartingPosition: 'TRIM_HORIZON',
        EventSourceArn: stream.arn,
        MaximumBatchingWindowInSeconds: 1,
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: bucket.arn } },
      });
      const seq = await r.putRecord(stream.name, RAISE_ERROR, 'custom');
      const objects = await bucketObjects(target, bucket.name);
      assert.equal(objects.length, 1);
      const { key, body } = objects[0] as { key: string; body: FailureRecord };
      assertRetriesExhausted(body, { functionArn: fn.arn, streamArn: stream.arn, sequenceNumber: seq, invokeCount: 2, functionError: 'Unhandled' });
      assert.equal(body.payload?.Records.length, 1);
      const [record] = body.payload?.Records ?? [];
      assert.equal(record?.kinesis.sequenceNumber, seq);
      assert.equal(record?.kinesis.partitionKey, 'custom');
      assert.equal(decode(record?.kinesis.data ?? ''), RAISE_ERROR);
      const at = new Date(body.timestamp);
      const day = at.toISOString().slice(0, 10);
      const time = at.toISOString().slice(11, 19).replace(/:/g, '.');
      // aws/lambda/<ESM UUID>/<shard id>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random UUID>
      assert.ok(key.startsWith(`aws/lambda/${created.UUID}/${body.KinesisBatchInfo.shardId}/${day.replace(/-/g, '/')}/${day}T${time}`), key);
      assert.match(key.slice(key.lastIndexOf('T') + 9), /^-[0-9a-f-]{36}$/);
    }));

  const successScenarios: Record<string, string> = {
    empty_string_success: '""',
    empty_list_success: '[]',
    null_success: 'null',
    empty_dict_success: '{}',
    empty_batch_item_failure_success: JSON.stringify({ batchItemFailures: [] }),
    null_batch_item_failure_success: JSON.stringify({ batchItemFailures: null }),
  };
  for (const [id, response] of Object.entries(successScenarios)) {
    it(`test_kinesis_report_batch_item_success_scenarios[${id}]: one invocation, no retry`, () =>
      withResources(async (r) => {
        const fn = await r.recorder({ RESPONSE: response });
        const stream = await r.stream();
        await r.mapping({
          EventSourceArn: stream.arn,
          FunctionName: fn.name,
          StartingPosition: 'TRIM_HORIZON',
          BatchSize: 1,
          MaximumBatchingWindowInSeconds: 1,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          MaximumRetryAttempts: 2,
        });
        const seq = await r.putRecord(stream.name, 'hello', 'test');
        const [first] = await invocationsOf(target, fn, 1);
        assert.equal(first?.event.Records[0]?.kinesis.sequenceNumber, seq);
        assert.equal(decode(first?.event.Records[0]?.kinesis.data ?? ''), 'hello');
        await sleep(1500);
        assert.deepEqual(await invocationsOf(target, fn, 1, 1000), [], 'a success is not retried');
      }));
  }

  it('test_kinesis_event_filtering_json_pattern: two mappings on one stream, each function gets only the record its filter matches', () =>
    withResources(async (r) => {
      const stream = await r.stream();
      const functions = [await r.recorder(), await r.recorder()];
      for (const [i, fn] of functions.entries()) {
        const pattern = JSON.stringify({ data: { event_type: [`function_${i + 1}`] } });
        const created = await r.mapping({
          FunctionName: fn.name,
          BatchSize: 1,
          StartingPosition: 'TRIM_HORIZON',
          EventSourceArn: stream.arn,
          MaximumBatchingWindowInSeconds: 1,
          MaximumRetryAttempts: 1,
          FilterCriteria: { Filters: [{ Pattern: pattern }] },
        });
        assert.deepEqual(created.FilterCriteria, { Filters: [{ Pattern: pattern }] });
      }
      const messages = [
        { event_type: 'function_1', message: 'foo' },
        { event_type: 'function_2', message: 'bar' },
      ];
      for (const message of messages) await r.putRecord(stream.name, JSON.stringify(message), 'custom');
      for (const [i, fn] of functions.entries()) {
        const invocations = await invocationsOf(target, fn, 1);
        await sleep(1000);
        const all = [...invocations, ...(await invocationsOf(target, fn, 1, 500))];
        assert.equal(all.length, 1, `function_${i + 1} is invoked exactly once`);
        assert.deepEqual(all[0]?.event.Records.map((rec) => JSON.parse(decode(rec.kinesis.data)) as unknown), [messages[i]]);
      }
    }));
});
