/**
 * How Lambda reads a function's answer when the mapping has ReportBatchItemFailures (AWS rules):
 * - success: null/undefined, "", [], {}, `batchItemFailures` empty or null, and any answer that is not
 *   an object (it names no failed item);
 * - partial: every itemIdentifier is a sequence number of the batch; the lowest becomes the checkpoint;
 * - whole batch failed: an itemIdentifier that is empty, null, not a string of the batch (e.g. 123 or an
 *   unknown number), an entry without `itemIdentifier` (a wrong key), or a non-list `batchItemFailures`.
 * Without ReportBatchItemFailures any successful response is success.
 */
import { compareSequenceNumbers } from './records';

export type BatchVerdict =
  | { readonly kind: 'success' }
  | { readonly kind: 'partial'; readonly failedFrom: string }
  | { readonly kind: 'invalid'; readonly reason: string };

export function readBatchResponse(payload: unknown, batchSequenceNumbers: readonly string[]): BatchVerdict {
  if (payload === null || payload === undefined || payload === '') return { kind: 'success' };
  if (typeof payload !== 'object' || Array.isArray(payload)) return { kind: 'success' };
  const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'invalid', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  const inBatch = new Set(batchSequenceNumbers);
  let lowest: string | undefined;
  for (const failure of failures) {
    const id: unknown = typeof failure === 'object' && failure !== null ? (failure as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '' || !inBatch.has(id)) {
      return { kind: 'invalid', reason: `itemIdentifier ${JSON.stringify(id)} is not a sequence number of the batch (entry ${JSON.stringify(failure)})` };
    }
    if (lowest === undefined || compareSequenceNumbers(id, lowest) < 0) lowest = id;
  }
  return { kind: 'partial', failedFrom: lowest as string };
}
