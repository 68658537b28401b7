/**
 * Emulator processes that are always stopped: each runs under a guard (./guard.ts) that leads its
 * own process group, writes to a log file, and dies with the program that started it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GuardSpec } from './guard';

export interface ManagedProcessOptions {
  /** Shown in errors and used for nothing else. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Full environment of the emulator. */
  readonly env: NodeJS.ProcessEnv;
  /** File that receives the emulator's stdout and stderr (appended). */
  readonly logFile: string;
}

export interface ManagedProcess {
  readonly name: string;
  /** Pid of the guard, which is also the process group id. */
  readonly pid: number;
  readonly logFile: string;
  /** Settles when the guard (and so the emulator) has exited. */
  readonly exited: Promise<void>;
  /** Whether the process has exited. */
  hasExited(): boolean;
  /** The last lines of the log file, for error messages. */
  logTail(lines?: number): string;
  /** SIGTERM to the group, SIGKILL after the grace period; resolves when the group is gone. Idempotent. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5000;
/**
 * Node arguments that run a script of this package found in `dir` (the guard, fauxqs-server): its
 * TypeScript source through tsx in the repository, its compiled JavaScript as it is in the built package
 * (dist/ holds no .ts sources, and tsx, a development dependency, may not be installed).
 */
export function ownScriptArgs(dir: string, name: string): readonly string[] {
  const source = join(dir, `${name}.ts`);
  if (existsSync(source)) return ['--import', pathToFileURL(require.resolve('tsx')).href, source];
  return [join(dir, `${name}.js`)];
}

/** Every group started here and not yet stopped: what the exit handlers must kill. */
const liveGroups = new Set<number>();
let exitHandlersInstalled = false;

function killGroupNow(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Last-resort cleanup: kill every live group when this process exits, and turn Ctrl-C / SIGTERM
 * into an orderly exit (a handler replaces Node's default "die at once", so we exit ourselves).
 * An uncaught exception ends in 'exit' too; SIGKILL is covered by the guard's pipe.
 */
function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroupNow(pgid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // Only exit on our own account if nobody else handles the signal (e.g. the test runner does).
      if (process.listenerCount(signal) === 1) process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

export function startManagedProcess(options: ManagedProcessOptions): ManagedProcess {
  installExitHandlers();
  mkdirSync(dirname(options.logFile), { recursive: true });
  const logFd = openSync(options.logFile, 'a');
  const spec: GuardSpec = { command: options.command, args: options.args, cwd: options.cwd };
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...ownScriptArgs(__dirname, 'guard'), JSON.stringify(spec)], {
      cwd: options.cwd,
      env: options.env,
      detached: true, // a group of its own, so stop() can kill the emulator and its children at once
      stdio: ['pipe', logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${options.name} (${options.command})`);
  liveGroups.add(pid);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  // The guard's stdin is its lifeline; never let an EPIPE on it crash us.
  child.stdin?.on('error', () => undefined);

  const stop = async (): Promise<void> => {
    if (!liveGroups.has(pid)) return exitedPromise;
    killGroupNow(pid, 'SIGTERM');
    const timer = setTimeout(() => killGroupNow(pid, 'SIGKILL'), STOP_GRACE_MS);
    await exitedPromise;
    clearTimeout(timer);
    // The guard is gone; anything it did not take with it (e.g. tsx's esbuild service) goes now.
    killGroupNow(pid, 'SIGKILL');
    await waitForGroupGone(pid);
    liveGroups.delete(pid);
    child.stdin?.destroy();
  };

  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited: exitedPromise,
    hasExited: () => exited,
    logTail: (lines = 30) => tailOf(options.logFile, lines),
    stop,
  };
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Killed processes that were re-parented linger until init reaps them; wait for that, briefly. */
async function waitForGroupGone(pgid: number): Promise<void> {
  const deadline = Date.now() + STOP_GRACE_MS;
  while (groupExists(pgid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
