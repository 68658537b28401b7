/**
 * The consumer outage: every driven pipeline's event source mappings disabled, then re-enabled, through
 * the Lambda API (UpdateEventSourceMapping Enabled=false). Records wait in the stream; the backlog
 * drains from the checkpoint; the stalled alarm pages during the outage and the latency alarm fires on
 * the late backlog. Starts at the timeline's cursor (20% of the load) and lasts long enough to breach
 * every latency objective (twice the largest, or 20% of the load up to 15 s).
 */
import { defineStep } from './step';

/** The window's label: the latency and stalled alarms of the summary answer this window. */
export const CONSUMER_OUTAGE_LABEL = 'consumer outage';
const LABEL = CONSUMER_OUTAGE_LABEL;
const MAX_DEFAULT_LENGTH_MS = 15_000;

export const consumerOutage = defineStep({
  name: 'consumerOutage',
  skipHelp: 'skip the consumer outage (event source mappings disabled)',
  window: { label: LABEL, color: '#e07b00' },
  place({ loadMs, cursorMs, latencyObjectiveMs, tuning }) {
    // At most 15 s by default: the backlog of a longer outage would come after the returns windows' allowed
    // lateness (20 s in the scenario) and be too late by design, which is not what this step shows.
    const lengthMs = (tuning.consumerOutageSeconds ?? Math.max(2 * latencyObjectiveMs, Math.min(0.2 * loadMs, MAX_DEFAULT_LENGTH_MS)) / 1000) * 1000;
    const window = { startMs: cursorMs, endMs: cursorMs + lengthMs };
    // Recovery: the backlog drains and the latency settles before the next fault.
    return { window, nextCursorMs: window.endMs + Math.max(latencyObjectiveMs, 0.1 * loadMs) };
  },
  actions: ({ window }) =>
    window
      ? [
          {
            atMs: window.startMs,
            async run(ctx) {
              ctx.log.phase = 'consumer outage (event source mappings disabled)';
              ctx.windows.start(LABEL);
              await ctx.target.setMappings(false);
              ctx.log.note('consumer outage: event source mappings disabled (Lambda UpdateEventSourceMapping Enabled=false)');
            },
          },
          {
            atMs: window.endMs,
            closing: true,
            async run(ctx) {
              // The outage ends when the mappings are re-enabled, not when the Lambda API has reported
              // it (seconds later on a loaded machine, when records may already flow again).
              ctx.windows.end(LABEL);
              await ctx.target.setMappings(true);
              ctx.log.phase = 'recovering from consumer outage';
              ctx.log.note('consumer outage over: event source mappings re-enabled; the backlog drains from the checkpoint');
            },
          },
        ]
      : [],
});
