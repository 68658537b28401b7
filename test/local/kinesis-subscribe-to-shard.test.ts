/**
 * Why the local enhanced fan-out reader (local/event-source/fan-out-reader.ts) does not call
 * kinesis-local's SubscribeToShard: tried here as an enhanced fan-out reader would, with the AWS SDK's
 * Kinesis client on HTTP/2 (NodeHttp2Handler; kinesisClient() forces HTTP/1.1, which SubscribeToShard
 * cannot use). kinesis-local accepts the consumer and answers 200 with an event stream, but the call
 * fails with ERR_HTTP2_ERROR before the SDK yields one event: its HTTP/2 server sends a PING frame with
 * the ACK flag that no PING asked for, and Node's nghttp2 refuses it as a protocol error. If this test
 * fails because events arrive, kinesis-local's SubscribeToShard became usable from Node: see whether it
 * now pushes as records arrive and names ChildShards (kinesis-mock 0.6.2 pushes once a second and never
 * does), and feed the fan-out reader from it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KinesisClient, SubscribeToShardCommand } from '@aws-sdk/client-kinesis';
import { NodeHttp2Handler } from '@smithy/node-http-handler';
import { clientsFromEnv, createStream, listShards, put, registerConsumer, type TestClients } from '../../local/event-source/test-kit';

describe("kinesis-local's SubscribeToShard from Node", () => {
  let clients: TestClients;
  let http2: KinesisClient;
  before(() => {
    clients = clientsFromEnv();
    http2 = new KinesisClient({ requestHandler: new NodeHttp2Handler({ requestTimeout: 0, sessionTimeout: 30_000 }) });
  });
  after(() => {
    clients.destroy();
    http2.destroy();
  });

  it('answers a registered consumer over HTTP/2, but the SDK gets a protocol error before any event', async () => {
    const stream = await createStream(clients.kinesis);
    try {
      const consumerArn = await registerConsumer(clients.kinesis, stream.arn);
      await put(clients.kinesis, stream.name, 'k', 'first');
      const [shard] = await listShards(clients.kinesis, stream.name);
      const events: unknown[] = [];
      const outcome = await (async () => {
        const out = await http2.send(new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId: shard?.ShardId, StartingPosition: { Type: 'TRIM_HORIZON' } }));
        for await (const event of out.EventStream ?? []) {
          events.push(event);
          if (events.length >= 3) break;
        }
        return 'events';
      })().catch((error: unknown) => error);
      assert.deepEqual(events, [], 'no event reached the caller');
      assert.ok(outcome instanceof Error, `the call failed (${String(outcome)})`);
      assert.equal((outcome as Error & { code?: string }).code, 'ERR_HTTP2_ERROR');
      assert.equal((outcome as Error & { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 200, 'after kinesis-local accepted the subscription');
    } finally {
      await stream.delete();
    }
  });
});
