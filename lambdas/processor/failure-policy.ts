/**
 * THE error classification of the processor: which failures are retried and which make a record
 * poison. Both engines and the dead-letter path ask this module; nothing else decides it.
 *
 * Retried (the record is reported as a batch item failure, its key stops, the event source mapping
 * redelivers): anything that can succeed later without the record changing. Throttling, 5xx, network
 * and timeout errors, a conditional conflict with another invocation, and configuration problems that
 * an operator fixes (access denied, a missing table): those block the shard and page, which is right,
 * because every record would fail the same way.
 *
 * Poison (the record goes to the DLQ once, its neighbours go on): failures that repeat on every retry
 * because of the record itself.
 * - `action-rejected`: the action threw PoisonEventError.
 * - `store-rejected`: a store refused the record's own write (DynamoDB ValidationException alone for
 *   that record, SNS InvalidParameter, a limit ./storable.ts checks before sending).
 * - `action-failed`: the action's code threw RangeError (including a stack overflow), TypeError,
 *   SyntaxError or URIError, or a schema error, on the record's data. The trade-off: a bug in action
 *   code then fills the DLQ instead of blocking the shard. Both page; both are replayed once fixed
 *   (`dlq replay`), and the shard keeps flowing for every record the bug does not touch. A TypeError
 *   that carries a network cause (Node's fetch throws `TypeError: fetch failed`) is retried.
 * Any other error thrown by an action is retried: the action did not say the record is bad.
 */
import { PoisonReason } from '../shared/dlq-message';
import { ConcurrentUpdateError, describeError, PoisonEventError, StoreRejectedError } from './errors';

export type Verdict =
  | { readonly kind: 'retry'; readonly error: string }
  | { readonly kind: 'poison'; readonly reason: PoisonReason; readonly error: string };

/** Error names AWS services answer when the request itself is invalid and will stay invalid. */
const REJECTION_NAMES = new Set([
  // DynamoDB: item too large, number out of range, nesting too deep, empty attribute name, key too long…
  'ValidationException',
  // SNS: message or attribute not acceptable.
  'InvalidParameterException',
  'InvalidParameterValueException',
  // SQS: characters outside the allowed set, message too long.
  'InvalidMessageContents',
  'MessageTooLong',
]);

/** Error codes of a connection that broke or never opened: always worth retrying. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const NETWORK_NAMES = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'NetworkingError']);

/** Errors of JavaScript itself that an action's code raises on data it cannot handle. */
const DATA_ERROR_TYPES: readonly (new (...args: never[]) => Error)[] = [RangeError, TypeError, SyntaxError, URIError];
const SCHEMA_ERROR_NAMES = new Set(['ZodError', '$ZodError']);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current: unknown = error; current !== undefined && chain.length < 8; current = (current as { cause?: unknown }).cause) {
    chain.push(current);
    if (typeof current !== 'object' || current === null) break;
  }
  return chain;
}

/** A broken or timed-out connection anywhere in the cause chain. */
export function isNetworkError(error: unknown): boolean {
  return causes(error).some((e) => {
    if (typeof e !== 'object' || e === null) return false;
    const { code, name } = e as { code?: unknown; name?: unknown };
    return (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR'))) || (typeof name === 'string' && NETWORK_NAMES.has(name));
  });
}

/**
 * A store refused a write for a reason that repeats on retry. For a write of one record this makes the
 * record poison; for a write of several the caller splits it until the culprit is alone.
 */
export function isStoreRejection(error: unknown): boolean {
  if (error instanceof StoreRejectedError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { name, $fault } = error as { name?: unknown; $fault?: unknown };
  return typeof name === 'string' && REJECTION_NAMES.has(name) && $fault !== 'server';
}

/** The store's own words, for the DLQ message. */
export function storeRejectionMessage(error: unknown): string {
  return error instanceof StoreRejectedError ? error.message : describeError(error);
}

/** What to do with a record whose action (decide, stateKey, run) threw `error`. */
export function classifyActionError(error: unknown): Verdict {
  if (error instanceof PoisonEventError) return { kind: 'poison', reason: PoisonReason.ActionRejected, error: describeError(error) };
  if (error instanceof ConcurrentUpdateError) return { kind: 'retry', error: describeError(error) };
  if (isStoreRejection(error)) return { kind: 'poison', reason: PoisonReason.StoreRejected, error: storeRejectionMessage(error) };
  if (isNetworkError(error)) return { kind: 'retry', error: describeError(error) };
  const isDataError = DATA_ERROR_TYPES.some((type) => error instanceof type) || (error instanceof Error && SCHEMA_ERROR_NAMES.has(error.name));
  if (isDataError) return { kind: 'poison', reason: PoisonReason.ActionFailed, error: describeError(error) };
  return { kind: 'retry', error: describeError(error) };
}
