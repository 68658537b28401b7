/**
 * Resharding through the local target's Kinesis endpoint, as AWS answers it: UpdateShardCount,
 * SplitShard and MergeShards reach the emulator for a provisioned stream, and are refused with a
 * ValidationException for an on-demand one (AWS: "only supported for data streams with the provisioned
 * capacity mode"; kinesis-mock alone accepts them). What AWS does by itself to an on-demand stream
 * under load is `scaleOnDemandStream`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  MergeShardsCommand,
  PutRecordCommand,
  SplitShardCommand,
  UpdateShardCountCommand,
} from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../../sdk/clients';
import { startLocalAws, type LocalAwsInstance } from '../../local';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators';
import { listShards, uniqueName, untilActive } from '../../local/event-source/test-kit';
import { runnerEmulators } from './support/emulator-clients';

/** The error a rejected promise carries, or a failure if it resolved. */
async function errorOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the call to be refused');
}

describe('Kinesis resharding through the local target', () => {
  let localAws: LocalAwsInstance;
  let kinesis: KinesisClient;
  const streams: string[] = [];

  const create = async (mode: 'ON_DEMAND' | 'PROVISIONED', shardCount: number): Promise<string> => {
    const name = uniqueName('reshard-api');
    streams.push(name);
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount, StreamModeDetails: { StreamMode: mode } }));
    await untilActive(kinesis, name);
    return name;
  };

  before(async () => {
    localAws = await startLocalAws({ deploy: false, emulators: runnerEmulators(), verbose: false });
    kinesis = createKinesisClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: localAws.endpoints.kinesis });
  });
  after(async () => {
    await Promise.allSettled(streams.map((name) => kinesis.send(new DeleteStreamCommand({ StreamName: name }))));
    kinesis?.destroy();
    await localAws?.stop();
  });

  it('refuses UpdateShardCount, SplitShard and MergeShards on an on-demand stream with a ValidationException, changing nothing', async () => {
    const name = await create('ON_DEMAND', 2);
    const [first, second] = (await listShards(kinesis, name)).map((s) => s.ShardId as string);
    const refusals = await Promise.all([
      errorOf(kinesis.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }))),
      errorOf(kinesis.send(new SplitShardCommand({ StreamName: name, ShardToSplit: first, NewStartingHashKey: '1000' }))),
      errorOf(kinesis.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: first, AdjacentShardToMerge: second }))),
    ]);
    for (const [i, error] of refusals.entries()) {
      assert.equal(error.name, 'ValidationException', `refusal ${i}: ${error.message}`);
      assert.equal(error.$metadata?.httpStatusCode, 400);
      assert.match(error.message, /on-demand capacity mode/);
    }
    assert.deepEqual((await listShards(kinesis, name)).map((s) => s.ShardId), [first, second], 'no shard was split or merged');
    assert.equal((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary?.StreamStatus, 'ACTIVE');
  });

  it('reshards a provisioned stream, and passes every other call through unchanged', async () => {
    const name = await create('PROVISIONED', 1);
    const put = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('before') }));
    const updated = await kinesis.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' }));
    assert.deepEqual([updated.CurrentShardCount, updated.TargetShardCount], [1, 2]);
    await untilActive(kinesis, name);
    const shards = await listShards(kinesis, name);
    assert.equal(shards.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber).length, 2);
    const iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: name, ShardId: put.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    const read = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
    assert.deepEqual(read.Records?.map((r) => Buffer.from(r.Data ?? []).toString()), ['before']);
    assert.equal(read.NextShardIterator, undefined, 'the closed parent is read to its end');
    assert.deepEqual(read.ChildShards?.map((c) => c.ShardId).sort(), shards.filter((s) => s.ParentShardId === put.ShardId).map((s) => s.ShardId).sort());
  });

  it('scaleOnDemandStream reshards an on-demand stream as AWS would by itself, and refuses a provisioned one', async () => {
    const onDemand = await create('ON_DEMAND', 2);
    await localAws.scaleOnDemandStream(onDemand, 4);
    const summary = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: onDemand }))).StreamDescriptionSummary;
    assert.equal(summary?.StreamStatus, 'ACTIVE');
    assert.equal(summary?.OpenShardCount, 4);
    assert.equal(summary?.StreamModeDetails?.StreamMode, 'ON_DEMAND');
    const provisioned = await create('PROVISIONED', 1);
    await assert.rejects(localAws.scaleOnDemandStream(provisioned, 2), /not an on-demand stream/);
  });
});
