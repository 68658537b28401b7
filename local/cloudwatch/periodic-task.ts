/**
 * Runs a task on a real-time interval, one run at a time (a slow run delays the next instead of
 * overlapping it); stop() waits for the run in progress. The samplers that publish service metrics
 * (SQS queue depth, Kinesis incoming records) are built on it.
 */
/** Where the samplers report a failed read when no logger was given. */
export const logToStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly task: () => Promise<void>,
    /** Told about a scheduled run that failed; the schedule goes on. */
    private readonly onError: (error: unknown) => void,
  ) {}

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.runNow().catch(this.onError), intervalMs);
    this.timer.unref();
  }

  /** Runs the task once, after any run in progress (whether that one failed or not). */
  runNow(): Promise<void> {
    const run = this.running.catch(() => undefined).then(this.task);
    this.running = run;
    return run;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running.catch(() => undefined);
  }
}
