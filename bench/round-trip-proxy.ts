/**
 * An HTTP proxy on loopback that adds a network round trip to every request, the way a client in a
 * Lambda function sees DynamoDB on AWS (a few ms per request) instead of loopback (~0.1 ms).
 *
 * It works per request at the HTTP level: a request is read whole, held for half the round trip,
 * forwarded over a keep-alive connection to the target, and its response is read whole, held for the
 * other half and answered on the client's connection. Both sides keep their connections open across
 * requests (HTTP keep-alive), as the SDK and DynamoDB do; each request is delayed on its own, so
 * concurrent requests overlap like on a real network, and a connection's responses stay in order
 * because HTTP/1.1 has one request in flight per connection.
 *
 * Why not a TCP proxy that delays chunks (the earlier attempt, which hung the SDK): a byte stream has no
 * request boundaries, so delaying it means queueing chunks with timers, and every event that is not a
 * chunk has to go through the same queue in order. A proxy that delays `data` but forwards `end` at once
 * ends the other side before the delayed bytes are written (they are dropped, write after end), and one
 * that gives each chunk its own timer reorders them when the delays differ. Either way the SDK waits for
 * a response that never completes, and the SDK's default request timeout is none. At the HTTP level
 * neither can happen: each message is complete before it is delayed.
 */
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RoundTripProxyOptions {
  /** Base URL of the service behind the proxy, e.g. http://127.0.0.1:8000. */
  readonly target: string;
  /** Added to every request (half before it is forwarded, half before its response is answered). */
  readonly roundTripMs: number;
}

export interface RoundTripProxy {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** Requests answered so far. */
  readonly requests: number;
  /** Client connections accepted so far (with keep-alive, far fewer than requests). */
  readonly clientConnections: number;
  /** Connections opened to the target so far. */
  readonly upstreamConnections: number;
  /** The most requests held or forwarded at once (concurrent requests are delayed side by side). */
  readonly peakInFlight: number;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 7.6.1): they describe one connection and are never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders, body: Buffer): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  // The whole body is known: say its length instead of whatever framing the sender used.
  out['content-length'] = String(body.byteLength);
  return out;
}

function readBody(message: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.once('end', () => resolve(Buffer.concat(chunks)));
    message.once('error', reject);
  });
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startRoundTripProxy(options: RoundTripProxyOptions): Promise<RoundTripProxy> {
  const target = new URL(options.target);
  const half = options.roundTripMs / 2;
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  let requests = 0;
  let clientConnections = 0;
  let upstreamConnections = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  const sockets = new Set<Socket>();

  const forward = (method: string, path: string, headers: Record<string, string | string[]>, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const upstream = httpRequest({ host: target.hostname, port: target.port, method, path, headers, agent }, (response) => {
        readBody(response).then((responseBody) => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: responseBody }), reject);
      });
      upstream.once('socket', (socket) => {
        // A reused socket has been counted already.
        if (!(socket as Socket & { counted?: boolean }).counted) {
          (socket as Socket & { counted?: boolean }).counted = true;
          upstreamConnections += 1;
        }
      });
      upstream.once('error', reject);
      upstream.end(body);
    });

  const server: Server = createServer((request, response) => {
    void (async () => {
      inFlight += 1;
      peakInFlight = Math.max(peakInFlight, inFlight);
      try {
        const body = await readBody(request);
        await wait(half);
        const answer = await forward(request.method ?? 'GET', request.url ?? '/', endToEnd(request.headers, body), body);
        await wait(half);
        requests += 1;
        response.writeHead(answer.status, endToEnd(answer.headers, answer.body));
        response.end(answer.body);
      } catch (error) {
        // Answer instead of leaving the client waiting (the SDK has no request timeout by default).
        if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(`round-trip proxy: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        inFlight -= 1;
      }
    })();
  });
  // Idle connections outlive the SDK's, so a reused connection is never closed under a request in flight.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.on('connection', (socket: Socket) => {
    clientConnections += 1;
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    get clientConnections() {
      return clientConnections;
    },
    get upstreamConnections() {
      return upstreamConnections;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      });
      return closed;
    },
  };
}
