/**
 * The one error classification (lambdas/processor/failure-policy.ts): what is retried, what is poison.
 * A pure function over errors shaped as the AWS SDK v3 and Node.js raise them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrentUpdateError, PoisonEventError, StoreRejectedError } from '../../lambdas/processor/errors';
import { classifyActionError, isNetworkError, isStoreRejection } from '../../lambdas/processor/failure-policy';

/** An error as the AWS SDK v3 throws it for a service response. */
function serviceError(name: string, fault: 'client' | 'server', status: number, retryable?: { throttling: boolean }): Error {
  return Object.assign(new Error(`${name} message`), { name, $fault: fault, $metadata: { httpStatusCode: status }, ...(retryable ? { $retryable: retryable } : {}) });
}

const verdict = (error: unknown) => {
  const v = classifyActionError(error);
  return v.kind === 'poison' ? v.reason : 'retry';
};

test('the record is the cause: poison with the reason that says why', () => {
  assert.equal(verdict(new PoisonEventError('no status')), 'action-rejected');
  assert.equal(verdict(new StoreRejectedError('item too large')), 'store-rejected');
  assert.equal(verdict(serviceError('ValidationException', 'client', 400)), 'store-rejected', 'DynamoDB refused the write');
  assert.equal(verdict(serviceError('InvalidParameterException', 'client', 400)), 'store-rejected', 'SNS refused the publish');
  assert.equal(verdict(new RangeError('Maximum call stack size exceeded')), 'action-failed');
  assert.equal(verdict(new TypeError("Cannot read properties of undefined (reading 'x')")), 'action-failed');
  assert.equal(verdict(new SyntaxError('Unexpected token')), 'action-failed', 'JSON.parse of a data field');
  assert.equal(verdict(new URIError('URI malformed')), 'action-failed');
  assert.equal(verdict(Object.assign(new Error('invalid'), { name: 'ZodError' })), 'action-failed', 'a schema failure');
});

test('everything that can succeed later is retried', () => {
  assert.equal(verdict(new ConcurrentUpdateError('state changed')), 'retry');
  assert.equal(verdict(serviceError('ThrottlingException', 'client', 400, { throttling: true })), 'retry');
  assert.equal(verdict(serviceError('ProvisionedThroughputExceededException', 'client', 400, { throttling: true })), 'retry');
  assert.equal(verdict(serviceError('InternalServerError', 'server', 500)), 'retry');
  assert.equal(verdict(serviceError('AccessDeniedException', 'client', 400)), 'retry', 'configuration: every record would fail, an operator fixes it');
  assert.equal(verdict(serviceError('ResourceNotFoundException', 'client', 400)), 'retry');
  assert.equal(verdict(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 'retry');
  assert.equal(verdict(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), 'retry');
  assert.equal(verdict(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })), 'retry', "Node's fetch throws TypeError on network failure");
  assert.equal(verdict(new Error('the downstream API answered 503')), 'retry', 'an action that does not say the record is bad');
  assert.equal(verdict('a string'), 'retry');
});

test('store rejections and network errors are told apart for the engines that split writes', () => {
  assert.equal(isStoreRejection(serviceError('ValidationException', 'client', 400)), true);
  assert.equal(isStoreRejection(serviceError('TransactionCanceledException', 'client', 400)), false);
  assert.equal(isStoreRejection(serviceError('ThrottlingException', 'client', 400)), false);
  assert.equal(isNetworkError(Object.assign(new Error('x'), { cause: { code: 'UND_ERR_SOCKET' } })), true);
  assert.equal(isNetworkError(new Error('x')), false);
});
