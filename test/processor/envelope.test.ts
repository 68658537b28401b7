import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEnvelope, encodeEnvelope, idempotencyKeyOf, partitionKeyOf, validateEnvelope } from '../../lambdas/shared/envelope';
import { parsePoisonRecordMessage, POISON_RECORD_KIND } from '../../lambdas/shared/dlq-message';
import { poisonMessage } from '../../lambdas/processor/dead-letter-queue';
import { cloudEvent } from './support/events';

test('a valid CloudEvent round-trips through the record bytes, extensions kept', () => {
  const event = { ...cloudEvent({ subject: 'order-1', data: { status: 'paid' } }), traceparent: '00-abc' };
  const decoded = decodeEnvelope(encodeEnvelope(event));
  assert.deepEqual(decoded, { ok: true, event });
  assert.equal(partitionKeyOf(event), 'order-1');
  assert.equal(idempotencyKeyOf(event), `/test/producer#${event.id}`);
});

test('validation names every bad field with its rule', () => {
  const result = validateEnvelope({ specversion: '0.3', id: '', type: 7, time: 'yesterday', subject: '' });
  assert.equal(result.ok, false);
  assert.ok(!result.ok);
  assert.equal(result.stage, 'validate');
  for (const expected of ['specversion: must be "1.0"', 'id: must be a non-empty string', 'source: is required', 'type: must be a non-empty string', 'time: must be an RFC 3339 timestamp', 'subject: must not be empty']) {
    assert.ok(result.reason.includes(expected), `reason "${result.reason}" should include "${expected}"`);
  }
});

test('bytes that are not UTF-8 JSON are undecodable, not invalid', () => {
  const notJson = decodeEnvelope(Buffer.from('hello'));
  assert.ok(!notJson.ok && notJson.stage === 'decode' && notJson.reason.startsWith('record data is not JSON'));
  const notUtf8 = decodeEnvelope(Buffer.from([0xff, 0xfe, 0x00]));
  assert.ok(!notUtf8.ok && notUtf8.stage === 'decode' && notUtf8.reason === 'record data is not valid UTF-8');
  const array = decodeEnvelope(Buffer.from('[1]'));
  assert.ok(!array.ok && array.stage === 'validate' && array.reason === 'envelope must be a JSON object');
});

test('a poison-record message parses back with the shared schema; an ESM on-failure record does not', () => {
  const message = poisonMessage(
    'orders',
    {
      record: { sequenceNumber: '42', partitionKey: 'k', data: Buffer.from('x'), shardId: 'shardId-1', arrivalMs: 1_700_000_000_000, eventSourceARN: 'arn:s' },
      reason: 'undecodable',
      error: 'record data is not JSON',
    },
    new Date(0),
  );
  const parsed = parsePoisonRecordMessage(JSON.stringify(message));
  assert.equal(parsed?.kind, POISON_RECORD_KIND);
  assert.equal(parsed?.record.data, Buffer.from('x').toString('base64'));
  assert.equal(parsed?.record.approximateArrivalTimestamp, '2023-11-14T22:13:20.000Z');
  const esmRecord = { requestContext: { condition: 'RetryAttemptsExhausted' }, KinesisBatchInfo: { shardId: 'shardId-1' } };
  assert.equal(parsePoisonRecordMessage(JSON.stringify(esmRecord)), undefined);
});
