/**
 * Bundle size and module init time of Lambda entries, bundled as the stack bundles them (esbuild,
 * minified, CJS, node22, AWS SDK included). Init is the time to `require` the bundle in a fresh Node
 * process: what a cold start spends before the first invocation. The bundles are loaded in turn, run
 * after run, so that each ratio compares loads made under the same machine load.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { median } from './processor-harness';

const ROOT = resolve(__dirname, '..');

export interface BundleFigures {
  readonly bytes: number;
  /** Median over the runs. */
  readonly initMs: number;
  /** This bundle's init / the reference bundle's, median of the per-run ratios. */
  readonly initRatio: number;
}

/**
 * `entries`: name → entry file; `reference`: the name every init time is compared with. `env` is the
 * environment the entries read at import.
 */
export async function measureModuleInit(entries: Readonly<Record<string, string>>, reference: string, env: Readonly<Record<string, string>>, runs: number): Promise<Record<string, BundleFigures>> {
  const outDir = mkdtempSync(join(tmpdir(), 'bench-init-'));
  try {
    const files: Record<string, string> = {};
    for (const [name, entry] of Object.entries(entries)) {
      files[name] = join(outDir, `${name}.js`);
      await build({ entryPoints: [join(ROOT, entry)], bundle: true, minify: true, platform: 'node', target: 'node22', format: 'cjs', outfile: files[name], logLevel: 'error' });
    }
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((name) => [name, []]));
    const childEnv = { ...process.env, ...env, POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    for (let run = 0; run < runs; run++) {
      const names = Object.keys(files);
      // Alternate who loads first: the file cache and the CPU's state favour neither.
      for (const name of run % 2 ? names.reverse() : names) {
        const script = `const t=process.hrtime.bigint();require(${JSON.stringify(files[name])});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
        times[name]!.push(Number(execFileSync(process.execPath, ['-e', script], { env: childEnv }).toString()));
      }
    }
    const referenceTimes = times[reference]!;
    return Object.fromEntries(
      Object.entries(files).map(([name, file]) => [name, { bytes: statSync(file).size, initMs: median(times[name]!), initRatio: median(times[name]!.map((ms, i) => ms / referenceTimes[i]!)) }]),
    );
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
