/**
 * What the local event source mapping accepts from a template: AWS's defaults and ranges, and a clear
 * refusal (never a silent skip) of what it does not emulate.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseKinesisMapping } from '../../local/event-source';

const BASE = {
  UUID: 'b3c1d7a2-0000-4000-8000-000000000001',
  FunctionName: 'fn',
  FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn',
  EventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/events',
  StartingPosition: 'TRIM_HORIZON',
};

describe('event source mapping settings', () => {
  it("fills in AWS's defaults for what the template leaves out", () => {
    const m = parseKinesisMapping(BASE);
    assert.equal(m.BatchSize, 100);
    assert.equal(m.MaximumBatchingWindowInSeconds, 0);
    assert.equal(m.ParallelizationFactor, 1);
    assert.equal(m.BisectBatchOnFunctionError, false);
    assert.equal(m.MaximumRetryAttempts, -1);
    assert.equal(m.MaximumRecordAgeInSeconds, -1);
    assert.deepEqual(m.FunctionResponseTypes, []);
    assert.equal(m.Enabled, true);
  });

  it('refuses values AWS refuses, naming each field', () => {
    assert.throws(
      () => parseKinesisMapping({ ...BASE, BatchSize: 0, MaximumRecordAgeInSeconds: 30, ParallelizationFactor: 11 }),
      (error: Error) => /BatchSize/.test(error.message) && /MaximumRecordAgeInSeconds: must be -1 or 60–604800/.test(error.message) && /ParallelizationFactor/.test(error.message),
    );
    assert.throws(() => parseKinesisMapping({ ...BASE, StartingPosition: 'AT_TIMESTAMP' }), /StartingPositionTimestamp: is required/);
  });

  it('refuses what the local target does not emulate instead of ignoring it', () => {
    assert.throws(() => parseKinesisMapping({ ...BASE, TumblingWindowInSeconds: 60 }), /TumblingWindowInSeconds: not supported by the local target/);
    assert.throws(
      () => parseKinesisMapping({ ...BASE, DestinationConfig: { OnFailure: { Destination: 'kafka://broker:9092/failures' } } }),
      /DestinationConfig\.OnFailure\.Destination: must be an SQS queue, SNS topic or S3 bucket ARN \(Kafka destinations are not emulated\)/,
    );
  });

  it('accepts what it now emulates: FilterCriteria and an S3 on-failure destination; refuses a malformed filter', () => {
    const m = parseKinesisMapping({ ...BASE, FilterCriteria: { Filters: [{ Pattern: '{"data":{"a":[1]}}' }] }, DestinationConfig: { OnFailure: { Destination: 'arn:aws:s3:::failures' } } });
    assert.equal(m.DestinationConfig?.OnFailure?.Destination, 'arn:aws:s3:::failures');
    assert.throws(() => parseKinesisMapping({ ...BASE, FilterCriteria: { Filters: [{ Pattern: '{"data":{"a":1}}' }] } }), /FilterCriteria: Invalid filter pattern definition\./);
  });
});
