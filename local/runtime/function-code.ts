/**
 * Code of functions created through the Lambda API (CreateFunction with a .zip package): unpacked with
 * fflate into a folder of its own, which becomes the function's asset folder (LAMBDA_TASK_ROOT), the
 * way Lambda unpacks a package into /var/task. Entries that would land outside the folder (`../`,
 * absolute paths) are refused, as a zip must never write elsewhere.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, sep } from 'node:path';
import { unzipSync } from 'fflate';

/** Lambda's limit for a package uploaded directly (ZipFile): 50 MB. */
export const MAX_ZIP_BYTES = 50 * 1024 * 1024;

export class FunctionCodeError extends Error {}

/** Unpacks a .zip package; returns its folder and a function that deletes it. */
export function unpackZip(zip: Uint8Array): { readonly dir: string; remove(): void } {
  if (zip.byteLength > MAX_ZIP_BYTES) throw new FunctionCodeError(`Unzipped size must be smaller than ${MAX_ZIP_BYTES} bytes`);
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (error) {
    throw new FunctionCodeError(`Could not unzip uploaded file. Please check your file, then try to upload again. (${error instanceof Error ? error.message : String(error)})`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'local-lambda-code-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    for (const [name, content] of Object.entries(entries)) {
      const target = normalize(join(dir, name));
      if (!target.startsWith(dir + sep)) throw new FunctionCodeError(`the package has an entry outside its folder: ${name}`);
      if (name.endsWith('/')) {
        mkdirSync(target, { recursive: true });
        continue;
      }
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { dir, remove };
}
