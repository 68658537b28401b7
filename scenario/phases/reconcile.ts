/**
 * One round of observation and judgement during the drain: reads every driven pipeline's tables, DLQ
 * and alerts through the AWS APIs (./observe.ts) and reconciles them with the ledger (./reconcile.ts).
 */
import type { PipelineConfig } from '../../lib/config';
import { idempotencyStorageKey } from '../../lambdas/shared/tables';
import { TELEMETRY_ALERT_KIND } from '../../lambdas/shared/telemetry-alert';
import { breaches } from '../../lambdas/shared/telemetry-config';
import type { TopicTap } from '../aws/control';
import type { Ledger, LedgerEvent } from '../judge/ledger';
import { drainQueue, readDlq, readIdempotency, scanByPrefix, unwrapSnsMessage, type ObserveClients } from '../aws/stores';
import { combine, reconcilePipeline, type ActionKind, type AlertObservation, type PipelineObservations, type Reconciliation, type StateItemObservation } from '../judge/reconcile-pipeline';

/** What the judge needs to know about a driven pipeline. */
export interface JudgedPipeline {
  readonly config: PipelineConfig;
  readonly action: ActionKind;
  readonly names: { readonly idempotencyTableName: string; readonly stateTableName: string };
  readonly dlqUrl: string;
  readonly alertsTap?: TopicTap;
  /** Alerts received so far (the tap's queue is drained into it). */
  readonly alerts: AlertObservation[];
}

/** Every key of a run starts with its source prefix, so readers of shared tables see only this run. */
export const sourcePrefix = (runId: string): string => `/stream-pipeline/scenario/${runId}/`;

/** One observation of every driven pipeline, judged against the ledger. */
export async function reconcileOnce(
  driven: readonly JudgedPipeline[],
  ledger: Ledger,
  clients: ObserveClients,
  runId: string,
  processedByMetrics: (pipeline: string) => number | undefined = () => undefined,
): Promise<Reconciliation> {
  const results = [];
  for (const d of driven) {
    const [idempotency, dlq] = await Promise.all([
      readIdempotency(clients.dynamodb, d.names.idempotencyTableName, sourcePrefix(runId)),
      readDlq(clients.sqs, d.dlqUrl),
    ]);
    let state: Map<string, StateItemObservation> | undefined;
    if (d.action === 'orders') {
      const items = await scanByPrefix(clients.dynamodb, d.names.stateTableName, `order-${runId}-`);
      state = new Map(items.map((item) => [String(item.pk), toStateObservation(item)]));
    }
    if (d.alertsTap) {
      for (const body of await drainQueue(clients.sqs, d.alertsTap.queueUrl)) {
        // Alerts of other runs on a shared target are not ours to judge.
        const alert = parseAlert(unwrapSnsMessage(body), runId);
        if (alert) d.alerts.push(alert);
      }
    }
    const observed: PipelineObservations = {
      idempotency,
      poisonMessages: dlq.poison,
      onFailure: dlq.onFailure,
      unreadableDlqMessages: dlq.unreadable,
      state,
      alerts: d.action === 'telemetry' ? d.alerts : undefined,
    };
    results.push(
      reconcilePipeline({
        pipeline: d.config.name,
        action: d.action,
        events: ledger.events.filter((e) => e.pipeline === d.config.name),
        poison: ledger.poison.filter((p) => p.pipeline === d.config.name),
        observed,
        storageKey: idempotencyStorageKey,
        processedByMetrics: processedByMetrics(d.config.name),
        statusOf: (e: LedgerEvent) => {
          const data = e.event.data as { status?: unknown } | undefined;
          return typeof data?.status === 'string' ? data.status : undefined;
        },
        breachedMetrics: d.action === 'telemetry' ? breachedMetricsOf(d.config) : undefined,
      }),
    );
  }
  return combine(results);
}

function toStateObservation(item: Record<string, unknown>): StateItemObservation {
  return {
    pk: String(item.pk),
    status: typeof item.status === 'string' ? item.status : undefined,
    eventId: typeof item.eventId === 'string' ? item.eventId : undefined,
    appliedEvents: typeof item.appliedEvents === 'number' ? item.appliedEvents : undefined,
  };
}

/** A telemetry alert of this run (lambdas/shared/telemetry-alert.ts `TelemetryAlert`), else undefined. */
export function parseAlert(message: string, runId: string): AlertObservation | undefined {
  try {
    const alert = JSON.parse(message) as { kind?: unknown; device?: unknown; metric?: unknown };
    if (alert.kind !== TELEMETRY_ALERT_KIND || typeof alert.device !== 'string' || typeof alert.metric !== 'string') return undefined;
    if (!alert.device.includes(runId)) return undefined;
    return { deviceId: alert.device, metric: alert.metric };
  } catch {
    return undefined;
  }
}

/** The configured limits decide which readings breach: the same configuration the processor got. */
export function breachedMetricsOf(pipeline: PipelineConfig): (e: LedgerEvent) => string[] {
  const thresholds = pipeline.telemetry?.thresholds ?? {};
  return (e) => {
    const readings = (e.event.data as { readings?: Record<string, number> } | undefined)?.readings ?? {};
    return Object.entries(readings)
      .filter(([metric, value]) => {
        const threshold = thresholds[metric];
        return threshold !== undefined && breaches(value, threshold);
      })
      .map(([metric]) => metric);
  };
}
