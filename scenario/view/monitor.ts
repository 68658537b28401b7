/**
 * Watches the pipelines while the load and the drain run: every second it reads their metrics, alarms
 * and DLQ depths through the APIs, notes alarm state changes, keeps the alarm samples for the report,
 * and redraws the live view.
 */
import { approximateDepth } from '../../client/operations/dlq-queue';
import { readAlarms, readNow, type AlarmState, type PipelineNow } from '../aws/cloudwatch';
import type { Ledger } from '../judge/ledger';
import type { RunLog } from '../run-log';
import type { Stage } from '../stage';
import type { LivePipeline, LiveScreen } from './live-view';

const SAMPLE_EVERY_MS = 1000;

/** Alarm states as the scenario's own polling saw them (the report's fallback when the history API has nothing). */
export interface AlarmSample {
  readonly at: number;
  readonly states: Readonly<Record<string, string>>;
}

export interface MonitorOptions {
  readonly stage: Stage;
  readonly ledger: Ledger;
  readonly log: RunLog;
  readonly loadMs: number;
  readonly timeScale: number;
  /** Draws the live view; none: nothing drawn. */
  readonly screen?: LiveScreen;
}

export class Monitor {
  private latestNow = new Map<string, PipelineNow>();
  private alarms: AlarmState[] = [];
  private dlqDepths = new Map<string, number>();
  private readError: string | undefined;
  private readonly samples: AlarmSample[] = [];
  private loadStartedAt = Date.now();
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(private readonly options: MonitorOptions) {}

  /** The latest alarm states of the stack. */
  get latestAlarms(): readonly AlarmState[] {
    return this.alarms;
  }

  get alarmSamples(): readonly AlarmSample[] {
    return this.samples;
  }

  /** Events the processor reports processed or stale since the load started (CloudWatch), if read yet. */
  processedByMetrics(pipeline: string): number | undefined {
    const now = this.latestNow.get(pipeline);
    return now === undefined ? undefined : now.processed + now.stale;
  }

  /** Starts sampling; counters count from `loadStartedAt`. */
  start(loadStartedAt: number): void {
    this.loadStartedAt = loadStartedAt;
    this.running = this.loop();
  }

  /** Stops sampling, after the sample under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running?.catch(() => undefined);
  }

  draw(): void {
    const { stage, ledger, log, screen } = this.options;
    screen?.draw({
      elapsedMs: Date.now() - this.loadStartedAt,
      loadMs: this.options.loadMs,
      phase: log.phase,
      timeScale: this.options.timeScale,
      pipelines: stage.pipelines.map(
        (p): LivePipeline => ({ pipeline: p.config.name, put: ledger.putCount(p.config.name), now: this.latestNow.get(p.config.name), dlqDepth: this.dlqDepths.get(p.config.name) }),
      ),
      alarms: this.alarms.filter((a) => stage.pipelines.some((p) => a.name.startsWith(p.names.alarmNamePrefix))),
      log: log.lines,
      readError: this.readError,
    });
  }

  private async loop(): Promise<void> {
    const { stage, log } = this.options;
    const { cloudwatch, sqs } = stage.clients;
    while (!this.stopped) {
      try {
        const [now, alarms, depths] = await Promise.all([
          readNow(cloudwatch, stage.axis, stage.metricTargets, this.loadStartedAt),
          readAlarms(cloudwatch, stage.axis, stage.alarmPrefix),
          // Visible or being read: the DLQ depth an operator sees.
          Promise.all(stage.pipelines.map(async (p) => [p.config.name, await approximateDepth(sqs, p.dlqUrl).then((q) => q.visible + q.inFlight)] as const)),
        ]);
        this.latestNow = now;
        for (const alarm of alarms) {
          const before = this.alarms.find((a) => a.name === alarm.name);
          if (before && before.state !== alarm.state) log.note(`alarm ${alarm.name}: ${before.state} → ${alarm.state}`);
        }
        this.alarms = alarms;
        this.samples.push({ at: Date.now(), states: Object.fromEntries(alarms.map((a) => [a.name, a.state])) });
        this.dlqDepths = new Map(depths);
        this.readError = undefined;
      } catch (error) {
        this.readError = error instanceof Error ? error.message : String(error);
      }
      this.draw();
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
    }
  }
}
