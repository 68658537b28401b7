/**
 * The reshard under load: the orders stream split to twice its open shards, then merged back, while the
 * load goes on. Kinesis closes each parent and writes its keys to the children from then on; the event
 * source mapping must finish a parent before it reads its children, or an order's newer events are
 * applied before its older ones (the reconciliation checks per-key order event by event).
 *
 * How the stream is resharded follows its configured capacity mode: a provisioned stream through
 * UpdateShardCount (UNIFORM_SCALING), as an operator would; an on-demand stream is resharded by AWS
 * itself under load and refuses those APIs, so the target's stand-in does it (LocalAws.scaleOnDemandStream,
 * also UNIFORM_SCALING). On a target without that stand-in an on-demand stream is not resharded (said so).
 * Placed after the windows before it; the stream is merged back (a closing action) even if the load stops.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../../sdk/clients';
import { sleep } from '../phases/sleep';
import { actionLabel } from '../../lib/config';
import { shardCount, streamShape, updateShardCount, type StreamShape } from '../aws/streams';
import type { DrivenPipeline } from '../stage';
import { defineStep, type StepContext } from './step';

export const RESHARD_LABEL = 'reshard';
const LABEL = RESHARD_LABEL;
/** The pipelines whose streams are resharded: those whose judge checks per-key order. */
const RESHARDED_ACTIONS: readonly string[] = ['orders'];
/** After the merge is asked for, until the merged shards are ACTIVE and the next window may start. */
const MERGE_MARGIN_MS = 3000;
/**
 * The least time the stream stays split before the merge, however late the split completed (a loaded
 * machine can take seconds to reshard): the children must take load of their own, not only their parents'.
 */
const LEAST_SPLIT_MS = 3000;

/** One resharded stream: its shape before, and how it is resharded. */
interface Resharded {
  readonly pipeline: string;
  readonly streamName: string;
  readonly before: StreamShape;
  readonly during: number;
}

export const reshard = defineStep({
  name: 'reshard',
  skipHelp: 'skip the reshard under load (the orders stream split to more shards and merged back)',
  window: { label: LABEL, color: '#1f7a8c' },
  place({ loadMs, cursorMs, tuning }) {
    const lengthMs = (tuning.reshardSeconds ?? Math.max(6, (0.1 * loadMs) / 1000)) * 1000;
    const window = { startMs: cursorMs, endMs: cursorMs + lengthMs };
    return { window, nextCursorMs: window.endMs + MERGE_MARGIN_MS };
  },
  actions: ({ window }) => {
    if (!window) return [];
    // One run's state, shared by its two actions (which run in order on the step's chain).
    let kinesis: KinesisClient | undefined;
    let resharded: Resharded[] = [];
    let splitAt = 0;
    const to = async (ctx: StepContext, stream: Resharded, shards: number): Promise<void> => {
      if (stream.before.mode === 'ON_DEMAND') await ctx.target.scaleOnDemandStream(stream.streamName, shards);
      else await updateShardCount(kinesis as KinesisClient, stream.streamName, shards);
    };
    const how = (stream: Resharded): string => (stream.before.mode === 'ON_DEMAND' ? 'on-demand: scaled by the target, as AWS does under load' : 'provisioned: UpdateShardCount');
    return [
      {
        atMs: window.startMs,
        async run(ctx) {
          kinesis = createKinesisClient();
          const targets = ctx.pipelines.filter((p: DrivenPipeline) => RESHARDED_ACTIONS.includes(actionLabel(p.config)));
          const shapes = await Promise.all(targets.map(async (p) => ({ pipeline: p.config.name, streamName: p.names.streamName, before: await streamShape(kinesis as KinesisClient, p.names.streamName) })));
          const skipped = shapes.filter((s) => s.before.mode === 'ON_DEMAND' && !ctx.target.canScaleOnDemandStreams);
          for (const s of skipped) ctx.log.note(`reshard skipped on ${s.pipeline}: its stream is on-demand (AWS reshards it by itself) and this target cannot stand in for that`);
          resharded = shapes.filter((s) => !skipped.includes(s)).map((s) => ({ ...s, during: 2 * s.before.openShards }));
          if (resharded.length === 0) return;
          ctx.windows.start(LABEL);
          ctx.log.phase = 'reshard (streams split under load)';
          const startedAt = Date.now();
          await Promise.all(resharded.map((s) => to(ctx, s, s.during)));
          splitAt = Date.now();
          ctx.windows.describe(LABEL, resharded.map((s) => `${s.pipeline} ${s.before.openShards} → ${s.during} open shards`).join('; '));
          for (const s of resharded) {
            ctx.log.note(`reshard: ${s.pipeline} split from ${s.before.openShards} to ${s.during} open shards in ${Date.now() - startedAt} ms (${how(s)}); children are read once their parents are finished`);
          }
        },
      },
      {
        atMs: window.endMs,
        closing: true,
        async run(ctx) {
          if (resharded.length === 0) return;
          try {
            await sleep(Math.max(0, splitAt + LEAST_SPLIT_MS - Date.now()));
            const startedAt = Date.now();
            await Promise.all(resharded.map((s) => to(ctx, s, s.before.openShards)));
            const lineage = await Promise.all(resharded.map(async (s) => ({ s, shards: await shardCount(kinesis as KinesisClient, s.streamName) })));
            ctx.windows.describe(
              LABEL,
              lineage.map(({ s, shards }) => `${s.pipeline} ${s.before.openShards} → ${s.during} → ${s.before.openShards} open shards (${shards} shards in its lineage)`).join('; '),
            );
            for (const { s, shards } of lineage) {
              ctx.log.note(`reshard over: ${s.pipeline} merged back to ${s.before.openShards} open shards in ${Date.now() - startedAt} ms; ${shards} shards in its lineage, ${shards - s.before.openShards} closed`);
            }
          } finally {
            ctx.windows.end(LABEL);
            ctx.log.phase = 'steady load';
            kinesis?.destroy();
          }
        },
      },
    ];
  },
});
