/**
 * A local target that runs until it is told to stop (`stream-pipeline local`, as `localstack start` is
 * for LocalStack): starts it, hands its environment to the user (printed `export` lines, optionally an
 * env file), holds it up until SIGINT, SIGTERM or SIGHUP, then stops everything it started and removes
 * the env file (its endpoints are dead from then on).
 */
import { rmSync, writeFileSync } from 'node:fs';
import type { LocalAwsOptions, LocalPorts } from './contracts';
import { emulatorHandoffEnv } from './emulators';
import { startLocalAws, type LocalAwsInstance } from './index';

export interface ServeOptions {
  /** The target to start (its `ports`, `cdkOut`, `stackName`...). */
  readonly target: LocalAwsOptions;
  /** Also write the environment to this file (`KEY=value` lines), removed on stop. Default: none. */
  readonly envFile?: string;
  /** Receives the `export` lines (the command's stdout). */
  readonly print: (text: string) => void;
  /** Receives progress and the target's own lines (the command's stderr). */
  readonly log: (line: string) => void;
  /** Resolves when it should stop. Default: the first SIGINT, SIGTERM or SIGHUP (a second one quits at once). */
  readonly until?: Promise<unknown>;
}

/** The ports of `--port-base N`: one per endpoint, in a fixed order, so that they are easy to remember. */
export function portsFromBase(base: number): Required<LocalPorts> {
  return { kinesis: base, dynamodb: base + 1, sqs: base + 2, sns: base + 3, lambda: base + 4 };
}

/** What a shell should export to talk to the target (the SDK's configuration chain reads it). */
export function serveEnv(localAws: LocalAwsInstance): Record<string, string> {
  return { ...localAws.env, ...emulatorHandoffEnv(localAws.emulators) };
}

const shellQuote = (value: string): string => (/^[\w./:@%+,-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);

/** `export KEY=value` lines for a POSIX shell. */
export function shellExports(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([key, value]) => `export ${key}=${shellQuote(value)}\n`)
    .join('');
}

/** `KEY=value` lines (node --env-file, dotenv, docker --env-file, or `set -a; . file; set +a`). */
export function envFileText(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
}

/** The first of SIGINT / SIGTERM / SIGHUP; a second one exits at once (managed emulators die with us). */
function firstSignal(log: (line: string) => void): { readonly received: Promise<NodeJS.Signals>; dispose(): void } {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  let count = 0;
  let resolve: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const handler = (signal: NodeJS.Signals): void => {
    count += 1;
    if (count === 1) {
      log(`${signal}: stopping the local AWS (again to quit at once)`);
      resolve(signal);
    } else {
      log(`${signal}: quitting now`);
      process.exit(130);
    }
  };
  for (const signal of signals) process.on(signal, handler);
  return { received, dispose: () => signals.forEach((signal) => process.off(signal, handler)) };
}

/** Runs the target until told to stop; resolves once everything it started is stopped. */
export async function serveLocalAws(options: ServeOptions): Promise<void> {
  // Listening before the start-up: a Ctrl-C while it starts stops what has started, not the process.
  const signals = options.until ? undefined : firstSignal(options.log);
  const until = options.until ?? signals!.received;
  let localAws: LocalAwsInstance | undefined;
  try {
    const starting = startLocalAws({ ...options.target, log: options.target.log ?? options.log });
    const first = await Promise.race([starting.then(() => 'started' as const), until.then(() => 'stop' as const)]);
    localAws = await starting;
    if (first === 'stop') return;
    const env = serveEnv(localAws);
    if (options.envFile) writeFileSync(options.envFile, envFileText(env), { mode: 0o600 });
    options.print(shellExports(env));
    options.log(`ready: the local AWS runs until Ctrl-C${options.envFile ? `; environment also in ${options.envFile}` : ''}`);
    await until;
  } finally {
    if (options.envFile && localAws) rmSync(options.envFile, { force: true });
    await localAws?.stop();
    signals?.dispose();
  }
}
