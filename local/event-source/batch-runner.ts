/**
 * Delivers one batch of one shard (or one key group of it) to the function with AWS's error handling:
 * retries up to MaximumRetryAttempts (total invocations = attempts + 1; -1 = until the records are too
 * old), BisectBatchOnFunctionError (halves on a function error; a split starts its own count),
 * ReportBatchItemFailures (records before the lowest reported sequence number are done, the rest is
 * retried), MaximumRecordAgeInSeconds (records too old before an invoke are given up), and the
 * on-failure destination for whatever gives up. Errors before the invoke (the runtime not answering)
 * are retried without using up attempts.
 */
import type { FunctionInvoker } from '../contracts';
import { readBatchResponse, type BatchVerdict } from './batch-response';
import type { KinesisMappingConfig } from './config';
import type { MappingMetrics } from './metrics';
import { buildFailureRecord, type FailureCondition, type OnFailureDestination } from './on-failure';
import { toLambdaEvent, toLambdaRecord, type EventOrigin, type PolledRecord } from './records';

export interface BatchRunnerDeps {
  readonly config: KinesisMappingConfig;
  readonly invoker: FunctionInvoker;
  readonly origin: EventOrigin;
  readonly destination: OnFailureDestination | undefined;
  readonly metrics: MappingMetrics;
  /** Real time, epoch ms. */
  readonly now: () => number;
  /** Simulated seconds per real second, applied to record ages. */
  readonly timeScale: number;
  /** Pause before retrying a failed batch (real ms). */
  readonly retryDelayMs: number;
  /** False once the mapping is disabled or stopped: the batch is abandoned where it stands. */
  readonly active: () => boolean;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: (line: string) => void;
  /** Called with the outcome of every invocation (LastProcessingResult). */
  readonly onInvoked: (ok: boolean) => void;
}

type Attempt =
  | { readonly kind: 'verdict'; readonly verdict: BatchVerdict }
  | { readonly kind: 'functionError'; readonly message: string }
  | { readonly kind: 'notInvoked'; readonly message: string };

interface Pending {
  records: readonly PolledRecord[];
  invokes: number;
  lastFunctionError: 'Unhandled' | null;
}

export class BatchRunner {
  constructor(private readonly deps: BatchRunnerDeps) {}

  /**
   * Runs the batch to completion (every record processed or given up) or until the mapping stops.
   * Returns how many records from the start of the batch are finished: always a prefix, because halves
   * and retried tails are worked through in shard order.
   */
  async run(batch: readonly PolledRecord[]): Promise<number> {
    const { config } = this.deps;
    let finished = 0;
    const queue: Pending[] = [{ records: batch, invokes: 0, lastFunctionError: null }];
    while (queue.length > 0) {
      const item = queue[0] as Pending;
      if (!this.deps.active()) return finished;

      const tooOld = this.tooOldPrefix(item.records);
      if (tooOld > 0) {
        await this.giveUp('RecordAgeExceeded', item.records.slice(0, tooOld), item);
        finished += tooOld;
        item.records = item.records.slice(tooOld);
        if (item.records.length === 0) {
          queue.shift();
          continue;
        }
      }

      const attempt = await this.invoke(item.records);
      if (attempt.kind === 'notInvoked') {
        this.deps.log(`invoke of ${config.FunctionName} did not happen (${attempt.message}); retrying without using up an attempt`);
        await this.deps.sleep(this.deps.retryDelayMs);
        continue;
      }
      item.invokes += 1;

      if (attempt.kind === 'verdict' && attempt.verdict.kind === 'success') {
        finished += item.records.length;
        queue.shift();
        continue;
      }
      if (attempt.kind === 'verdict' && attempt.verdict.kind === 'partial') {
        const failedFrom = attempt.verdict.failedFrom;
        const index = item.records.findIndex((r) => r.sequenceNumber === failedFrom);
        this.deps.metrics.eventCount('FailedInvokeEventCount', item.records.length - index);
        finished += index;
        item.records = item.records.slice(index);
        item.lastFunctionError = null;
      } else {
        this.deps.metrics.eventCount('FailedInvokeEventCount', item.records.length);
        if (attempt.kind === 'functionError') {
          item.lastFunctionError = 'Unhandled';
          if (config.BisectBatchOnFunctionError && item.records.length > 1) {
            const half = Math.ceil(item.records.length / 2);
            queue.splice(
              0,
              1,
              { records: item.records.slice(0, half), invokes: 0, lastFunctionError: null },
              { records: item.records.slice(half), invokes: 0, lastFunctionError: null },
            );
            continue;
          }
        } else {
          this.deps.log(`${config.FunctionName} answered an invalid batch response, the whole batch failed: ${attempt.kind === 'verdict' && attempt.verdict.kind === 'invalid' ? attempt.verdict.reason : ''}`);
          item.lastFunctionError = null;
        }
      }

      if (config.MaximumRetryAttempts !== -1 && item.invokes > config.MaximumRetryAttempts) {
        await this.giveUp('RetryAttemptsExhausted', item.records, item);
        finished += item.records.length;
        queue.shift();
        continue;
      }
      await this.deps.sleep(this.deps.retryDelayMs);
    }
    return finished;
  }

  /** Number of leading records older than MaximumRecordAgeInSeconds (arrival times grow along a shard). */
  private tooOldPrefix(records: readonly PolledRecord[]): number {
    const maxAge = this.deps.config.MaximumRecordAgeInSeconds;
    if (maxAge === -1) return 0;
    const now = this.deps.now();
    let count = 0;
    while (count < records.length && ((now - (records[count] as PolledRecord).arrivalMs) * this.deps.timeScale) / 1000 > maxAge) count += 1;
    return count;
  }

  private async invoke(records: readonly PolledRecord[]): Promise<Attempt> {
    const { config, metrics } = this.deps;
    const last = records[records.length - 1] as PolledRecord;
    metrics.iteratorAge(this.deps.now() - last.arrivalMs);
    metrics.eventCount('InvokedEventCount', records.length);
    let result;
    try {
      result = await this.deps.invoker.invoke(config.FunctionName, toLambdaEvent(records, this.deps.origin));
    } catch (error) {
      return { kind: 'notInvoked', message: error instanceof Error ? error.message : String(error) };
    }
    if (result.kind === 'functionError') {
      this.deps.onInvoked(false);
      return { kind: 'functionError', message: `${result.errorType}: ${result.errorMessage}` };
    }
    const reportsFailures = config.FunctionResponseTypes.includes('ReportBatchItemFailures');
    const verdict: BatchVerdict = reportsFailures
      ? readBatchResponse(result.payload, records.map((r) => r.sequenceNumber))
      : { kind: 'success' };
    this.deps.onInvoked(verdict.kind === 'success');
    return { kind: 'verdict', verdict };
  }

  /** Sends one invocation record for records that give up, or counts them dropped. */
  private async giveUp(condition: FailureCondition, records: readonly PolledRecord[], item: Pending): Promise<void> {
    const { config, destination, metrics } = this.deps;
    const first = records[0] as PolledRecord;
    const last = records[records.length - 1] as PolledRecord;
    this.deps.log(
      `${config.FunctionName}: ${records.length} record(s) ${first.shardId} ${first.sequenceNumber}..${last.sequenceNumber} give up (${condition}) after ${item.invokes} invocation(s)`,
    );
    if (!destination) {
      metrics.eventCount('DroppedEventCount', records.length);
      return;
    }
    const record = buildFailureRecord({
      condition,
      functionArn: config.FunctionArn,
      streamArn: this.deps.origin.streamArn,
      records,
      // AWS reports at least 1, also for records too old before any invocation.
      approximateInvokeCount: Math.max(1, item.invokes),
      response: { functionError: item.lastFunctionError },
      now: new Date(this.deps.now()),
    });
    try {
      await destination.deliver(record, { mappingUuid: config.UUID, records: records.map((r) => toLambdaRecord(r, this.deps.origin)) });
      metrics.eventCount('OnFailureDestinationDeliveredEventCount', records.length);
    } catch (error) {
      this.deps.log(`on-failure delivery to ${destination.arn} failed: ${error instanceof Error ? error.message : String(error)}`);
      metrics.destinationDeliveryFailure();
      metrics.eventCount('DroppedEventCount', records.length);
    }
  }
}
