/**
 * Phase 3, load: every tick, each pipeline's workload creates its share of events and the producer puts
 * what is due; the steps' actions run when their time comes, each step on its own chain (a slow step,
 * such as a mapping that takes long to finish its batch before it is Disabled, never delays another).
 * Ends when the load's time is up and every planned send is put, or when the run is aborted; then every
 * open window is closed and the producers are flushed.
 */
import type { PlannedSend } from '../workloads/workload';
import type { Ledger } from '../judge/ledger';
import type { ScenarioPlan } from '../plan';
import type { RunLog, WindowLog } from '../run-log';
import type { Stage } from '../stage';
import { scheduleSteps, type PlannedStep, type ScheduledAction } from '../steps/schedule';
import type { StepContext } from '../steps/step';
import { sleep } from './sleep';
import { ScenarioError } from '../errors';

const TICK_MS = 100;

export interface LoadInput {
  readonly stage: Stage;
  readonly plan: ScenarioPlan;
  /** The steps that run (see activeSteps). */
  readonly steps: readonly PlannedStep[];
  readonly ledger: Ledger;
  readonly log: RunLog;
  readonly windows: WindowLog;
  readonly loadStartedAt: number;
  /** Aborting stops the load at once. */
  readonly signal?: AbortSignal;
}

/** The planned steps this target can run; each one it cannot is said in the log. */
export function activeSteps(plan: ScenarioPlan, stage: Stage, log: RunLog): PlannedStep[] {
  return plan.steps.filter((step) => {
    const reason = step.unavailable?.({ target: stage.target });
    if (reason) log.note(reason);
    return reason === undefined;
  });
}

/** Per pipeline: events created and not yet put, and the fraction of an event carried to the next tick. */
interface Pacer {
  pending: PlannedSend[];
  carry: number;
}

export async function runLoad(input: LoadInput): Promise<void> {
  const { stage, plan, ledger, log, signal, loadStartedAt } = input;
  const { loadMs } = plan.timeline;
  const context: StepContext = {
    runId: stage.runId,
    tuning: plan.options,
    pipelines: stage.pipelines,
    target: stage.target,
    windows: input.windows,
    log,
    async putPoison(pipelineName, record) {
      const pipeline = stage.pipelines.find((p) => p.config.name === pipelineName);
      if (!pipeline) throw new ScenarioError(`no driven pipeline ${pipelineName}`);
      const entry = ledger.addPoison(pipelineName, record);
      const delivery = await pipeline.poisonPublisher.put({ partitionKey: record.partitionKey, data: record.data, item: 0 });
      void delivery.outcome.then((outcome) => (entry.outcome = outcome));
      log.note(`poison record put on ${pipelineName}: ${record.kind}`);
    },
  };
  const schedule = scheduleSteps(input.steps);
  const chains = new Map<string, Promise<void>>();
  const runAction = ({ step, action }: ScheduledAction): void => {
    const chain = (chains.get(step) ?? Promise.resolve()).then(() => action.run(context)).catch((error: unknown) => log.note(`step failed: ${String(error)}`));
    chains.set(step, chain);
  };

  const pacers = new Map(stage.pipelines.map((p) => [p.config.name, { pending: [], carry: 0 } as Pacer]));
  let lastTick = loadStartedAt;
  while (!signal?.aborted) {
    const now = Date.now();
    const elapsed = now - loadStartedAt;
    const loading = elapsed < loadMs;
    if (!loading && [...pacers.values()].every((p) => p.pending.length === 0)) break;
    for (const due of schedule.due(elapsed)) runAction(due);
    for (const pipeline of stage.pipelines) {
      const pacer = pacers.get(pipeline.config.name) as Pacer;
      if (loading) {
        const exact = (plan.options.ratePerSecond * (now - lastTick)) / 1000 + pacer.carry;
        const count = Math.floor(exact);
        pacer.carry = exact - count;
        pacer.pending.push(...pipeline.running.create(elapsed, count));
        pacer.pending.sort((a, b) => a.atMs - b.atMs);
      }
      while (pacer.pending.length > 0 && (pacer.pending[0] as PlannedSend).atMs <= elapsed) {
        const send = pacer.pending.shift() as PlannedSend;
        const entry = ledger.addEvent(pipeline.config.name, send.event, send.injected);
        const sent = await pipeline.producer.send(send.event);
        void sent.outcome.then((outcome) => (entry.outcome = outcome));
      }
    }
    lastTick = now;
    await sleep(TICK_MS, signal);
  }
  // Any step still open ends now (an aborted run, or a window reaching past the load).
  for (const due of schedule.remaining()) runAction(due);
  await Promise.all(chains.values());
  log.phase = 'flushing the producers';
  await Promise.all(stage.pipelines.map((p) => Promise.all([p.producer.flush().catch(() => undefined), p.poisonPublisher.flush().catch(() => undefined)])));
  log.note(`load over: ${ledger.putCount()} records put`);
}
