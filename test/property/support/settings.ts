/**
 * How long and how wide the property tests run. `npm test` runs a bounded, seeded run (seconds);
 * `npm run fuzz` runs the same files long with a random seed. A failure prints its seed and path:
 * `FUZZ_SEED=<seed> FUZZ_PATH=<path> npm test -- test/property/orders.test.ts` replays it.
 *
 *   FUZZ_RUNS        runs per property (default 4)
 *   FUZZ_SEED        a number, or `random` (default: a fixed seed per property, so npm test is repeatable)
 *   FUZZ_PATH        replay one counterexample (with its FUZZ_SEED; pick its property with FUZZ_ONLY)
 *   FUZZ_ONLY        run only the properties whose name contains this text (the others are skipped)
 *   FUZZ_MAX_BATCH   largest batch in records (default 40, at most 100)
 *   FUZZ_SHRINK_MS   time a failing property may spend shrinking (default 10000; npm run fuzz: 120000)
 */
import { createHash } from 'node:crypto';
import type * as fc from 'fast-check';

const env = process.env;

function positiveInt(name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

export const fuzzRuns = (): number => positiveInt('FUZZ_RUNS', 4);
export const shrinkBudgetMs = (): number => positiveInt('FUZZ_SHRINK_MS', 10_000);

/** Why a property is skipped when FUZZ_ONLY picks others, else undefined. */
export function skippedBy(propertyName: string): string | undefined {
  const only = env.FUZZ_ONLY;
  return only && !propertyName.includes(only) ? `FUZZ_ONLY=${only}` : undefined;
}
export const maxBatchRecords = (): number => Math.min(100, positiveInt('FUZZ_MAX_BATCH', 40));

/** The seed of one property: FUZZ_SEED, or one derived from the property's name. */
export function seedFor(propertyName: string): number {
  const raw = env.FUZZ_SEED;
  if (raw === 'random') return (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  if (raw !== undefined && raw !== '') {
    const value = Number(raw);
    if (!Number.isInteger(value)) throw new Error(`FUZZ_SEED must be an integer or "random", got "${raw}"`);
    return value;
  }
  return createHash('sha256').update(propertyName).digest().readInt32BE(0);
}

export function fuzzParameters<T>(propertyName: string): fc.Parameters<T> {
  const path = env.FUZZ_PATH;
  return {
    seed: seedFor(propertyName),
    numRuns: fuzzRuns(),
    ...(path ? { path } : {}),
  };
}
