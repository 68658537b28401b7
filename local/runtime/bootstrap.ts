/**
 * A warm Lambda container: loads the function's module once, then runs one invocation at a time as
 * the parent asks over IPC, with a Lambda-like context and console. Like Lambda's Node runtime, an
 * uncaught exception or unhandled rejection ends the container (the parent replaces it).
 *
 * Bundled by esbuild into plain JavaScript before use, so functions run under plain `node` with their
 * own NODE_OPTIONS, as on Lambda. Lives and dies with the parent: IPC disconnect → exit.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import type { ContainerMessage, ContainerSpec, InvokeMessage } from './protocol';

type Handler = (event: unknown, context: unknown, callback?: (error: unknown, result?: unknown) => void) => unknown;

const spec = JSON.parse(process.env.LOCAL_LAMBDA_CONTAINER ?? '{}') as ContainerSpec;
delete process.env.LOCAL_LAMBDA_CONTAINER;
let currentRequestId: string | undefined;
let current: InvokeMessage | undefined;

function send(message: ContainerMessage): void {
  process.send?.(message);
}

/** Lambda's Node runtime prefixes console output with time, request id and level. */
function patchConsole(): void {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' } as const;
  for (const [method, level] of Object.entries(levels)) {
    const stream = level === 'ERROR' || level === 'WARN' ? process.stderr : process.stdout;
    (console as unknown as Record<string, (...args: unknown[]) => void>)[method] = (...args: unknown[]) => {
      stream.write(`${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${format(...args).replace(/\n/g, '\r')}\n`);
    };
  }
}

function errorFields(error: unknown): { errorType: string; errorMessage: string; stack?: string[] } {
  if (error instanceof Error) {
    return { errorType: error.name || error.constructor.name, errorMessage: error.message, stack: error.stack?.split('\n') };
  }
  return { errorType: 'Error', errorMessage: typeof error === 'string' ? error : JSON.stringify(error) };
}

async function loadHandler(): Promise<Handler> {
  const file = ['.js', '.mjs', '.cjs'].map((ext) => spec.modulePath + ext).find((f) => existsSync(f));
  if (!file) {
    throw Object.assign(new Error(`Cannot find module '${spec.modulePath}' (.js, .mjs or .cjs)`), { name: 'Runtime.ImportModuleError' });
  }
  const loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown> & { default?: Record<string, unknown> };
  const handler = loaded[spec.exportName] ?? loaded.default?.[spec.exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${spec.modulePath}.${spec.exportName} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  }
  return handler as Handler;
}

function contextFor(message: InvokeMessage): Record<string, unknown> {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: spec.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: spec.functionArn,
    memoryLimitInMB: String(spec.memoryMb),
    awsRequestId: message.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
  };
}

/** Runs the handler, whether it returns a promise or uses the callback. */
function runHandler(handler: Handler, message: InvokeMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (error: unknown, result?: unknown): void => (error ? reject(error) : resolve(result));
    try {
      const returned = handler(message.event, contextFor(message), callback);
      if (returned !== undefined && typeof (returned as Promise<unknown>)?.then === 'function') {
        (returned as Promise<unknown>).then(resolve, reject);
      } else if (handler.length < 3) {
        resolve(returned);
      }
    } catch (error) {
      reject(error);
    }
  });
}

async function main(): Promise<void> {
  patchConsole();
  process.on('disconnect', () => process.exit(0));
  const dieWith = (error: unknown): void => {
    const fields = errorFields(error);
    console.error(`Uncaught ${fields.errorType}: ${fields.errorMessage}`);
    if (current) send({ type: 'error', requestId: current.requestId, ...fields });
    // Lambda's runtime exits on an uncaught error; give the IPC message a moment to leave.
    setTimeout(() => process.exit(129), 50);
  };
  process.on('uncaughtException', dieWith);
  process.on('unhandledRejection', dieWith);

  let handler: Handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    const fields = errorFields(error);
    console.error(`${fields.errorType}: ${fields.errorMessage}`);
    send({ type: 'initError', errorType: fields.errorType, errorMessage: fields.errorMessage });
    setTimeout(() => process.exit(1), 50);
    return;
  }
  process.on('message', (raw: InvokeMessage) => {
    if (raw.type !== 'invoke') return;
    current = raw;
    currentRequestId = raw.requestId;
    const began = performance.now();
    runHandler(handler, raw).then(
      (result) => {
        current = undefined;
        const durationMs = performance.now() - began;
        send({ type: 'result', requestId: raw.requestId, payload: JSON.stringify(result ?? null), durationMs });
      },
      (error: unknown) => {
        current = undefined;
        send({ type: 'error', requestId: raw.requestId, ...errorFields(error), durationMs: performance.now() - began });
      },
    );
  });
  send({ type: 'ready' });
}

void main();
