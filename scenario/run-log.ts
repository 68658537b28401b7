/**
 * What a run tells as it goes: its phase (drawn by the live view), its step messages (timed from the
 * start of the load), and the windows its steps opened (the outages the summary and the report show).
 */

/** A step window as it really happened (epoch ms); `endAt` undefined if the run stopped inside it. */
export interface ExecutedWindow {
  readonly label: string;
  readonly startAt: number;
  readonly endAt?: number;
  /** What the window did, in a few words (a reshard: the shards before, during and after). */
  readonly detail?: string;
}

export class RunLog {
  /** Step messages, oldest first, each timed from the start of the load. */
  readonly lines: string[] = [];
  /** What the run is doing now, in a few words. */
  phase = 'setting up';
  private origin: number;

  /** @param print where messages go as they happen (none: the live view shows them). */
  constructor(
    startedAt: number,
    private readonly print?: (line: string) => void,
  ) {
    this.origin = startedAt;
  }

  /** From now on messages are timed from `at`, the start of the load. */
  timeFrom(at: number): void {
    this.origin = at;
  }

  note(message: string): void {
    const line = `${((Date.now() - this.origin) / 1000).toFixed(1).padStart(6)} s  ${message}`;
    this.lines.push(line);
    this.print?.(line);
  }
}

/** The labelled windows of a run as they really happened (epoch ms). */
export class WindowLog {
  private readonly open = new Map<string, { label: string; startAt: number; endAt?: number; detail?: string }>();
  private readonly all: { label: string; startAt: number; endAt?: number; detail?: string }[] = [];

  start(label: string): void {
    const window = { label, startAt: Date.now() };
    this.open.set(label, window);
    this.all.push(window);
  }

  end(label: string): void {
    const window = this.open.get(label);
    if (window) window.endAt = Date.now();
    this.open.delete(label);
  }

  /** Sets what the latest window of that label did (shown beside it in the summary and the report). */
  describe(label: string, detail: string): void {
    const window = this.all.findLast((w) => w.label === label);
    if (window) window.detail = detail;
  }

  /** Every window started, in order; `endAt` undefined for one the run stopped inside. */
  get windows(): readonly ExecutedWindow[] {
    return this.all.map((w) => ({ ...w }));
  }
}
