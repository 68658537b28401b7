/**
 * One warm container of a function: a child process running ./bootstrap.ts, one invocation at a time.
 * It shares the parent's process group and exits when the IPC channel closes, so it cannot outlive us.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { InvokeResult } from '../contracts';
import type { ContainerMessage, ContainerSpec } from './protocol';

export interface ContainerOptions {
  readonly bootstrapFile: string;
  readonly spec: ContainerSpec;
  /** The complete environment of the function (Lambda's variables, the template's, the endpoints). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Receives every line the function writes to stdout or stderr. */
  readonly onLine: (line: string) => void;
  /** How long loading the module may take (ms). */
  readonly initTimeoutMs: number;
}

/** Why a container could not be started: reported to the caller as the invocation's function error. */
export class ContainerInitError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = 'ContainerInitError';
  }
}

type Pending = { requestId: string; resolve: (message: ContainerMessage) => void };

export class Container {
  private pending: Pending | undefined;
  private exited = false;
  private readonly exitedPromise: Promise<void>;
  private exitDescription = '';

  private constructor(private readonly child: ChildProcess) {
    this.exitedPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = true;
        this.exitDescription = signal ? `signal ${signal}` : `exit status ${code}`;
        const pending = this.pending;
        this.pending = undefined;
        pending?.resolve({ type: 'error', requestId: pending.requestId, errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${pending.requestId} Error: Runtime exited with error: ${this.exitDescription}` });
        resolve();
      });
    });
    child.on('message', (message: ContainerMessage) => {
      if ((message.type === 'result' || message.type === 'error') && this.pending?.requestId === message.requestId) {
        const pending = this.pending;
        this.pending = undefined;
        pending.resolve(message);
      }
    });
  }

  static async start(options: ContainerOptions): Promise<Container> {
    const child = fork(options.bootstrapFile, [], {
      cwd: options.cwd,
      env: { ...options.env, LOCAL_LAMBDA_CONTAINER: JSON.stringify(options.spec) },
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', options.onLine);
    }
    const container = new Container(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new ContainerInitError('Sandbox.Timedout', `Init phase did not complete within ${options.initTimeoutMs} ms`));
      }, options.initTimeoutMs);
      const onMessage = (message: ContainerMessage): void => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve();
        } else if (message.type === 'initError') {
          clearTimeout(timer);
          reject(new ContainerInitError(message.errorType, message.errorMessage));
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new ContainerInitError('Runtime.ExitError', `Runtime exited during init: ${signal ? `signal ${signal}` : `exit status ${code}`}`));
      });
    });
    return container;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Runs one invocation; a timeout kills the container (the runtime then replaces it). */
  async invoke(requestId: string, event: unknown, timeoutMs: number): Promise<InvokeResult> {
    if (this.pending) throw new Error('a container runs one invocation at a time');
    const began = performance.now();
    const deadlineMs = Date.now() + timeoutMs;
    const answer = new Promise<ContainerMessage>((resolve) => {
      this.pending = { requestId, resolve };
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.kill();
    }, timeoutMs);
    this.child.send({ type: 'invoke', requestId, event, deadlineMs });
    const message = await answer;
    clearTimeout(timer);
    // Lambda's Duration is the handler's run time: the container's own measure when it sent one.
    const wallMs = performance.now() - began;
    const durationMs = message.type === 'result' || message.type === 'error' ? (message.durationMs ?? wallMs) : wallMs;
    if (timedOut) {
      return {
        kind: 'functionError',
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
        durationMs: wallMs,
        functionError: 'Unhandled',
      };
    }
    if (message.type === 'result') return { kind: 'success', payload: JSON.parse(message.payload) as unknown, durationMs };
    if (message.type === 'error') {
      return { kind: 'functionError', errorType: message.errorType, errorMessage: message.errorMessage, durationMs, functionError: 'Unhandled' };
    }
    throw new Error(`unexpected message from container: ${message.type}`);
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    this.kill();
    await this.exitedPromise;
  }
}
