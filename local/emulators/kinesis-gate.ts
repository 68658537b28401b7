/**
 * An HTTP pass-through in front of the Kinesis emulator that answers what kinesis-mock gets wrong and
 * AWS's clients can observe: resharding an on-demand stream. AWS refuses `UpdateShardCount`, `SplitShard`
 * and `MergeShards` on a stream in the on-demand capacity mode with a `ValidationException` ("This API
 * is only supported for data streams with the provisioned capacity mode", Kinesis API reference);
 * kinesis-mock 0.6.2 accepts them. Every other request (and every response) passes unchanged, over
 * kept-alive connections.
 *
 * On AWS an on-demand stream reshards by itself under load; no API does that, so `scaleOnDemandStream`
 * stands in for it (sent to the emulator directly, past the gate), as `setFault` stands in for an outage.
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DescribeStreamSummaryCommand, UpdateShardCountCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../../sdk/clients';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './env';

/** The Kinesis operations AWS refuses on on-demand streams. */
export const PROVISIONED_ONLY_ACTIONS: readonly string[] = ['UpdateShardCount', 'SplitShard', 'MergeShards'];
const TARGET_PREFIX = 'Kinesis_20131202.';

export interface KinesisGate {
  /** http://127.0.0.1:PORT: where Kinesis clients (or the fault proxy) send their requests. */
  readonly endpoint: string;
  /** What AWS does by itself to an on-demand stream under load: reshard it to `shardCount` open shards (UNIFORM_SCALING). */
  scaleOnDemandStream(streamName: string, shardCount: number): Promise<void>;
  /** Stops listening and closes every connection. Idempotent. */
  close(): Promise<void>;
}

export function startKinesisGate(upstream: string): Promise<KinesisGate> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true });
  const kinesis = createKinesisClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: upstream, http: { httpAgent: agent } });

  const streamMode = async (body: Buffer): Promise<{ name: string; mode: string | undefined } | undefined> => {
    let parsed: { StreamName?: unknown; StreamARN?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      return undefined; // not JSON (CBOR, or malformed): the emulator answers it as it does.
    }
    const name = typeof parsed.StreamName === 'string' ? parsed.StreamName : undefined;
    const arn = typeof parsed.StreamARN === 'string' ? parsed.StreamARN : undefined;
    if (!name && !arn) return undefined;
    try {
      const summary = (await kinesis.send(new DescribeStreamSummaryCommand(arn ? { StreamARN: arn } : { StreamName: name }))).StreamDescriptionSummary;
      return { name: summary?.StreamName ?? name ?? arn ?? '', mode: summary?.StreamModeDetails?.StreamMode };
    } catch {
      return undefined; // a missing stream: the emulator gives AWS's ResourceNotFoundException.
    }
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body?: Buffer): void => {
    const upstreamRequest = request(
      { host: target.hostname, port: Number(target.port || 80), method: req.method, path: req.url, headers: req.headers, agent },
      (upstreamResponse) => {
        res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(res);
      },
    );
    // The emulator unreachable looks like it does without the gate: the connection drops.
    upstreamRequest.on('error', () => res.destroy());
    res.on('close', () => {
      if (!res.writableFinished) upstreamRequest.destroy();
    });
    if (body) upstreamRequest.end(body);
    else req.pipe(upstreamRequest);
  };

  const refuse = (res: ServerResponse, action: string, streamName: string): void => {
    const payload = JSON.stringify({
      __type: 'ValidationException',
      message: `${action} is not supported for stream ${streamName} in the on-demand capacity mode: this API is only supported for data streams with the provisioned capacity mode.`,
    });
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };

  const server: Server = createServer((req, res) => {
    const header = req.headers['x-amz-target'];
    const action = typeof header === 'string' && header.startsWith(TARGET_PREFIX) ? header.slice(TARGET_PREFIX.length) : '';
    if (!PROVISIONED_ONLY_ACTIONS.includes(action)) {
      forward(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      streamMode(body).then(
        (stream) => (stream?.mode === 'ON_DEMAND' ? refuse(res, action, stream.name) : forward(req, res, body)),
        () => forward(req, res, body),
      );
    });
  });

  // Clients keep connections alive between polls: a server closing an idle one just as a client reuses
  // it makes the client retry; the usual cure is an idle timeout longer than any client's.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('kinesis gate has no TCP address'));
        return;
      }
      let closing: Promise<void> | undefined;
      resolve({
        endpoint: `http://127.0.0.1:${address.port}`,
        async scaleOnDemandStream(streamName, shardCount) {
          const summary = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary;
          if (summary?.StreamModeDetails?.StreamMode !== 'ON_DEMAND') {
            throw new Error(`${streamName} is not an on-demand stream: reshard it through the Kinesis API (UpdateShardCount, SplitShard, MergeShards)`);
          }
          await kinesis.send(new UpdateShardCountCommand({ StreamName: streamName, TargetShardCount: shardCount, ScalingType: 'UNIFORM_SCALING' }));
          const deadline = Date.now() + 30_000;
          while ((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') {
            if (Date.now() > deadline) throw new Error(`${streamName} is not ACTIVE 30 s after resharding`);
            await new Promise((done) => setTimeout(done, 25));
          }
        },
        close: () =>
          (closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
            agent.destroy();
            kinesis.destroy();
          })),
      });
    });
  });
}
