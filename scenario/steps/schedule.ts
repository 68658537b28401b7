/**
 * The scenario's timeline as one-shot steps (outage starts and ends), handed out as their time comes.
 */
import type { Timeline } from '../options';

export interface StepActions {
  consumerOutageStart(): Promise<void>;
  consumerOutageEnd(): Promise<void>;
  dynamodbOutageStart(): Promise<void>;
  dynamodbOutageEnd(): Promise<void>;
}

export interface ScheduledStep {
  /** Steps of one window run in order, on their own chain. */
  readonly window: string;
  readonly atMs: number;
  readonly run: () => Promise<void>;
  /** For an end: the index of its start. */
  readonly endOf?: number;
}

/** The timeline as one-shot steps: `due(elapsed)` hands out those whose time came, once each. */
export function scheduleSteps(timeline: Timeline, actions: StepActions) {
  const steps: ScheduledStep[] = [];
  if (timeline.consumerOutage) {
    steps.push({ window: 'consumer', atMs: timeline.consumerOutage.startMs, run: actions.consumerOutageStart });
    steps.push({ window: 'consumer', atMs: timeline.consumerOutage.endMs, run: actions.consumerOutageEnd, endOf: steps.length - 1 });
  }
  if (timeline.dynamodbOutage) {
    steps.push({ window: 'dynamodb', atMs: timeline.dynamodbOutage.startMs, run: actions.dynamodbOutageStart });
    steps.push({ window: 'dynamodb', atMs: timeline.dynamodbOutage.endMs, run: actions.dynamodbOutageEnd, endOf: steps.length - 1 });
  }
  const done = new Set<number>();
  return {
    due(elapsedMs: number): ScheduledStep[] {
      return steps.filter((s, i) => {
        if (done.has(i) || s.atMs > elapsedMs) return false;
        done.add(i);
        return true;
      });
    },
    /** The ends of windows that were started but not ended. */
    remaining(): ScheduledStep[] {
      return steps.filter((s, i) => !done.has(i) && s.endOf !== undefined && done.has(s.endOf));
    },
  };
}
