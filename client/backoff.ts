/**
 * Retry policy of the producer: exponential backoff with full jitter (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"), and which errors are worth retrying.
 */

export interface BackoffOptions {
  /** First retry waits up to this long (ms). Default 100. */
  readonly baseDelayMs?: number;
  /** No retry waits longer than this (ms). Default 5000. */
  readonly maxDelayMs?: number;
}

/** Full jitter: a uniformly random delay in [0, min(max, base * 2^(attempt-1))). */
export function fullJitterDelayMs(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseDelayMs ?? 100;
  const cap = options.maxDelayMs ?? 5000;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Per-record error codes PutRecords returns; AWS documents both as transient. */
const RETRYABLE_RECORD_ERRORS = new Set(['ProvisionedThroughputExceededException', 'InternalFailure']);

export function isRetryableRecordError(errorCode: string | undefined): boolean {
  return errorCode !== undefined && RETRYABLE_RECORD_ERRORS.has(errorCode);
}

/** Whole-call errors that say "try again later" rather than "this request is wrong". */
const RETRYABLE_CALL_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
  'InternalFailure',
  'InternalFailureException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ThrottlingException',
  'Throttling',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

/** True for throttling, server-side and network errors; false for validation, auth and missing resources. */
export function isRetryableCallError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.$retryable) return true;
  if (typeof e.name === 'string' && RETRYABLE_CALL_ERRORS.has(e.name)) return true;
  if (typeof e.code === 'string' && RETRYABLE_NETWORK_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
