/**
 * The delaying proxy of the round-trip benchmark (bench/round-trip-proxy.ts): every request is delayed
 * by the round trip, bodies arrive whole and in order, connections are kept alive on both sides, and the
 * AWS SDK's DynamoDB client (against DynamoDB Local) completes every call through it, never hangs.
 * Durations are judged from below only: a loaded machine makes requests slower, never faster.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startRoundTripProxy, type RoundTripProxy } from '../../bench/round-trip-proxy';

const ROUND_TRIP_MS = 40;

let upstream: Server;
let upstreamConnections = 0;
let proxy: RoundTripProxy;

before(async () => {
  // Echoes the request body back, with the method and path in headers.
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(200, { 'x-method': req.method ?? '', 'x-path': req.url ?? '' });
      res.end(Buffer.concat(chunks));
    });
  });
  upstream.on('connection', () => (upstreamConnections += 1));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  proxy = await startRoundTripProxy({ target: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, roundTripMs: ROUND_TRIP_MS });
});

after(async () => {
  await proxy.close();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

function send(agent: Agent, path: string, body: Buffer): Promise<{ status: number; body: Buffer; headers: Record<string, unknown>; ms: number }> {
  const began = performance.now();
  const url = new URL(path, proxy.endpoint);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/octet-stream' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers, ms: performance.now() - began }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('each request is delayed by the round trip, its body arrives whole, and one kept-alive connection carries them all', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const connectionsBefore = { client: proxy.clientConnections, upstream: upstreamConnections };
  try {
    for (let i = 0; i < 5; i++) {
      // Bodies of several TCP segments, different each time: any reordering or loss would show.
      const body = Buffer.alloc(256 * 1024 + i, i + 1);
      const answer = await send(agent, `/item/${i}`, body);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['x-path'], `/item/${i}`);
      assert.ok(answer.body.equals(body), `body of request ${i} came back whole and in order`);
      assert.ok(answer.ms >= ROUND_TRIP_MS - 2, `request ${i} took ${answer.ms.toFixed(1)} ms, at least the ${ROUND_TRIP_MS} ms round trip`);
    }
  } finally {
    agent.destroy();
  }
  assert.equal(proxy.clientConnections - connectionsBefore.client, 1, 'the client kept one connection alive');
  assert.ok(upstreamConnections - connectionsBefore.upstream <= 1, 'the proxy kept its upstream connection alive');
});

test('concurrent requests overlap (each is delayed on its own) and all complete', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 20 });
  try {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(agent, `/c/${i}`, Buffer.from(`request ${i}`))));
    answers.forEach((answer, i) => assert.equal(answer.body.toString(), `request ${i}`));
    // Held side by side, not one after another (which would make 20 requests take 20 round trips).
    assert.ok(proxy.peakInFlight > 1, `requests were delayed concurrently (at most ${proxy.peakInFlight} at once)`);
  } finally {
    agent.destroy();
  }
});

test('the AWS SDK talks to DynamoDB Local through it with keep-alive, call after call, without hanging', async () => {
  const target = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  assert.ok(target, 'the test runner exports the DynamoDB Local endpoint');
  const sdkProxy = await startRoundTripProxy({ target, roundTripMs: 5 });
  // A request timeout turns a hang into a failure instead of a stuck test run.
  const client = new DynamoDBClient({ endpoint: sdkProxy.endpoint, requestHandler: { requestTimeout: 10_000 } });
  try {
    for (let i = 0; i < 20; i++) await client.send(new ListTablesCommand({}));
    await Promise.all(Array.from({ length: 20 }, () => client.send(new ListTablesCommand({}))));
    assert.equal(sdkProxy.requests, 40);
    assert.ok(sdkProxy.clientConnections <= 20, `the SDK reused its connections (${sdkProxy.clientConnections} for 40 requests)`);
  } finally {
    client.destroy();
    await sdkProxy.close();
  }
});
