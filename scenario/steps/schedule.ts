/**
 * The planned steps' actions, handed out as their time comes: `due(elapsed)` once each, and at the end
 * `remaining()`, the closing actions of steps that started but did not finish (an aborted run, or a
 * window reaching past the load), so no outage is left open.
 */
import type { StepDefinition, TimedAction } from './step';

/** A step as planned for this run: its actions in order. */
export interface PlannedStep {
  readonly name: string;
  readonly actions: readonly TimedAction[];
  readonly unavailable?: StepDefinition['unavailable'];
}

export interface ScheduledAction {
  /** The step it belongs to: a step's actions run in order on their own chain. */
  readonly step: string;
  readonly action: TimedAction;
}

export function scheduleSteps(steps: readonly PlannedStep[]) {
  const entries = steps.flatMap((step) => step.actions.map((action) => ({ step: step.name, action, done: false })));
  const started = new Set<string>();
  return {
    due(elapsedMs: number): ScheduledAction[] {
      return entries
        .filter((e) => !e.done && e.action.atMs <= elapsedMs)
        .map((e) => {
          e.done = true;
          started.add(e.step);
          return { step: e.step, action: e.action };
        });
    },
    remaining(): ScheduledAction[] {
      return entries
        .filter((e) => !e.done && e.action.closing === true && started.has(e.step))
        .map((e) => {
          e.done = true;
          return { step: e.step, action: e.action };
        });
    },
  };
}
