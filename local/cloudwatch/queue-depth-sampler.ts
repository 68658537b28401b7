/**
 * Publishes the AWS/SQS queue metrics CloudWatch would (dimension QueueName), once a simulated minute:
 * ApproximateNumberOfMessagesVisible and ApproximateNumberOfMessagesNotVisible from GetQueueAttributes,
 * and ApproximateAgeOfOldestMessage (seconds).
 *
 * The age is not a queue attribute in the SQS API (AWS computes it inside CloudWatch). Receiving
 * messages to read their SentTimestamp would change their receive count, so the sampler reads it from
 * fauxqs's non-destructive inspection endpoint (`GET /_fauxqs/queues/<name>`). Where that endpoint does
 * not exist, it falls back to the time the queue was first seen non-empty by this sampler: a lower bound.
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MetricStore } from './metric-store';
import { logToStderr, PeriodicTask } from './periodic-task';

export interface SampledQueue {
  readonly name: string;
  readonly url: string;
}

export interface QueueDepthSamplerOptions {
  readonly sqs: SQSClient;
  readonly store: MetricStore;
  /** The SQS endpoint (fauxqs) base URL, for the inspection endpoint. */
  readonly sqsEndpoint: string;
  readonly queues: readonly SampledQueue[];
  /** Real ms between samples. Default: one simulated minute, at least 50 ms. */
  readonly intervalMs?: number;
  readonly logger?: (line: string) => void;
}

interface InspectedMessage {
  readonly sentTimestamp?: number;
}

export class QueueDepthSampler {
  private readonly task = new PeriodicTask(
    () => Promise.all(this.queues.map((q) => this.sample(q))).then(() => undefined),
    (error) => this.log(`[cloudwatch] sampling queues failed: ${error instanceof Error ? error.message : String(error)}`),
  );
  private readonly nonEmptySince = new Map<string, number>();
  private readonly queues: SampledQueue[];

  constructor(private readonly options: QueueDepthSamplerOptions) {
    this.queues = [...options.queues];
  }

  addQueue(queue: SampledQueue): void {
    this.queues.push(queue);
  }

  start(): void {
    this.task.start(this.options.intervalMs ?? Math.max(50, this.options.store.clock.realDuration(60_000)));
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Samples every queue once now. */
  sampleNow(): Promise<void> {
    return this.task.runNow();
  }

  private async sample(queue: SampledQueue): Promise<void> {
    const now = Date.now();
    try {
      const out = await this.options.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      const visible = Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
      const notVisible = Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
      this.put(queue, 'ApproximateNumberOfMessagesVisible', visible, 'Count', now);
      this.put(queue, 'ApproximateNumberOfMessagesNotVisible', notVisible, 'Count', now);
      const age = await this.oldestAgeSeconds(queue, visible + notVisible, now);
      if (age !== undefined) this.put(queue, 'ApproximateAgeOfOldestMessage', age, 'Seconds', now);
    } catch (error) {
      this.log(`[cloudwatch] sampling queue ${queue.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async oldestAgeSeconds(queue: SampledQueue, count: number, now: number): Promise<number | undefined> {
    if (count === 0) {
      this.nonEmptySince.delete(queue.name);
      return undefined;
    }
    const oldest = await this.inspectOldestSent(queue.name);
    if (oldest !== undefined) return Math.max(0, Math.floor((now - oldest) / 1000));
    const since = this.nonEmptySince.get(queue.name) ?? now;
    this.nonEmptySince.set(queue.name, since);
    return Math.floor((now - since) / 1000);
  }

  private async inspectOldestSent(name: string): Promise<number | undefined> {
    try {
      const response = await fetch(`${this.options.sqsEndpoint.replace(/\/$/, '')}/_fauxqs/queues/${encodeURIComponent(name)}`);
      if (!response.ok) return undefined;
      const body = (await response.json()) as { messages?: { ready?: InspectedMessage[]; inflight?: { message?: InspectedMessage }[] } };
      const sent = [...(body.messages?.ready ?? []), ...(body.messages?.inflight ?? []).map((i) => i.message ?? {})]
        .map((m) => m.sentTimestamp)
        .filter((t): t is number => typeof t === 'number');
      return sent.length > 0 ? Math.min(...sent) : undefined;
    } catch {
      return undefined;
    }
  }

  private log(line: string): void {
    (this.options.logger ?? logToStderr)(line);
  }

  private put(queue: SampledQueue, metricName: string, value: number, unit: string, timestamp: number): void {
    this.options.store.put({ namespace: 'AWS/SQS', metricName, dimensions: { QueueName: queue.name }, value, unit, timestamp });
  }
}
