/**
 * The one wrapper of `cdk synth`, used by `npm start` (bin/start.ts), the test runner (test/run-tests.ts)
 * and the benchmarks (bench/run.ts): synthesizes the CDK app of cdk.json (bin/app.ts) into `cdk.out`.
 *
 * Two synths into one `cdk.out` cannot run at once: the CDK CLI locks the folder and the second fails
 * with "currently synthing to". A second `npm test`, or `npm start` beside `npm test`, waits the first
 * one out instead of failing.
 *
 * `STREAM_PIPELINE_SKIP_SYNTH=1` in the environment skips it and keeps the existing `cdk.out` (faster
 * local iterations), for all three.
 */
import { spawn } from 'node:child_process';

export interface SynthOptions {
  /** Folder holding cdk.json. Default: the working directory. */
  readonly cwd?: string;
  /** Environment of the CDK CLI. Default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives what the wrapper itself has to say (waiting for a lock). Default: nothing. */
  readonly log?: (line: string) => void;
  /** Attempts while another synth holds the lock. Default 10. */
  readonly lockAttempts?: number;
  /** Wait between them (ms). Default 10,000. */
  readonly lockWaitMs?: number;
}

/** How the CDK CLI says another synth holds the cloud assembly's lock. */
const LOCKED = /currently synthing to/;

/** The environment variable that skips the synth. */
export const SKIP_SYNTH_VARIABLE = 'STREAM_PIPELINE_SKIP_SYNTH';

/**
 * Runs `cdk synth --quiet` (its output shown as it comes); resolves with the time it took (ms), or
 * undefined when STREAM_PIPELINE_SKIP_SYNTH=1 skipped it; rejects if it fails.
 */
export async function synthesize(options: SynthOptions = {}): Promise<number | undefined> {
  if ((options.env ?? process.env)[SKIP_SYNTH_VARIABLE] === '1') {
    options.log?.(`${SKIP_SYNTH_VARIABLE}=1: using the existing cdk.out`);
    return undefined;
  }
  const attempts = options.lockAttempts ?? 10;
  const waitMs = options.lockWaitMs ?? 10_000;
  const began = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    const { code, stderr } = await runCdkSynth(options);
    if (code === 0) return Date.now() - began;
    if (attempt < attempts && LOCKED.test(stderr)) {
      options.log?.(`cdk.out is locked by another synth: retrying in ${waitMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      continue;
    }
    throw new Error(`cdk synth failed (exit code ${code})`);
  }
}

/** `npx cdk synth --quiet` with stdout inherited and stderr shown as it comes and also returned. */
function runCdkSynth(options: SynthOptions): Promise<{ code: number; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npx', ['cdk', 'synth', '--quiet'], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.once('error', reject);
    child.once('exit', (code) => resolvePromise({ code: code ?? 1, stderr }));
  });
}
