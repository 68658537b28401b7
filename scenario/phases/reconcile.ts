/**
 * Phase 5, reconcile (also each round of the drain): reads every driven pipeline's idempotency keys and
 * DLQ through the AWS APIs (../aws/stores.ts), lets its workload read the entities its action keeps, and
 * judges them against the ledger (../judge/reconcile-pipeline.ts).
 */
import { idempotencyStorageKey } from '../../lambdas/shared/tables';
import { readDlq, readIdempotencyKeys } from '../aws/stores';
import type { Ledger } from '../judge/ledger';
import { combine, reconcilePipeline, type PipelineObservations, type Reconciliation } from '../judge/reconcile-pipeline';
import type { Stage } from '../stage';
import { sourcePrefix } from '../workloads/events';

/** One observation of every driven pipeline, judged against the ledger. */
export async function reconcileOnce(stage: Stage, ledger: Ledger, processedByMetrics: (pipeline: string) => number | undefined = () => undefined): Promise<Reconciliation> {
  const { dynamodb, sqs } = stage.clients;
  const results = [];
  for (const p of stage.pipelines) {
    const [keys, dlq] = await Promise.all([readIdempotencyKeys(dynamodb, p.names.idempotencyTableName, sourcePrefix(stage.runId)), readDlq(sqs, p.dlqUrl)]);
    const judge = await p.running.observe();
    const observed: PipelineObservations = { idempotency: keys.statuses, outcomes: keys.outcomes, poisonMessages: dlq.poison, onFailure: dlq.onFailure, unreadableDlqMessages: dlq.unreadable };
    results.push(
      reconcilePipeline({
        pipeline: p.config.name,
        action: p.workload.action,
        events: ledger.events.filter((e) => e.pipeline === p.config.name),
        poison: ledger.poison.filter((x) => x.pipeline === p.config.name),
        observed,
        storageKey: idempotencyStorageKey,
        judge,
        processedByMetrics: processedByMetrics(p.config.name),
      }),
    );
  }
  return combine(results);
}
