/**
 * Phase 1, start: finds every driven pipeline's resources by its configured name through the APIs
 * (event source mappings, dead-letter queue), starts its workload, opens its producers, and finds the
 * CloudWatch API's time axis.
 */
import { EventProducer, RecordPublisher } from '../../client';
import { seededRandom } from '../../client/operations/seeded-random';
import { queueUrlOf } from '../../client/operations/dlq-queue';
import { calibrateTimeAxis } from '../aws/cloudwatch';
import type { ScenarioClients } from '../aws/clients';
import { mappingsOf } from '../aws/control';
import type { ScenarioPlan } from '../plan';
import { deployedNames, type DrivenPipeline, type Stage } from '../stage';
import { TargetControl, type ScenarioTarget } from '../target-control';
import { INJECTIONS, type InjectionRates } from '../workloads/workload';
import { startTemporarySpooledProducer } from '../producer-process/producer-process';
import { SCENARIO_SPOOL_FSYNC, usesSpooledProducer } from '../steps/kinesis-outage';

export interface StartInput {
  readonly plan: ScenarioPlan;
  readonly target: ScenarioTarget;
  readonly runId: string;
  readonly clients: ScenarioClients;
}

export async function startRun({ plan, target, runId, clients }: StartInput): Promise<Stage> {
  const { options } = plan;
  const suffix = target.resourceNameSuffix ?? '';
  const rates = Object.fromEntries(INJECTIONS.map((i) => [i.name, options.steps[i.name] ? i.rate : 0])) as InjectionRates;
  const pipelines: DrivenPipeline[] = [];
  const axis = await calibrateTimeAxis(clients.cloudwatch, options.timeScale, runId);
  try {
    for (const [i, { config, workload }] of plan.pipelines.entries()) {
      const names = deployedNames(plan.stackName, config.name, suffix);
      const [mappings, dlqUrl] = await Promise.all([mappingsOf(clients.lambda, names.functionName), queueUrlOf(clients.sqs, names.dlqName)]);
      const spooledProducer = usesSpooledProducer(options.steps, i) ? await startTemporarySpooledProducer(names.streamName, { lingerMs: 10, fsync: SCENARIO_SPOOL_FSYNC }) : undefined;
      const running = await workload.start({ pipeline: config, runId, random: seededRandom(options.seed * 31 + i), rates, loadMs: plan.timeline.loadMs, ratePerSecond: options.ratePerSecond, names, clients, axis });
      pipelines.push({
        config,
        workload,
        running,
        names,
        producer: spooledProducer ?? new EventProducer({ stream: { streamName: names.streamName }, lingerMs: 10 }),
        ...(spooledProducer ? { spooledProducer } : {}),
        poisonPublisher: new RecordPublisher<number>({ stream: { streamName: names.streamName }, lingerMs: 0 }),
        mappings,
        dlqUrl,
      });
    }
    return {
      runId,
      clients,
      pipelines,
      axis,
      metricTargets: pipelines.map((p) => ({ pipeline: p.config.name, functionName: p.names.functionName })),
      alarmPrefix: `${plan.stackName}-`,
      target: new TargetControl(clients.lambda, target, () => pipelines.flatMap((p) => p.mappings)),
    };
  } catch (error) {
    await closePipelines(pipelines);
    throw error;
  }
}

/** Closes the pipelines' workloads (their subscriptions) and producers; never throws. */
export async function closePipelines(pipelines: readonly DrivenPipeline[]): Promise<void> {
  for (const p of pipelines) await p.running.close().catch(() => undefined);
  await Promise.all(pipelines.map((p) => Promise.all([p.producer.close().catch(() => undefined), p.poisonPublisher.close().catch(() => undefined)])));
}
