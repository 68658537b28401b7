/**
 * The Lambda runtime of the embedded local AWS: runs each function's bundle from cdk.out in warm
 * child-process containers (a pool per function, one invocation per container at a time), with the
 * function's environment, handler, memory setting and timeout. A timed-out or crashed invocation is a
 * function error and its container is replaced. Output goes to `<logDir>/<function>.log`; EMF lines
 * and the AWS/Lambda metrics of every invocation go to the MetricSink.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import type { FunctionInvoker, InvokeResult, MetricSink } from '../contracts';
import type { FunctionModel } from '../deploy/model';
import { Container, ContainerInitError } from './container';
import { parseEmfLine } from './emf';

export { parseEmfLine } from './emf';

export interface LambdaRuntimeOptions {
  readonly functions: readonly FunctionModel[];
  /** Added to every function's environment: endpoints, region, credentials (LocalAws.env). */
  readonly environment: Readonly<Record<string, string>>;
  readonly sink: MetricSink;
  /** Folder of the `<function name>.log` files. Default `.local-aws/logs`. */
  readonly logDir?: string;
  /** Containers per function at most; further invocations wait for a free one. Default 10. */
  readonly maxContainersPerFunction?: number;
  /** How long loading a function's module may take (ms). Default 30000 (AWS: 10 s; local machines are slower under test load). */
  readonly initTimeoutMs?: number;
}

export const LAMBDA_NAMESPACE = 'AWS/Lambda';

/** Turns the bootstrap into one plain JavaScript file once per process. */
let bootstrapBuild: { dir: string; file: string } | undefined;
function bootstrapFile(): string {
  if (!bootstrapBuild) {
    const dir = mkdtempSync(join(tmpdir(), 'local-lambda-'));
    const file = join(dir, 'bootstrap.js');
    // The TypeScript source in the repository, the compiled JavaScript in the built package (dist/).
    const source = ['bootstrap.ts', 'bootstrap.js'].map((name) => join(__dirname, name)).find((f) => existsSync(f))!;
    buildSync({ entryPoints: [source], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: file, logLevel: 'error' });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    bootstrapBuild = { dir, file };
  }
  return bootstrapBuild.file;
}

/** The containers of one function and the invocations waiting for one. */
class FunctionPool {
  private readonly idle: Container[] = [];
  private readonly all = new Set<Container>();
  private starting = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly log: WriteStream;
  private readonly env: Record<string, string>;
  private stopped = false;

  constructor(
    readonly fn: FunctionModel,
    private readonly options: LambdaRuntimeOptions & { readonly logDir: string },
  ) {
    const logFile = join(options.logDir, `${fn.functionName}.log`);
    mkdirSync(dirname(logFile), { recursive: true });
    this.log = createWriteStream(logFile, { flags: 'a' });
    this.env = lambdaEnvironment(fn, options.environment);
  }

  async invoke(event: unknown): Promise<InvokeResult> {
    if (this.stopped) throw new Error(`the local Lambda runtime is stopped (function ${this.fn.functionName})`);
    const requestId = randomUUID();
    let container: Container;
    try {
      container = await this.acquire();
    } catch (error) {
      if (!(error instanceof ContainerInitError)) throw error;
      this.writeLine(`INIT_FAILED RequestId: ${requestId} ${error.errorType}: ${error.message}`);
      return { kind: 'functionError', errorType: error.errorType, errorMessage: error.message, durationMs: 0, functionError: 'Unhandled' };
    }
    this.writeLine(`START RequestId: ${requestId} Version: $LATEST`);
    const result = await container.invoke(requestId, event, this.fn.timeoutSeconds * 1000);
    if (result.kind === 'functionError') this.writeLine(`${requestId}\t${result.errorType}: ${result.errorMessage}`);
    this.writeLine(`END RequestId: ${requestId}`);
    this.writeLine(`REPORT RequestId: ${requestId}\tDuration: ${result.durationMs.toFixed(2)} ms\tMemory Size: ${this.fn.memoryMb} MB`);
    this.release(container);
    return result;
  }

  private async acquire(): Promise<Container> {
    for (;;) {
      const idle = this.idle.pop();
      if (idle?.alive) return idle;
      if (idle) continue; // died while idle (e.g. killed from outside): drop it
      if (this.all.size + this.starting < (this.options.maxContainersPerFunction ?? 10)) break;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.starting += 1;
    try {
      const container = await Container.start({
        bootstrapFile: bootstrapFile(),
        spec: { modulePath: modulePathOf(this.fn), exportName: exportNameOf(this.fn), functionName: this.fn.functionName, functionArn: this.fn.arn, memoryMb: this.fn.memoryMb },
        env: this.env,
        cwd: this.fn.assetDir ?? process.cwd(),
        onLine: (line) => this.onLine(line),
        initTimeoutMs: this.options.initTimeoutMs ?? 30_000,
      });
      this.all.add(container);
      return container;
    } finally {
      this.starting -= 1;
    }
  }

  /** A container that timed out or crashed is gone: drop it so the next invocation starts a fresh one. */
  private release(container: Container): void {
    if (container.alive && !this.stopped) this.idle.push(container);
    else this.all.delete(container);
    this.waiting.shift()?.();
  }

  private onLine(line: string): void {
    this.writeLine(line);
    for (const datum of parseEmfLine(line)) this.options.sink.put(datum);
  }

  private writeLine(line: string): void {
    this.log.write(`${line}\n`);
  }

  get containerCount(): number {
    return this.all.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.all].map((c) => c.stop()));
    for (const wake of this.waiting.splice(0)) wake();
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}

export class LambdaRuntime implements FunctionInvoker {
  private readonly pools = new Map<string, FunctionPool>();
  private readonly logDir: string;

  constructor(private readonly options: LambdaRuntimeOptions) {
    this.logDir = options.logDir ?? join(process.cwd(), '.local-aws', 'logs');
    for (const fn of options.functions) this.addFunction(fn);
  }

  /** Every function it runs: the deployed ones and those created since (for ListFunctions). */
  get functions(): readonly FunctionModel[] {
    return [...this.pools.values()].map((p) => p.fn);
  }

  /** Runs a function created after start-up (CreateFunction). */
  addFunction(fn: FunctionModel): void {
    if (this.pools.has(fn.functionName)) throw new Error(`function ${fn.functionName} exists already`);
    this.pools.set(fn.functionName, new FunctionPool(fn, { ...this.options, logDir: this.logDir }));
  }

  /** Stops a function's containers and forgets it (DeleteFunction). */
  async removeFunction(functionName: string): Promise<boolean> {
    const pool = this.pools.get(functionName);
    if (!pool) return false;
    this.pools.delete(functionName);
    await pool.stop();
    return true;
  }

  /** Warm containers of a function right now (timeouts and crashes remove theirs). */
  containerCount(functionName: string): number {
    return this.pools.get(functionName)?.containerCount ?? 0;
  }

  async invoke(functionName: string, event: unknown): Promise<InvokeResult> {
    const name = functionName.startsWith('arn:') ? (functionName.split(':')[6] ?? functionName) : functionName;
    const pool = this.pools.get(name);
    if (!pool) throw new Error(`Function not found: ${functionName} (deployed: ${[...this.pools.keys()].join(', ') || 'none'})`);
    const result = await pool.invoke(event);
    this.recordMetrics(name, result);
    return result;
  }

  /** What Lambda publishes per invocation in AWS/Lambda (no throttling here: invocations queue instead). */
  private recordMetrics(functionName: string, result: InvokeResult): void {
    const timestamp = Date.now();
    const dimensions = { FunctionName: functionName };
    const put = (metricName: string, value: number, unit: string): void =>
      this.options.sink.put({ namespace: LAMBDA_NAMESPACE, metricName, dimensions, value, unit, timestamp, storageResolution: 60 });
    put('Invocations', 1, 'Count');
    put('Errors', result.kind === 'functionError' ? 1 : 0, 'Count');
    put('Throttles', 0, 'Count');
    put('Duration', result.durationMs, 'Milliseconds');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.stop()));
  }
}

/** Lambda's reserved variables, then the template's, then the endpoints of the local target. */
export function lambdaEnvironment(fn: FunctionModel, endpointEnv: Readonly<Record<string, string>>): Record<string, string> {
  const region = endpointEnv.AWS_REGION ?? 'us-east-1';
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    LAMBDA_TASK_ROOT: fn.assetDir ?? '',
    _HANDLER: fn.handler,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    ...fn.environment,
    ...endpointEnv,
  };
}

function modulePathOf(fn: FunctionModel): string {
  const dot = fn.handler.lastIndexOf('.');
  return join(fn.assetDir ?? '', fn.handler.slice(0, dot));
}

function exportNameOf(fn: FunctionModel): string {
  return fn.handler.slice(fn.handler.lastIndexOf('.') + 1);
}
