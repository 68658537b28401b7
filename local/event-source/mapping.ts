/**
 * One Kinesis event source mapping: a poller per shard, switchable at run time (Enabled), described in
 * the Lambda API's EventSourceMappingConfiguration shape for the control plane.
 *
 * Simplifications (documented in the README's fidelity table): checkpoints are kept in memory (a new
 * process starts from StartingPosition again); the shard list is read once at start (resharding is not
 * followed); a LATEST mapping re-enabled before it processed anything resumes from the time it was first
 * started (AT_TIMESTAMP), so records written while it was disabled are not lost.
 */
import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { FunctionInvoker, MetricSink } from '../contracts';
import { BatchRunner } from './batch-runner';
import { parseKinesisMapping, parseStreamArn, type KinesisMappingConfig } from './config';
import { MappingMetrics } from './metrics';
import { OnFailureDestination } from './on-failure';
import { ShardPoller, type ShardPollerDeps, type ShardPosition } from './shard-poller';

/** Lambda's synchronous invocation payload limit. */
const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

export type MappingState = 'Creating' | 'Enabling' | 'Enabled' | 'Disabling' | 'Disabled';

export interface EventSourceMappingDeps {
  readonly invoker: FunctionInvoker;
  readonly kinesis: KinesisClient;
  /** Needed when an on-failure destination is an SQS queue. */
  readonly sqs?: SQSClient;
  /** Needed when an on-failure destination is an SNS topic. */
  readonly sns?: SNSClient;
  readonly sink: MetricSink;
  /** Pause between GetRecords calls of a shard without new records (real ms). Default 1000 (AWS's ~1 s). */
  readonly pollIntervalMs?: number;
  /** Largest invoke payload in bytes. Default 6 MB, Lambda's synchronous limit (lower it only to test the cut). */
  readonly maxPayloadBytes?: number;
  /** Pause before a failed batch is retried (real ms). Default: the poll interval. */
  readonly retryDelayMs?: number;
  /** Simulated seconds per real second, applied to record ages (MaximumRecordAgeInSeconds). Default 1. */
  readonly timeScale?: number;
  /** The function's execution role, shown as invokeIdentityArn. Default `arn:aws:iam::<account>:role/lambda-role`. */
  readonly invokeIdentityArn?: string;
  /** Epoch ms. Default Date.now. */
  readonly now?: () => number;
  /** Default: writes to stderr with a `[esm <uuid>]` prefix. */
  readonly log?: (line: string) => void;
}

/** The Lambda API's view of a mapping (GetEventSourceMapping / ListEventSourceMappings). */
export interface EventSourceMappingDescription {
  UUID: string;
  StartingPosition: string;
  StartingPositionTimestamp?: number;
  BatchSize: number;
  MaximumBatchingWindowInSeconds: number;
  ParallelizationFactor: number;
  EventSourceArn: string;
  FunctionArn: string;
  LastModified: number;
  LastProcessingResult: string;
  State: MappingState;
  StateTransitionReason: string;
  DestinationConfig: { OnFailure: { Destination?: string } };
  MaximumRecordAgeInSeconds: number;
  BisectBatchOnFunctionError: boolean;
  MaximumRetryAttempts: number;
  TumblingWindowInSeconds: number;
  FunctionResponseTypes: string[];
  MetricsConfig?: { Metrics: string[] };
}

export class KinesisEventSourceMapping {
  readonly config: KinesisMappingConfig;
  private mappingState: MappingState = 'Creating';
  private pollers: ShardPoller[] = [];
  private readonly positions = new Map<string, ShardPosition>();
  private firstStartedAt: number | undefined;
  private lastModified: number;
  private lastProcessingResult = 'No records processed';
  private transition: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly runner: BatchRunner;
  private readonly metrics: MappingMetrics;
  private readonly pollIntervalMs: number;

  constructor(
    input: unknown,
    private readonly deps: EventSourceMappingDeps,
  ) {
    this.config = parseKinesisMapping(input);
    this.now = deps.now ?? Date.now;
    this.lastModified = this.now();
    this.log = deps.log ?? ((line) => process.stderr.write(`[esm ${this.config.UUID}] ${line}\n`));
    this.pollIntervalMs = deps.pollIntervalMs ?? 1000;
    const { region, account } = parseStreamArn(this.config.EventSourceArn);
    this.metrics = new MappingMetrics(
      deps.sink,
      { functionName: this.config.FunctionName, uuid: this.config.UUID },
      this.config.MetricsConfig?.Metrics.includes('EventCount') ?? false,
      this.now,
    );
    const destinationArn = this.config.DestinationConfig?.OnFailure?.Destination;
    this.runner = new BatchRunner({
      config: this.config,
      invoker: deps.invoker,
      origin: {
        streamArn: this.config.EventSourceArn,
        region,
        invokeIdentityArn: deps.invokeIdentityArn ?? `arn:aws:iam::${account}:role/lambda-role`,
      },
      destination: destinationArn ? new OnFailureDestination(destinationArn, { sqs: deps.sqs, sns: deps.sns }) : undefined,
      metrics: this.metrics,
      now: this.now,
      timeScale: deps.timeScale ?? 1,
      retryDelayMs: deps.retryDelayMs ?? this.pollIntervalMs,
      active: () => this.mappingState === 'Enabled' || this.mappingState === 'Enabling',
      sleep,
      log: this.log,
      onInvoked: (ok) => {
        this.lastProcessingResult = ok ? 'OK' : 'PROBLEM: Function call failed';
      },
    });
  }

  get uuid(): string {
    return this.config.UUID;
  }

  get state(): MappingState {
    return this.mappingState;
  }

  /** Brings the mapping to its configured Enabled setting (call once after creation). */
  async start(): Promise<void> {
    await this.setEnabled(this.config.Enabled);
  }

  /**
   * Switches polling on or off, as UpdateEventSourceMapping(Enabled) does. Disabling lets the batches in
   * flight return (retries stop), then the mapping is Disabled; enabling resumes from the checkpoints.
   * The returned promise resolves when the transition is complete; the state shows Enabling/Disabling meanwhile.
   */
  setEnabled(enabled: boolean): Promise<void> {
    this.lastModified = this.now();
    this.mappingState = enabled ? 'Enabling' : this.mappingState === 'Creating' ? 'Disabled' : 'Disabling';
    // A failed transition is logged and must not stop the ones queued after it.
    this.transition = this.transition
      .then(() => (enabled ? this.startPollers() : this.stopPollers()))
      .catch((error: unknown) => this.log(`switching to ${enabled ? 'enabled' : 'disabled'} failed: ${error instanceof Error ? error.message : String(error)}`));
    return this.transition;
  }

  /** Stops every poller (e.g. when the local target shuts down). */
  async stop(): Promise<void> {
    await this.setEnabled(false);
  }

  describe(): EventSourceMappingDescription {
    const c = this.config;
    return {
      UUID: c.UUID,
      StartingPosition: c.StartingPosition,
      ...(c.StartingPositionTimestamp !== undefined ? { StartingPositionTimestamp: c.StartingPositionTimestamp } : {}),
      BatchSize: c.BatchSize,
      MaximumBatchingWindowInSeconds: c.MaximumBatchingWindowInSeconds,
      ParallelizationFactor: c.ParallelizationFactor,
      EventSourceArn: c.EventSourceArn,
      FunctionArn: c.FunctionArn,
      LastModified: this.lastModified / 1000,
      LastProcessingResult: this.lastProcessingResult,
      State: this.mappingState,
      StateTransitionReason: 'USER_INITIATED',
      DestinationConfig: { OnFailure: c.DestinationConfig?.OnFailure?.Destination ? { Destination: c.DestinationConfig.OnFailure.Destination } : {} },
      MaximumRecordAgeInSeconds: c.MaximumRecordAgeInSeconds,
      BisectBatchOnFunctionError: c.BisectBatchOnFunctionError,
      MaximumRetryAttempts: c.MaximumRetryAttempts,
      TumblingWindowInSeconds: 0,
      FunctionResponseTypes: [...c.FunctionResponseTypes],
      ...(c.MetricsConfig ? { MetricsConfig: { Metrics: [...c.MetricsConfig.Metrics] } } : {}),
    };
  }

  /** Starts a poller per shard; while Kinesis cannot be reached the mapping stays Enabling and keeps trying. */
  private async startPollers(): Promise<void> {
    while (this.pollers.length === 0 && this.mappingState === 'Enabling') {
      try {
        const pollers = await this.createPollers();
        this.pollers = pollers;
        for (const poller of pollers) poller.start();
      } catch (error) {
        this.log(`cannot start reading ${this.config.EventSourceArn} (${error instanceof Error ? error.message : String(error)}); retrying`);
        await sleep(this.pollIntervalMs);
      }
    }
    if (this.mappingState === 'Enabling') this.mappingState = 'Enabled';
  }

  private async createPollers(): Promise<ShardPoller[]> {
    const { streamName } = parseStreamArn(this.config.EventSourceArn);
    const shards = await this.listShards(streamName);
    const startedAt = this.firstStartedAt ?? this.now();
    const initialIterator = this.initialIterator(this.firstStartedAt === undefined, startedAt);
    const pollers = shards.map((shardId) => {
      const position = this.positions.get(shardId) ?? {};
      this.positions.set(shardId, position);
      const pollerDeps: ShardPollerDeps = {
        config: this.config,
        kinesis: this.deps.kinesis,
        streamName,
        shardId,
        position,
        initialIterator,
        runner: this.runner,
        metrics: this.metrics,
        pollIntervalMs: this.pollIntervalMs,
        maxPayloadBytes: this.deps.maxPayloadBytes ?? LAMBDA_SYNC_PAYLOAD_BYTES,
        sleep,
        now: this.now,
        log: this.log,
      };
      return new ShardPoller(pollerDeps);
    });
    await Promise.all(pollers.map((p) => p.prime()));
    this.firstStartedAt = startedAt;
    return pollers;
  }

  private async stopPollers(): Promise<void> {
    const pollers = this.pollers;
    this.pollers = [];
    await Promise.all(pollers.map((p) => p.stop()));
    if (this.mappingState === 'Disabling') this.mappingState = 'Disabled';
  }

  private initialIterator(firstStart: boolean, startedAt: number): ShardPollerDeps['initialIterator'] {
    const c = this.config;
    if (c.StartingPosition === 'AT_TIMESTAMP') return { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date((c.StartingPositionTimestamp ?? 0) * 1000) };
    if (c.StartingPosition === 'TRIM_HORIZON') return { ShardIteratorType: 'TRIM_HORIZON' };
    // LATEST means "from when the mapping was first enabled": a restart must not skip what came in between.
    return firstStart ? { ShardIteratorType: 'LATEST' } : { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(startedAt) };
  }

  private async listShards(streamName: string): Promise<string[]> {
    const ids: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.deps.kinesis.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }));
      for (const shard of out.Shards ?? []) {
        // Only open shards: the local target does not follow resharding.
        if (shard.ShardId && !shard.SequenceNumberRange?.EndingSequenceNumber) ids.push(shard.ShardId);
      }
      nextToken = out.NextToken;
    } while (nextToken);
    return ids;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
