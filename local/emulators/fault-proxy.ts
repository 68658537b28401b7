/**
 * A TCP proxy on loopback in front of one emulator, whose connections can be broken at run time
 * while the emulator keeps its data: the local equivalent of a service outage.
 *
 *  - `none`:   bytes flow both ways.
 *  - `refuse`: open connections are reset and new ones are reset on accept (ECONNRESET in the SDK).
 *  - `stall`:  bytes stop flowing in both directions (new connections are accepted but not
 *              forwarded) until the mode changes; then what was held back is delivered.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { FaultMode } from '../contracts';

export interface FaultProxy {
  /** http://127.0.0.1:PORT of the proxy. */
  readonly endpoint: string;
  readonly port: number;
  mode(): FaultMode;
  setMode(mode: FaultMode): void;
  /** Closes the listener and every connection. Idempotent. */
  close(): Promise<void>;
}

/** One client connection and its upstream, with what a stall holds back in each direction. */
class ProxiedConnection {
  private upstream: Socket | undefined;
  private readonly toUpstream: Buffer[] = [];
  private readonly toClient: Buffer[] = [];
  private closed = false;

  constructor(
    private readonly client: Socket,
    private readonly upstreamAddress: { readonly host: string; readonly port: number },
    private readonly currentMode: () => FaultMode,
    private readonly onClose: () => void,
  ) {
    client.setNoDelay(true);
    client.on('data', (chunk) => this.fromClient(chunk));
    client.on('end', () => this.upstream?.end());
    client.on('error', () => this.destroy());
    client.on('close', () => this.destroy());
    if (currentMode() === 'none') this.connectUpstream();
  }

  /** Re-examines the mode: reset, hold, or connect and flush what was held. */
  apply(mode: FaultMode): void {
    if (this.closed) return;
    if (mode === 'refuse') {
      this.reset();
      return;
    }
    if (mode === 'none') {
      if (!this.upstream) this.connectUpstream();
      this.flush();
    }
  }

  reset(): void {
    if (this.closed) return;
    this.client.resetAndDestroy();
    this.upstream?.resetAndDestroy();
    this.destroy();
  }

  private connectUpstream(): void {
    const upstream = createConnection(this.upstreamAddress);
    upstream.setNoDelay(true);
    upstream.on('data', (chunk) => {
      if (this.currentMode() === 'none') this.client.write(chunk);
      else this.toClient.push(chunk);
    });
    upstream.on('end', () => this.client.end());
    upstream.on('error', () => this.reset());
    upstream.on('close', () => this.destroy());
    this.upstream = upstream;
    this.flush();
  }

  private fromClient(chunk: Buffer): void {
    if (this.currentMode() === 'none' && this.upstream) this.upstream.write(chunk);
    else this.toUpstream.push(chunk);
  }

  private flush(): void {
    for (const chunk of this.toUpstream.splice(0)) this.upstream?.write(chunk);
    for (const chunk of this.toClient.splice(0)) this.client.write(chunk);
  }

  private destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.upstream?.destroy();
    this.onClose();
  }
}

/** A proxy on a loopback port (`port`, default a free one) in front of `upstream` (an emulator's http://host:port). */
export function startFaultProxy(upstream: string, initialMode: FaultMode = 'none', port = 0): Promise<FaultProxy> {
  const url = new URL(upstream);
  const target = { host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
  let mode: FaultMode = initialMode;
  const connections = new Set<ProxiedConnection>();
  const server: Server = createServer((client) => {
    if (mode === 'refuse') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const connection = new ProxiedConnection(client, target, () => mode, () => connections.delete(connection));
    connections.add(connection);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('fault proxy has no TCP address'));
        return;
      }
      let closing: Promise<void> | undefined;
      resolve({
        endpoint: `http://127.0.0.1:${address.port}`,
        port: address.port,
        mode: () => mode,
        setMode(next) {
          mode = next;
          for (const connection of [...connections]) connection.apply(next);
        },
        close: () =>
          (closing ??= new Promise<void>((done) => {
            for (const connection of [...connections]) connection.reset();
            server.close(() => done());
          })),
      });
    });
  });
}
