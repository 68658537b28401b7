/**
 * The fixture handlers (test/fixtures/functions/behaviours.ts) bundled by esbuild into an asset folder
 * `index.js`, the way NodejsFunction stages a bundle in cdk.out, and FunctionModels that point at it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { FunctionModel } from '../../../local/deploy';

export const FIXTURE_ENTRY = join(__dirname, '..', '..', 'fixtures', 'functions', 'behaviours.ts');

let assetDir: string | undefined;

/** Bundles the fixtures once per test process. */
export function fixtureAssetDir(): string {
  if (!assetDir) {
    assetDir = mkdtempSync(join(tmpdir(), 'fixture-asset-'));
    buildSync({ entryPoints: [FIXTURE_ENTRY], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: join(assetDir, 'index.js'), logLevel: 'error' });
  }
  return assetDir;
}

export function fixtureFunction(exportName: string, overrides: Partial<FunctionModel> = {}): FunctionModel {
  const functionName = overrides.functionName ?? `fixture-${exportName}`;
  return {
    logicalId: functionName,
    functionName,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    handler: `index.${exportName}`,
    runtime: 'nodejs22.x',
    timeoutSeconds: 10,
    memoryMb: 256,
    architectures: ['arm64'],
    environment: {},
    assetDir: fixtureAssetDir(),
    ...overrides,
  };
}
