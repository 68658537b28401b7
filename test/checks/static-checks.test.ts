/**
 * The checks that keep the code as ARCHITECTURE.md describes it, inside `npm test`: type errors (tsc, which
 * tsx does not run), the lint rules (eslint.config.mjs) and the dependency rules between rooms
 * (.dependency-cruiser.cjs). Each test runs the check's npm script, the one place its command line is written,
 * so `npm run typecheck`, `npm run lint` or `npm run deps` alone reports exactly what fails here. The three run
 * at once, and as one test file they take one of the runner's slots beside the other test files.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';

const ROOT = resolve(__dirname, '..', '..');

const CHECKS = [
  { script: 'typecheck', finds: 'type errors (tsc)' },
  { script: 'lint', finds: 'lint rule violations (ESLint)' },
  { script: 'deps', finds: 'imports that break the dependency rules between rooms (dependency-cruiser)' },
] as const;

interface ScriptRun {
  readonly code: number;
  /** stdout then stderr: the tool's report names each file and the rule it breaks. */
  readonly output: string;
}

function runScript(script: string): Promise<ScriptRun> {
  return new Promise((resolvePromise) => {
    execFile('npm', ['run', '--silent', script], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      // A check that could not run at all (npm missing, killed) fails the test with what there is to say.
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      const output = [stdout, stderr, error !== null && typeof error.code !== 'number' ? String(error) : '']
        .filter((part) => part.trim() !== '')
        .join('\n');
      resolvePromise({ code, output });
    });
  });
}

describe('static checks', { concurrency: true }, () => {
  for (const { script, finds } of CHECKS) {
    test(`npm run ${script} finds no ${finds}`, async () => {
      const { code, output } = await runScript(script);
      assert.equal(code, 0, `npm run ${script} failed (exit code ${code}):\n${output}`);
    });
  }
});
