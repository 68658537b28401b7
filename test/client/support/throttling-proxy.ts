/**
 * A loopback HTTP proxy in front of the real Kinesis emulator that injects what kinesis-mock never
 * does: throttling. For PutRecords it marks chosen records failed (ProvisionedThroughputExceededException
 * or InternalFailure) and forwards ONLY the others, so a record reported failed is really not written;
 * it can fail whole calls, and hold calls back (to fill the producer's buffer). Everything else passes
 * through untouched.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type RecordVerdict = 'pass' | 'ProvisionedThroughputExceededException' | 'InternalFailure';

interface WireRecord {
  Data: string;
  PartitionKey: string;
  ExplicitHashKey?: string;
}

interface WireResultEntry {
  SequenceNumber?: string;
  ShardId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface ProxyPolicy {
  /** Per record of a PutRecords call. Default: pass. */
  record?(record: { partitionKey: string; data: Buffer }, callNumber: number): RecordVerdict;
  /** Fail a whole PutRecords call (1-based call number) with this AWS error. Default: never. */
  call?(callNumber: number): { status: number; type: string } | undefined;
}

export interface ProxyStats {
  putRecordsCalls: number;
  throttledRecords: number;
  internalFailureRecords: number;
  failedCalls: number;
  forwardedRecords: number;
}

export class ThrottlingProxy {
  readonly stats: ProxyStats = { putRecordsCalls: 0, throttledRecords: 0, internalFailureRecords: 0, failedCalls: 0, forwardedRecords: 0 };
  private held: Array<() => void> | undefined;

  private constructor(
    private readonly server: http.Server,
    readonly endpoint: string,
  ) {}

  static async start(upstream: string, policy: ProxyPolicy = {}): Promise<ThrottlingProxy> {
    let proxy: ThrottlingProxy | undefined;
    const server = http.createServer((req, res) => {
      void proxy!.handle(req, res, new URL(upstream), policy).catch((error: unknown) => {
        res.writeHead(502).end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new ThrottlingProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  /** From now on PutRecords calls wait until release(). */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    waiting.forEach((go) => go());
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, upstream: URL, policy: ProxyPolicy): Promise<void> {
    const body = Buffer.concat(await req.toArray());
    const target = String(req.headers['x-amz-target'] ?? '');
    if (!target.endsWith('.PutRecords')) {
      const answer = await forward(upstream, req, body);
      res.writeHead(answer.status, answer.headers).end(answer.body);
      return;
    }
    const callNumber = ++this.stats.putRecordsCalls;
    if (this.held) await new Promise<void>((go) => this.held!.push(go));
    const callFailure = policy.call?.(callNumber);
    if (callFailure) {
      this.stats.failedCalls++;
      res.writeHead(callFailure.status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: callFailure.type, message: 'injected by the test proxy' }));
      return;
    }
    const request = JSON.parse(body.toString('utf8')) as { Records: WireRecord[]; [key: string]: unknown };
    const verdicts = request.Records.map((r) => policy.record?.({ partitionKey: r.PartitionKey, data: Buffer.from(r.Data, 'base64') }, callNumber) ?? 'pass');
    const passing = request.Records.filter((_, i) => verdicts[i] === 'pass');
    let upstreamResults: WireResultEntry[] = [];
    let upstreamFailed = 0;
    if (passing.length > 0) {
      const answer = await forward(upstream, req, Buffer.from(JSON.stringify({ ...request, Records: passing })));
      if (answer.status !== 200) {
        res.writeHead(answer.status, answer.headers).end(answer.body);
        return;
      }
      const parsed = JSON.parse(answer.body.toString('utf8')) as { Records: WireResultEntry[]; FailedRecordCount?: number };
      upstreamResults = parsed.Records;
      upstreamFailed = parsed.FailedRecordCount ?? 0;
      this.stats.forwardedRecords += passing.length;
    }
    let next = 0;
    const results = verdicts.map((verdict): WireResultEntry => {
      if (verdict === 'pass') return upstreamResults[next++]!;
      if (verdict === 'ProvisionedThroughputExceededException') this.stats.throttledRecords++;
      else this.stats.internalFailureRecords++;
      return { ErrorCode: verdict, ErrorMessage: verdict === 'InternalFailure' ? 'Internal service failure.' : 'Rate exceeded for shard shardId-000000000000 in stream (injected).' };
    });
    const failed = verdicts.filter((v) => v !== 'pass').length + upstreamFailed;
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ FailedRecordCount: failed, Records: results }));
  }
}

async function forward(upstream: URL, req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.OutgoingHttpHeaders; body: Buffer }> {
  const headers: http.OutgoingHttpHeaders = { ...req.headers, host: upstream.host, 'content-length': body.length };
  return new Promise((resolve, reject) => {
    const out = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (answer) => {
      void answer.toArray().then((chunks: Buffer[]) => {
        const { 'transfer-encoding': _chunked, 'content-length': _length, ...rest } = answer.headers;
        resolve({ status: answer.statusCode ?? 502, headers: rest, body: Buffer.concat(chunks) });
      }, reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}
