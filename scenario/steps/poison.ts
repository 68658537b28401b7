/**
 * Poison records: at set points of the load, one record of each kind (../workloads/poison-records.ts)
 * put on every driven pipeline's stream behind the producer client's back. Each must end in the DLQ
 * with its reason, and none may block its shard.
 */
import { POISON_KINDS, poisonRecord } from '../workloads/poison-records';
import { defineStep, type StepContext } from './step';

/** Fractions of the load at which the poison records of each pipeline are put, one kind each. */
const POISON_AT = [0.1, 0.3, 0.55, 0.75];
/** Each pipeline's records a moment after the previous pipeline's. */
const PIPELINE_OFFSET_MS = 137;

export const poison = defineStep({
  name: 'poison',
  skipHelp: 'do not put poison records',
  actions: ({ loadMs, pipelines }) =>
    pipelines
      .flatMap((p, i) =>
        POISON_KINDS.map((kind, k) => ({
          atMs: Math.round(loadMs * (POISON_AT[k] ?? 0.5)) + i * PIPELINE_OFFSET_MS,
          run: (ctx: StepContext) =>
            ctx.putPoison(p.config.name, poisonRecord(kind, p.config.name, ctx.runId, k, p.workload.eventType)),
        })),
      )
      .sort((a, b) => a.atMs - b.atMs),
});
