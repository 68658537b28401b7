/**
 * Reads a CDK cloud assembly (cdk.out): the stack's template and where each asset was staged.
 * The same files `cdk deploy` uploads, so the local target runs exactly what AWS would get.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CfnTemplate } from './template';

interface ManifestArtifact {
  readonly type: string;
  readonly properties?: { readonly templateFile?: string; readonly stackName?: string };
  readonly displayName?: string;
}

interface Manifest {
  readonly artifacts?: Readonly<Record<string, ManifestArtifact>>;
}

export interface StackArtifact {
  /** The cloud assembly folder (absolute). */
  readonly assemblyDir: string;
  /** Artifact id in manifest.json. */
  readonly artifactId: string;
  readonly stackName: string;
  readonly templateFile: string;
  readonly template: CfnTemplate;
}

/** Finds a stack by its stack name or artifact id; with one stack in the assembly the name may be omitted. */
export function readStackArtifact(cdkOut: string, stackName?: string): StackArtifact {
  const assemblyDir = resolve(cdkOut);
  const manifestFile = join(assemblyDir, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new Error(`${manifestFile} not found: synthesize the stack first (npx cdk synth, which npm test runs)`);
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  const stacks = Object.entries(manifest.artifacts ?? {}).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  const nameOf = ([id, a]: [string, ManifestArtifact]): string => a.properties?.stackName ?? id;
  const matches = stackName === undefined ? stacks : stacks.filter((s) => nameOf(s) === stackName || s[0] === stackName);
  if (matches.length !== 1) {
    const available = stacks.map(nameOf).join(', ') || '(none)';
    throw new Error(
      stackName === undefined
        ? `${manifestFile} holds ${stacks.length} stacks (${available}): say which one to deploy`
        : `stack "${stackName}" is not in ${manifestFile}; stacks there: ${available}`,
    );
  }
  const [artifactId, artifact] = matches[0] as [string, ManifestArtifact];
  const templateFile = join(assemblyDir, artifact.properties?.templateFile ?? `${artifactId}.template.json`);
  const template = JSON.parse(readFileSync(templateFile, 'utf8')) as CfnTemplate;
  return { assemblyDir, artifactId, stackName: nameOf([artifactId, artifact]), templateFile, template };
}
