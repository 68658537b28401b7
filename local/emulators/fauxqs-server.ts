/**
 * Runs fauxqs (SQS + SNS) on 127.0.0.1:$FAUXQS_PORT as a child process of the launcher.
 *
 * Not the fauxqs CLI: by default fauxqs answers with queue URLs on the host
 * sqs.<region>.localhost, which does not resolve here, and the SDK's SQS client sends requests to the
 * queue URL. fauxqs builds the URL from the request's Host header instead when its SQS store has an
 * empty `host`; the store is only reachable by passing our own stores to buildApp().
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildAppOptions } from 'fauxqs' with { 'resolution-mode': 'import' };

type Stores = NonNullable<BuildAppOptions['stores']>;

/** Imports a module of fauxqs' dist folder (not in its exports map, so by file URL). */
async function importDist<T>(relativePath: string): Promise<T> {
  // require.resolve cannot resolve an import-only package; look in the node_modules folders it would search.
  const packageDir = (require.resolve.paths('fauxqs') ?? []).map((dir) => join(dir, 'fauxqs')).find((dir) => existsSync(join(dir, 'package.json')));
  if (!packageDir) throw new Error('fauxqs is not installed (npm ci installs it as a dev dependency)');
  return (await import(pathToFileURL(join(packageDir, 'dist', relativePath)).href)) as T;
}

async function main(): Promise<void> {
  const port = Number(process.env.FAUXQS_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`FAUXQS_PORT must be a port number, got "${process.env.FAUXQS_PORT}"`);
  // fauxqs is ESM-only; this file is CommonJS, hence the dynamic imports.
  const { buildApp } = await import('fauxqs');
  const { SqsStore } = await importDist<{ SqsStore: new () => Stores['sqsStore'] }>('sqs/sqsStore.js');
  const { SnsStore } = await importDist<{ SnsStore: new () => Stores['snsStore'] }>('sns/snsStore.js');
  const { S3Store } = await importDist<{ S3Store: new () => Stores['s3Store'] }>('s3/s3Store.js');
  const sqsStore = new SqsStore();
  sqsStore.host = ''; // queue URLs on the request's host:port (127.0.0.1:PORT)
  const app = buildApp({
    logger: false,
    defaultRegion: process.env.AWS_REGION ?? 'us-east-1',
    stores: { sqsStore, snsStore: new SnsStore(), s3Store: new S3Store() },
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.stdout.write(`fauxqs listening on 127.0.0.1:${port}\n`);
  const close = (): void => {
    void app.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
}

main().catch((error: unknown) => {
  process.stderr.write(`fauxqs failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
