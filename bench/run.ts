/**
 * `npm run bench`: synthesizes the stack into cdk.out (lib/synth.ts, as `npm test` and `npm start` do;
 * the processor benchmark reports the bundles the stack ships), starts the emulators once
 * (local/emulators), runs every bench/*.bench.ts (or the files given) one after another with their
 * endpoints in the environment, and always stops the emulators. Each benchmark prints its table and
 * writes reports/bench-*.json. STREAM_PIPELINE_SKIP_SYNTH=1 keeps the existing cdk.out.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { synthesize } from '../lib/synth';
import { startEmulators, type RunningEmulators } from '../local/emulators';

const ROOT = resolve(__dirname, '..');

function runBenchmark(file: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolvePromise(code ?? 1));
  });
}

async function main(): Promise<number> {
  const requested = process.argv.slice(2);
  const files = requested.length > 0 ? requested : readdirSync(join(ROOT, 'bench')).filter((f) => f.endsWith('.bench.ts')).sort().map((f) => join('bench', f));
  let emulators: RunningEmulators | undefined;
  const stop = () => void emulators?.stop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const synthMs = await synthesize({ cwd: ROOT, log: (line) => process.stderr.write(`[bench] ${line}\n`) });
    if (synthMs !== undefined) process.stderr.write(`[bench] cdk synth: ${synthMs} ms\n`);
    // Benchmarks measure a warmed-up server, not start-up: DynamoDB Local runs with the JVM's defaults.
    emulators = await startEmulators({ logDir: join(ROOT, '.local-aws', 'logs'), jvmProfile: 'steady-state' });
    const env = { ...process.env, ...emulators.env };
    let failures = 0;
    for (const file of files) {
      process.stderr.write(`[bench] ${file}\n`);
      if ((await runBenchmark(file, env)) !== 0) failures += 1;
    }
    return failures === 0 ? 0 : 1;
  } finally {
    await emulators?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[bench] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
