/**
 * Phase 4, drain: reconciles until every event is accounted for, nothing changes any more (a real loss
 * never resolves itself), or time is up; then lets the alarms the outage fired settle back to OK.
 * An aborted run gets one partial reconciliation instead.
 */
import type { Ledger } from '../judge/ledger';
import type { Reconciliation } from '../judge/reconcile-pipeline';
import type { ScenarioOptions } from '../options';
import type { RunLog } from '../run-log';
import type { Stage } from '../stage';
import type { Monitor } from '../view/monitor';
import { reconcileOnce } from './reconcile';
import { sleep } from './sleep';

const RECONCILE_EVERY_MS = 2000;
/** The drain stops early when nothing changed for this long. */
const DRAIN_STABLE_MS = 20_000;
const SETTLE_POLL_MS = 1000;

export interface DrainInput {
  readonly stage: Stage;
  readonly ledger: Ledger;
  readonly options: ScenarioOptions;
  readonly monitor: Monitor;
  readonly log: RunLog;
  readonly signal?: AbortSignal;
}

export interface DrainResult {
  readonly reconciliation: Reconciliation;
  /** Set when the run was interrupted: the reconciliation is partial. */
  readonly stoppedBecause?: string;
}

export async function drain({ stage, ledger, options, monitor, log, signal }: DrainInput): Promise<DrainResult> {
  const processedByMetrics = (pipeline: string): number | undefined => monitor.processedByMetrics(pipeline);
  if (signal?.aborted) {
    log.phase = 'interrupted: partial reconciliation';
    return { reconciliation: await reconcileOnce(stage, ledger, processedByMetrics), stoppedBecause: 'interrupted (Ctrl-C)' };
  }
  log.phase = 'draining: waiting for every event to be accounted for';
  const drainDeadline = Date.now() + options.drainTimeoutSeconds * 1000;
  let fingerprint = '';
  let stableSince = Date.now();
  let reconciliation: Reconciliation;
  for (;;) {
    reconciliation = await reconcileOnce(stage, ledger, processedByMetrics);
    if (reconciliation.ok) break;
    const current = JSON.stringify(reconciliation.pipelines.map((p) => p.counts));
    if (current !== fingerprint) {
      fingerprint = current;
      stableSince = Date.now();
    }
    // Windows waiting for the watermark settle without anything else changing: wait for them, not for stability.
    const settling = reconciliation.pipelines.some((p) => (p.waitUntil ?? 0) > Date.now());
    if ((Date.now() - stableSince > DRAIN_STABLE_MS && !settling) || Date.now() > drainDeadline || signal?.aborted) break;
    await sleep(RECONCILE_EVERY_MS, signal);
  }
  log.note(reconciliation.ok ? 'drained: every event accounted for' : 'drain ended with unaccounted events (see problems)');
  const stoppedBecause = signal?.aborted ? 'interrupted (Ctrl-C) while draining' : undefined;

  // Settle: the latency and stalled alarms that fired during the outage should be back to OK.
  log.phase = 'settling: waiting for the latency and stalled alarms to return to OK';
  const settleDeadline = Date.now() + options.settleTimeoutSeconds * 1000;
  const outageAlarmNames = stage.pipelines.flatMap((p) => [p.names.latencyAlarmName, p.names.stalledAlarmName]);
  while (!signal?.aborted && Date.now() < settleDeadline && monitor.latestAlarms.some((a) => outageAlarmNames.includes(a.name) && a.state === 'ALARM')) {
    await sleep(SETTLE_POLL_MS, signal);
  }
  return { reconciliation, ...(stoppedBecause ? { stoppedBecause } : {}) };
}
