/**
 * The Kinesis outage: the local target's fault proxy in front of Kinesis refuses every connection,
 * then stalls them (accepted, nothing flows), for `kinesisOutageSeconds`, while the load goes on.
 * Producers and consumers lose Kinesis alike. The first driven pipeline's producer is a child process
 * with a spool (../producer-process/); in the middle of the outage it is killed with SIGKILL, holding
 * spooled events Kinesis never saw, and a new one is started on the same spool. The other pipelines'
 * in-memory producers ride the outage out with their retry window (60 s). Nothing may be lost or
 * applied twice. Placed after the windows before it; needs the embedded local target's fault injector.
 */
import type { DrivenPipeline } from '../stage';
import { defineStep, type StepContext } from './step';

export const KINESIS_OUTAGE_LABEL = 'Kinesis outage';
const LABEL = KINESIS_OUTAGE_LABEL;

/** Shares of the window: refuse until STALL_AT, stall after; the producer process dies at CRASH_AT and a new one starts at RESTART_AT. */
const CRASH_AT = 0.3;
const RESTART_AT = 0.4;
const STALL_AT = 0.5;

/** Which driven pipelines (by index in the plan) run their producer as a spooled child process while this step is on. */
export const usesSpooledProducer = (steps: Readonly<Record<string, boolean>>, pipelineIndex: number): boolean => steps.kinesisOutage === true && pipelineIndex === 0;

/**
 * The scenario's spool syncs every 100 ms rather than on every send: the crash it shows is a process's
 * (SIGKILL), which loses nothing either way (the kernel keeps written bytes); on a machine this busy a
 * sync per batch can take a second, and the stream would see gaps that are the disk's, not the step's.
 */
export const SCENARIO_SPOOL_FSYNC = { intervalMs: 100 } as const;

const spooled = (ctx: StepContext): DrivenPipeline[] => ctx.pipelines.filter((p) => p.spooledProducer !== undefined);

export const kinesisOutage = defineStep({
  name: 'kinesisOutage',
  skipHelp: 'skip the Kinesis outage (and the producer process crash in it)',
  window: { label: LABEL, color: '#1f8a8a' },
  place({ cursorMs, latencyObjectiveMs, tuning }) {
    // A lead-in of one latency objective: the consumers have caught up with the step before, so this
    // outage's backlog is its own (a backlog that outlives maxRecordAgeSeconds is given up by the mapping).
    const startMs = cursorMs + latencyObjectiveMs;
    const window = { startMs, endMs: startMs + tuning.kinesisOutageSeconds * 1000 };
    return { window, nextCursorMs: window.endMs };
  },
  unavailable: ({ target }) => (target.canInjectFaults ? undefined : 'Kinesis outage skipped: this target has no fault injector'),
  actions: ({ window }) => {
    if (!window) return [];
    const at = (share: number): number => Math.round(window.startMs + share * (window.endMs - window.startMs));
    return [
      {
        atMs: window.startMs,
        async run(ctx) {
          ctx.target.setFault('kinesis', 'refuse');
          ctx.windows.start(LABEL);
          ctx.log.phase = 'Kinesis outage (connections refused)';
          ctx.log.note('Kinesis outage: connections refused; producers keep what they cannot put (in memory, or on the spool)');
        },
      },
      {
        atMs: at(CRASH_AT),
        async run(ctx) {
          for (const p of spooled(ctx)) {
            const held = p.spooledProducer!.metrics().spooled;
            await p.spooledProducer!.crash();
            ctx.log.note(`producer process of ${p.config.name} killed (SIGKILL) with ${held} event(s) on its spool, unacknowledged`);
          }
        },
      },
      {
        atMs: at(RESTART_AT),
        async run(ctx) {
          // Not awaited: a process start takes seconds on a busy machine, and the outage's next phase must not wait for it.
          for (const p of spooled(ctx)) {
            void p.spooledProducer!.restart().then(
              () => {
                const c = p.spooledProducer!.processCounters;
                ctx.log.note(`producer process of ${p.config.name} restarted on its spool: ${c.recoveredOnRestart} event(s) recovered, ${c.resentUnconfirmed} unconfirmed send(s) handed over again`);
              },
              (error: unknown) => ctx.log.note(`producer process of ${p.config.name} did not restart: ${String(error)}`),
            );
          }
        },
      },
      {
        atMs: at(STALL_AT),
        async run(ctx) {
          ctx.target.setFault('kinesis', 'stall');
          ctx.log.phase = 'Kinesis outage (connections stalled)';
          ctx.log.note('Kinesis outage: connections now stall (accepted, nothing flows)');
        },
      },
      {
        atMs: window.endMs,
        closing: true,
        async run(ctx) {
          ctx.target.setFault('kinesis', 'none');
          // A run stopped between the crash and the restart still delivers what the spool holds.
          for (const p of spooled(ctx)) {
            await p.spooledProducer!.whenStarted();
            if (p.spooledProducer!.pid === undefined) await p.spooledProducer!.restart();
          }
          ctx.windows.end(LABEL);
          ctx.log.phase = 'steady load';
          ctx.log.note('Kinesis outage over: connections flow again; the producers send their backlog');
        },
      },
    ];
  },
});
