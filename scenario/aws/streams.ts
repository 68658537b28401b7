/**
 * The scenario's reads and hands on a Kinesis stream's shards, through the Kinesis API: its capacity mode
 * and open shards (DescribeStreamSummary), its shard lineage (ListShards), and resharding a provisioned
 * stream (UpdateShardCount, as an operator would). An on-demand stream is resharded by AWS itself; the
 * target stands in for that (ScenarioTarget.scaleOnDemandStream), never this module.
 */
import { DescribeStreamSummaryCommand, type KinesisClient, ListShardsCommand, UpdateShardCountCommand } from '@aws-sdk/client-kinesis';
import { TargetStateError } from '../errors';

export interface StreamShape {
  readonly mode: 'ON_DEMAND' | 'PROVISIONED';
  readonly openShards: number;
}

export async function streamShape(kinesis: KinesisClient, streamName: string): Promise<StreamShape> {
  const summary = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary;
  if (!summary) throw new TargetStateError(`stream ${streamName} has no description`);
  return { mode: summary.StreamModeDetails?.StreamMode === 'ON_DEMAND' ? 'ON_DEMAND' : 'PROVISIONED', openShards: summary.OpenShardCount ?? 0 };
}

/** Every shard of the stream, closed ones included: the lineage a reshard leaves behind. */
export async function shardCount(kinesis: KinesisClient, streamName: string): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    // ListShards takes the stream name or the next token, never both.
    const page = await kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName }));
    count += page.Shards?.length ?? 0;
    token = page.NextToken;
  } while (token);
  return count;
}

/** UpdateShardCount (UNIFORM_SCALING) on a provisioned stream; resolves once it is ACTIVE again. */
export async function updateShardCount(kinesis: KinesisClient, streamName: string, target: number, timeoutMs = 60_000): Promise<void> {
  await kinesis.send(new UpdateShardCountCommand({ StreamName: streamName, TargetShardCount: target, ScalingType: 'UNIFORM_SCALING' }));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const summary = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary;
    if (summary?.StreamStatus === 'ACTIVE' && summary.OpenShardCount === target) return;
    if (Date.now() > deadline) throw new TargetStateError(`stream ${streamName} is not ACTIVE with ${target} open shards ${timeoutMs} ms after UpdateShardCount`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
