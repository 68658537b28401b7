/**
 * The fault proxy on raw TCP: bytes flow in `none`, are held in `stall` and delivered when healed, and
 * connections (open and new) are reset in `refuse`.
 */
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startFaultProxy, type FaultProxy } from '../../local/emulators';

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with the next data chunk, or 'nothing' after `ms`, or 'reset' when the connection breaks. */
function nextData(socket: Socket, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const done = (value: string): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      resolve(value);
    };
    const onData = (chunk: Buffer): void => done(chunk.toString());
    const onError = (error: NodeJS.ErrnoException): void => done(error.code === 'ECONNRESET' ? 'reset' : error.message);
    const onClose = (): void => done('reset');
    const timer = setTimeout(() => done('nothing'), ms);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

describe('fault proxy', () => {
  let echo: Server;
  let proxy: FaultProxy;
  before(async () => {
    echo = createServer((socket) => {
      socket.on('error', () => undefined); // the proxy resets its upstream side in `refuse`
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
    const port = (echo.address() as { port: number }).port;
    proxy = await startFaultProxy(`http://127.0.0.1:${port}`);
  });
  after(async () => {
    await proxy.close();
    echo.close();
  });

  it('forwards both ways, holds bytes while stalled and delivers them when healed', async () => {
    const socket = await connect(proxy.port);
    socket.write('one');
    assert.equal(await nextData(socket, 2000), 'one');

    proxy.setMode('stall');
    socket.write('two');
    assert.equal(await nextData(socket, 400), 'nothing', 'nothing comes back during a stall');
    const fresh = await connect(proxy.port);
    fresh.write('three');
    assert.equal(await nextData(fresh, 400), 'nothing', 'a connection opened during a stall is held too');

    proxy.setMode('none');
    assert.equal(await nextData(socket, 2000), 'two');
    assert.equal(await nextData(fresh, 2000), 'three');
    socket.destroy();
    fresh.destroy();
  });

  it('resets open connections and refuses new ones, then accepts again when healed', async () => {
    const socket = await connect(proxy.port);
    socket.write('before');
    assert.equal(await nextData(socket, 2000), 'before');
    const broken = nextData(socket, 2000);
    proxy.setMode('refuse');
    assert.equal(await broken, 'reset');

    const refused = await connect(proxy.port).then(
      (s) => nextData(s, 2000),
      () => 'reset',
    );
    assert.equal(refused, 'reset');

    proxy.setMode('none');
    const healed = await connect(proxy.port);
    healed.write('after');
    assert.equal(await nextData(healed, 2000), 'after');
    healed.destroy();
  });
});
