/**
 * One Kinesis event source mapping: a poller per shard, switchable at run time (Enabled), updatable
 * (UpdateEventSourceMapping), described in the Lambda API's EventSourceMappingConfiguration shape.
 *
 * The shard set follows resharding (SplitShard, MergeShards, UpdateShardCount): a shard is read only once
 * every parent it has is finished (ShardLineage), so a key's records before the reshard are all
 * processed before its records after it, as AWS's Kinesis guide requires of a consumer. At start the
 * mapping lists every shard of the stream and reads those whose parents are done (a stream's first
 * shards at once); a poller whose closed shard is finished reports the children GetRecords named
 * (`onShardFinished`), and every child whose parents are now all finished is added (`addShard()`); a
 * periodic ListShards (`shardSyncIntervalMs`) finds whatever those missed. Checkpoints and finished
 * shards are kept per shard across disable/enable and updates, so a re-enabled mapping resumes children
 * from their checkpoints and never re-reads a finished parent. Each shard's records come from a
 * ShardRecordSource made by `sourceFor()`: GetRecords polling on a stream ARN, a SubscribeToShard
 * subscription (FanOutShardReader) on a stream consumer ARN. Polling reads of a stream shard go through
 * the one ShardReadLimiter of that shard (ShardReadLimits), shared by every mapping on the stream; a
 * consumer's reads have their own budget, as enhanced fan-out has on AWS.
 *
 * Simplifications (documented in the README's fidelity table): checkpoints are kept in memory (a new
 * process starts from StartingPosition again); a LATEST mapping re-enabled before it processed anything
 * resumes from the time it was first started (AT_TIMESTAMP), so records written while it was disabled
 * are not lost; shards created after a LATEST mapping first started are read from that time on, which
 * is from their start.
 */
import { DescribeStreamConsumerCommand, DescribeStreamSummaryCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { FunctionInvoker, MetricSink } from '../contracts';
import { BatchRunner } from './batch-runner';
import { parseKinesisMapping, parseStreamArn, type KinesisMappingConfig } from './config';
import { FanOutShardReader, PUSH_INTERVAL_MS } from './fan-out-reader';
import { RecordFilter } from './filter';
import { MappingMetrics, readThrottled } from './metrics';
import { OnFailureDestination } from './on-failure';
import { PollingShardReader, type ChildShard, type ShardRecordSource, type SourceStart } from './record-source';
import { ShardLineage, type ShardParents } from './shard-lineage';
import { ShardPoller, type ShardPosition } from './shard-poller';
import { ShardReadLimits } from './shard-read-limits';

/** Lambda's synchronous invocation payload limit. */
const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

export type MappingState = 'Creating' | 'Enabling' | 'Enabled' | 'Disabling' | 'Disabled' | 'Updating' | 'Deleting';

export interface EventSourceMappingDeps {
  readonly invoker: FunctionInvoker;
  readonly kinesis: KinesisClient;
  /** Needed when an on-failure destination is an SQS queue. */
  readonly sqs?: SQSClient;
  /** Needed when an on-failure destination is an SNS topic. */
  readonly sns?: SNSClient;
  /** Needed when an on-failure destination is an S3 bucket. */
  readonly s3?: S3Client;
  readonly sink: MetricSink;
  /** The read limits of every stream shard, shared by all mappings of the target. Default: this mapping's own. */
  readonly readLimits?: ShardReadLimits;
  /** Pause between GetRecords calls of a shard without new records (real ms). Default 1000 (AWS's ~1 s). */
  readonly pollIntervalMs?: number;
  /** Mappings on a stream consumer (enhanced fan-out, ./fan-out-reader.ts). */
  readonly fanOut?: {
    /** How often a subscription looks for new records (real ms). Default PUSH_INTERVAL_MS (AWS pushes in ~70 ms). */
    readonly pushIntervalMs?: number;
    /** How long a subscription lasts before it is renewed (real ms). Default 5 minutes, as AWS. */
    readonly subscriptionMs?: number;
  };
  /**
   * Pause between ListShards calls that look for shards a reshard added (real ms). Default 10000. Children
   * are normally found at once, from their parent's end (ChildShards); this finds what that missed.
   */
  readonly shardSyncIntervalMs?: number;
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

/** The Lambda API's view of a mapping (Create/Get/List/Update/DeleteEventSourceMapping). */
export interface EventSourceMappingDescription {
  UUID: string;
  EventSourceMappingArn: string;
  StartingPosition: string;
  StartingPositionTimestamp?: number;
  BatchSize: number;
  MaximumBatchingWindowInSeconds: number;
  ParallelizationFactor: number;
  EventSourceArn: string;
  FilterCriteria?: { Filters: { Pattern: string }[] };
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

/** Why the mapping is in its state, in AWS's words: every change here is a user's (API or template). */
const USER_ACTION = 'User action';

export class KinesisEventSourceMapping {
  private cfg: KinesisMappingConfig;
  private mappingState: MappingState = 'Creating';
  private readonly pollers = new Map<string, ShardPoller>();
  private readonly positions = new Map<string, ShardPosition>();
  /** The stream's shards and their parents, as far as the mapping has seen them. */
  private readonly lineage = new ShardLineage();
  /** The loop that lists shards now and then, while the mapping is on; `wakeShardSync` ends its pause. */
  private shardSync: Promise<void> | undefined;
  private wakeShardSync: (() => void) | undefined;
  /** When a LATEST mapping first started reading: where shards without a checkpoint start after a restart. */
  private latestFrom: number | undefined;
  private lastModified: number;
  private lastProcessingResult = 'No records processed';
  private transition: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private runner: BatchRunner;
  private filter: RecordFilter;
  private readonly metrics: MappingMetrics;
  private readonly readLimits: ShardReadLimits;
  private readonly pollIntervalMs: number;

  constructor(
    input: unknown,
    private readonly deps: EventSourceMappingDeps,
  ) {
    this.cfg = parseKinesisMapping(input);
    this.now = deps.now ?? Date.now;
    this.lastModified = this.now();
    this.log = deps.log ?? ((line) => process.stderr.write(`[esm ${this.cfg.UUID}] ${line}\n`));
    this.pollIntervalMs = deps.pollIntervalMs ?? 1000;
    this.readLimits = deps.readLimits ?? new ShardReadLimits({ onThrottled: (stream) => readThrottled(deps.sink, stream, this.now()), now: this.now });
    this.metrics = new MappingMetrics(deps.sink, { functionName: this.cfg.FunctionName, uuid: this.cfg.UUID }, () => this.cfg.MetricsConfig?.Metrics.includes('EventCount') ?? false, this.now);
    this.runner = this.createRunner();
    this.filter = RecordFilter.compile(this.cfg.FilterCriteria);
  }

  get config(): KinesisMappingConfig {
    return this.cfg;
  }

  get uuid(): string {
    return this.cfg.UUID;
  }

  get arn(): string {
    const { region, account } = parseStreamArn(this.cfg.EventSourceArn);
    return `arn:aws:lambda:${region}:${account}:event-source-mapping:${this.cfg.UUID}`;
  }

  get state(): MappingState {
    return this.mappingState;
  }

  /** Whether the stream (or the stream consumer) exists (CreateEventSourceMapping refuses a mapping on a missing one). */
  async streamExists(): Promise<boolean> {
    const { streamArn, consumerArn } = parseStreamArn(this.cfg.EventSourceArn);
    try {
      if (consumerArn) await this.deps.kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn }));
      else await this.deps.kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: streamArn }));
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return false;
      throw error;
    }
  }

  /** Shards read right now. */
  get shardIds(): string[] {
    return [...this.pollers.keys()];
  }

  /** Shards closed and read to their end (every record processed or given up): never read again. */
  get finishedShardIds(): string[] {
    return [...this.positions].filter(([, p]) => p.finished).map(([id]) => id);
  }

  /** Brings the mapping to its configured Enabled setting (call once after creation). */
  async start(): Promise<void> {
    await this.setEnabled(this.cfg.Enabled);
  }

  /**
   * Switches polling on or off, as UpdateEventSourceMapping(Enabled) does. Disabling lets the batches in
   * flight return (retries stop), then the mapping is Disabled; enabling resumes from the checkpoints.
   * The returned promise resolves when the transition is complete; the state shows Enabling/Disabling meanwhile.
   */
  setEnabled(enabled: boolean): Promise<void> {
    this.lastModified = this.now();
    this.cfg = { ...this.cfg, Enabled: enabled };
    this.mappingState = enabled ? 'Enabling' : this.mappingState === 'Creating' ? 'Disabled' : 'Disabling';
    return this.queue(() => (enabled ? this.startPollers() : this.stopPollers()));
  }

  /**
   * UpdateEventSourceMapping of any setting: validated as a whole first (nothing changes if it fails),
   * then the pollers stop after their batches in flight, and start again from their checkpoints with the
   * new settings (if the mapping is enabled). The state shows Updating meanwhile, as on AWS.
   */
  update(changes: Readonly<Record<string, unknown>>): Promise<void> {
    const next = parseKinesisMapping({ ...this.cfg, ...changes });
    const filter = RecordFilter.compile(next.FilterCriteria);
    this.lastModified = this.now();
    const wasOn = this.mappingState === 'Enabled' || this.mappingState === 'Enabling';
    this.mappingState = 'Updating';
    return this.queue(async () => {
      await this.stopPollers();
      this.cfg = next;
      this.filter = filter;
      this.runner = this.createRunner();
      if (next.Enabled) {
        this.mappingState = 'Enabling';
        await this.startPollers();
      } else {
        this.mappingState = 'Disabled';
      }
      if (wasOn && !next.Enabled) this.log('disabled by an update');
    });
  }

  /** Stops every poller (e.g. when the local target shuts down). */
  async stop(): Promise<void> {
    await this.setEnabled(false);
  }

  /** Stops for good (DeleteEventSourceMapping): the state shows Deleting until the batches in flight return. */
  delete(): Promise<void> {
    this.mappingState = 'Deleting';
    return this.queue(() => this.stopPollers('Deleting'));
  }

  /**
   * Starts reading one shard now, from its checkpoint if it has one, else from the mapping's starting
   * position. Idempotent; a finished shard is not read again. The mapping calls it for every shard whose
   * parents are all finished (ShardLineage decides which).
   */
  addShard(shardId: string): void {
    this.createPoller(shardId)?.start();
  }

  private createPoller(shardId: string): ShardPoller | undefined {
    if (this.pollers.has(shardId) || !this.isOn()) return undefined;
    const position = this.positions.get(shardId) ?? {};
    this.positions.set(shardId, position);
    if (position.finished) return undefined;
    const { streamName } = parseStreamArn(this.cfg.EventSourceArn);
    const poller = new ShardPoller({
      config: this.cfg,
      shardId,
      streamName,
      position,
      source: this.sourceFor(shardId, position),
      filter: this.filter,
      runner: this.runner,
      metrics: this.metrics,
      // A subscription pushes: the poller looks again at the push interval, not the poll interval.
      pollIntervalMs: this.isFanOut() ? (this.deps.fanOut?.pushIntervalMs ?? PUSH_INTERVAL_MS) : this.pollIntervalMs,
      maxPayloadBytes: this.deps.maxPayloadBytes ?? LAMBDA_SYNC_PAYLOAD_BYTES,
      sleep,
      now: this.now,
      log: this.log,
      onShardFinished: (finished, children) => this.shardFinished(finished, children),
    });
    this.pollers.set(shardId, poller);
    return poller;
  }

  describe(): EventSourceMappingDescription {
    const c = this.cfg;
    const filters = (c.FilterCriteria as { Filters?: { Pattern: string }[] } | undefined)?.Filters;
    return {
      UUID: c.UUID,
      EventSourceMappingArn: this.arn,
      StartingPosition: c.StartingPosition,
      ...(c.StartingPositionTimestamp !== undefined ? { StartingPositionTimestamp: c.StartingPositionTimestamp } : {}),
      BatchSize: c.BatchSize,
      MaximumBatchingWindowInSeconds: c.MaximumBatchingWindowInSeconds,
      ParallelizationFactor: c.ParallelizationFactor,
      EventSourceArn: c.EventSourceArn,
      ...(filters ? { FilterCriteria: { Filters: filters.map((f) => ({ Pattern: f.Pattern })) } } : {}),
      FunctionArn: c.FunctionArn,
      LastModified: this.lastModified / 1000,
      LastProcessingResult: this.lastProcessingResult,
      State: this.mappingState,
      StateTransitionReason: USER_ACTION,
      DestinationConfig: { OnFailure: c.DestinationConfig?.OnFailure?.Destination ? { Destination: c.DestinationConfig.OnFailure.Destination } : {} },
      MaximumRecordAgeInSeconds: c.MaximumRecordAgeInSeconds,
      BisectBatchOnFunctionError: c.BisectBatchOnFunctionError,
      MaximumRetryAttempts: c.MaximumRetryAttempts,
      TumblingWindowInSeconds: 0,
      FunctionResponseTypes: [...c.FunctionResponseTypes],
      ...(c.MetricsConfig ? { MetricsConfig: { Metrics: [...c.MetricsConfig.Metrics] } } : {}),
    };
  }

  /** Where a shard's records come from: a subscription on the mapping's consumer (enhanced fan-out), or GetRecords polling. */
  private sourceFor(shardId: string, position: ShardPosition): ShardRecordSource {
    const { streamName, streamArn } = parseStreamArn(this.cfg.EventSourceArn);
    const start: SourceStart = position.checkpoint ? { after: position.checkpoint } : { position: this.initialIterator() };
    const common = { kinesis: this.deps.kinesis, streamName, shardId, start, sleep, now: this.now };
    if (this.isFanOut()) {
      const subscriptionMs = this.deps.fanOut?.subscriptionMs;
      return new FanOutShardReader({ ...common, ...(subscriptionMs !== undefined ? { subscriptionMs } : {}) });
    }
    return new PollingShardReader({ ...common, limiter: this.readLimits.forShard(streamArn, streamName, shardId) });
  }

  /** Whether the mapping reads through a stream consumer (its EventSourceArn is a consumer's). */
  private isFanOut(): boolean {
    return parseStreamArn(this.cfg.EventSourceArn).consumerArn !== undefined;
  }

  private createRunner(): BatchRunner {
    const { region, account } = parseStreamArn(this.cfg.EventSourceArn);
    const destinationArn = this.cfg.DestinationConfig?.OnFailure?.Destination;
    return new BatchRunner({
      config: this.cfg,
      invoker: this.deps.invoker,
      origin: {
        // The records name the stream, also when read through a consumer.
        streamArn: parseStreamArn(this.cfg.EventSourceArn).streamArn,
        region,
        invokeIdentityArn: this.deps.invokeIdentityArn ?? `arn:aws:iam::${account}:role/lambda-role`,
      },
      destination: destinationArn ? new OnFailureDestination(destinationArn, { sqs: this.deps.sqs, sns: this.deps.sns, s3: this.deps.s3 }) : undefined,
      metrics: this.metrics,
      now: this.now,
      timeScale: this.deps.timeScale ?? 1,
      retryDelayMs: this.deps.retryDelayMs ?? this.pollIntervalMs,
      active: () => this.isOn(),
      sleep,
      log: this.log,
      onInvoked: (ok) => {
        this.lastProcessingResult = ok ? 'OK' : 'PROBLEM: Function call failed';
      },
    });
  }

  private isOn(): boolean {
    return this.mappingState === 'Enabled' || this.mappingState === 'Enabling';
  }

  /** Transitions run one after another; a failed one is logged and must not stop those queued after it. */
  private queue(step: () => Promise<void>): Promise<void> {
    this.transition = this.transition.then(step).catch((error: unknown) => this.log(`changing state failed: ${error instanceof Error ? error.message : String(error)}`));
    return this.transition;
  }

  /** Lists the open shards and reads each; while Kinesis cannot be reached the mapping stays Enabling and keeps trying. */
  private async startPollers(): Promise<void> {
    while (this.mappingState === 'Enabling') {
      try {
        const { streamName } = parseStreamArn(this.cfg.EventSourceArn);
        this.lineage.learnListing(await this.listShards(streamName));
        this.latestFrom ??= this.now();
        const created = this.readableShards()
          .map((id) => this.createPoller(id))
          .filter((p): p is ShardPoller => p !== undefined);
        // First iterators are taken before the mapping says Enabled: LATEST starts at the moment it is enabled.
        await Promise.all(created.map((p) => p.prime()));
        for (const poller of created) poller.start();
        break;
      } catch (error) {
        await this.stopPollers('Enabling');
        this.log(`cannot start reading ${this.cfg.EventSourceArn} (${error instanceof Error ? error.message : String(error)}); retrying`);
        await sleep(this.pollIntervalMs);
      }
    }
    if (this.mappingState === 'Enabling') {
      this.mappingState = 'Enabled';
      this.startShardSync();
    }
  }

  private async stopPollers(keepState?: MappingState): Promise<void> {
    this.wakeShardSync?.();
    await this.shardSync;
    const pollers = [...this.pollers.values()];
    this.pollers.clear();
    await Promise.all(pollers.map((p) => p.stop()));
    if (keepState === undefined && this.mappingState === 'Disabling') this.mappingState = 'Disabled';
  }

  private initialIterator(): Extract<SourceStart, { position: unknown }>['position'] {
    const c = this.cfg;
    if (c.StartingPosition === 'AT_TIMESTAMP') return { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date((c.StartingPositionTimestamp ?? 0) * 1000) };
    if (c.StartingPosition === 'TRIM_HORIZON') return { ShardIteratorType: 'TRIM_HORIZON' };
    // LATEST means "from when the mapping was first enabled": a restart must not skip what came in between.
    return this.latestFrom === undefined ? { ShardIteratorType: 'LATEST' } : { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(this.latestFrom) };
  }

  /** Shards that may be read now: not finished, every parent finished. */
  private readableShards(): string[] {
    return this.lineage.readable((id) => this.positions.get(id)?.finished === true);
  }

  /** A closed shard is read to its end: its children whose parents are now all finished are read next. */
  private shardFinished(shardId: string, children: readonly ChildShard[]): void {
    this.pollers.delete(shardId);
    this.lineage.learnChildren(children.map((c): ShardParents => ({ shardId: c.shardId, parentShardIds: c.parentShardIds })));
    for (const id of this.readableShards()) this.addShard(id);
  }

  /** Lists the shards every `shardSyncIntervalMs` while the mapping is on, and reads those now readable. */
  private startShardSync(): void {
    if (this.shardSync) return;
    const intervalMs = this.deps.shardSyncIntervalMs ?? 10_000;
    const { streamName } = parseStreamArn(this.cfg.EventSourceArn);
    this.shardSync = (async () => {
      while (this.isOn()) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, intervalMs);
          this.wakeShardSync = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (!this.isOn()) break;
        try {
          this.lineage.learnListing(await this.listShards(streamName));
          for (const id of this.readableShards()) this.addShard(id);
        } catch (error) {
          // Kinesis unreachable or the stream gone: the pollers report it; the next round tries again.
          this.log(`listing the shards of ${streamName} failed (${error instanceof Error ? error.message : String(error)}); trying again in ${intervalMs} ms`);
        }
      }
    })().finally(() => {
      this.shardSync = undefined;
      this.wakeShardSync = undefined;
    });
  }

  /** Every shard of the stream, closed ones included, with its parents (ParentShardId, AdjacentParentShardId). */
  private async listShards(streamName: string): Promise<ShardParents[]> {
    const shards: ShardParents[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.deps.kinesis.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }));
      for (const shard of out.Shards ?? []) {
        if (!shard.ShardId) continue;
        const parentShardIds = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => typeof p === 'string' && p !== '');
        shards.push({ shardId: shard.ShardId, parentShardIds });
      }
      nextToken = out.NextToken;
    } while (nextToken);
    return shards;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
