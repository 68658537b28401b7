/**
 * What the judge of a windowed pipeline (../workloads/returns-judge.ts) hands to the summary and the HTML
 * report besides its checks: the windows' reconciliation figures, the spike and its alert, the idle
 * shard and the watermark over time. Types only.
 */

/** The windows as the pipeline runs them (milliseconds). */
export interface WindowTiming {
  readonly sizeMs: number;
  readonly latenessMs: number;
  readonly outOfOrderMs: number;
  readonly idleMs: number;
}

/** What the report and the summary show of a windowed pipeline. */
export interface WindowedEvidence {
  readonly timing: WindowTiming;
  readonly windowsClosed: number;
  readonly windowsOpen: number;
  readonly countsMatched: number;
  readonly windowsJudged: number;
  readonly late: { readonly put: number; readonly counted: number };
  /** Too late: planned (`put`), and unplanned ones the producer put late (`delayed`); on results, in the DLQ, in the metric (all of both). */
  readonly tooLate: { readonly put: number; readonly delayed: number; readonly onResults: number; readonly inDlq: number; readonly metric?: number };
  readonly spike: {
    readonly sku: string;
    readonly windowStart: number;
    readonly alerts: number;
    readonly otherAlerts: number;
    readonly alertCount?: number;
    readonly finalCount?: number;
    readonly threshold?: number;
    /** Alert received minus the put of the event that made the count reach the threshold (ms). */
    readonly latencyMs?: number;
    /** Window closed minus alert received (ms): how long before the close it alerted. */
    readonly beforeCloseMs?: number;
    /** The spiking SKU's windows in order: count, baseline and threshold in force. */
    readonly windows: readonly { readonly start: number; readonly count: number; readonly closed: boolean; readonly baseline?: number; readonly threshold: number; readonly spiked: boolean }[];
  };
  /** The shard left idle: how far the watermark went past its own while another shard held it, and the windows it would have held that closed. */
  readonly idleShard?: { readonly shardId: string; readonly idleFrom: number; readonly watermarkPastIdleMs: number; readonly windowsClosedWhileIdle: number };
  readonly watermarks: readonly { readonly at: number; readonly watermark: number }[];
}

