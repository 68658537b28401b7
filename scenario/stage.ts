/**
 * What the phases of a run share, set up once by the start phase (./phases/start.ts): the driven
 * pipelines with their deployed names, producers and workloads, the clients, the time axis of the
 * CloudWatch API and the hands on the target.
 */
import type { ProducerMetrics, RecordOutcome, RecordPublisher } from '../client';
import type { CloudEvent } from '../lambdas/shared/envelope';
import { AlarmKind, alarmName, pipelineResourceNames, type PipelineConfig, type PipelineResourceNames } from '../lib/config';
import type { PipelineMetricTarget, TimeAxis } from './aws/cloudwatch';
import type { ScenarioClients } from './aws/clients';
import type { ProducerProcess } from './producer-process/producer-process';
import type { TargetControl } from './target-control';
import type { RunningWorkload, WorkloadDefinition } from './workloads/workload';

/** A pipeline's physical names as the target deployed them, and the two alarms the consumer outage must fire. */
export interface DeployedNames extends PipelineResourceNames {
  readonly latencyAlarmName: string;
  readonly stalledAlarmName: string;
}

/** The configured names with the target's suffix appended to each physical name (not to the alarm prefix). */
export function deployedNames(stackName: string, pipeline: string, suffix: string): DeployedNames {
  const names = pipelineResourceNames(stackName, pipeline);
  const suffixed = Object.fromEntries(Object.entries(names).map(([key, value]) => [key, key === 'alarmNamePrefix' ? value : `${value}${suffix}`])) as unknown as PipelineResourceNames;
  return {
    ...suffixed,
    latencyAlarmName: `${alarmName(names, AlarmKind.EventToActionLatencyP99)}${suffix}`,
    stalledAlarmName: `${alarmName(names, AlarmKind.ConsumerStalled)}${suffix}`,
  };
}

/** What the load puts events through: an in-process EventProducer, or a producer child process with a spool. */
export interface ScenarioProducer {
  send(event: CloudEvent): Promise<{ readonly outcome: Promise<RecordOutcome> }>;
  flush(): Promise<void>;
  close(): Promise<void>;
  metrics(): ProducerMetrics;
}

export interface DrivenPipeline {
  readonly config: PipelineConfig;
  readonly workload: WorkloadDefinition;
  readonly running: RunningWorkload;
  readonly names: DeployedNames;
  readonly producer: ScenarioProducer;
  /** Set when the producer is a child process with a spool (the Kinesis outage step crashes and restarts it). */
  readonly spooledProducer?: ProducerProcess;
  /** Puts poison records behind the producer's back, as a buggy upstream would. */
  readonly poisonPublisher: RecordPublisher<number>;
  /** UUIDs of its event source mappings. */
  readonly mappings: readonly string[];
  readonly dlqUrl: string;
}

export interface Stage {
  readonly runId: string;
  readonly clients: ScenarioClients;
  readonly pipelines: readonly DrivenPipeline[];
  /** The CloudWatch API's time axis (simulated on the local target with a time scale). */
  readonly axis: TimeAxis;
  readonly metricTargets: readonly PipelineMetricTarget[];
  /** Prefix of every alarm of the stack. */
  readonly alarmPrefix: string;
  readonly target: TargetControl;
}
