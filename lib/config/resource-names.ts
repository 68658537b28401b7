/**
 * Physical names of every resource a pipeline owns, derived from the stack and pipeline names.
 *
 * Names are deterministic so that producers, the operator CLI and the local target find a
 * pipeline's stream, queue and tables from the configuration alone (`--pipeline orders`), with no
 * lookup of stack outputs. The stack outputs carry the same values for tools that prefer them.
 */
export interface PipelineResourceNames {
  readonly streamName: string;
  readonly dlqName: string;
  readonly idempotencyTableName: string;
  readonly functionName: string;
  /** Actions that keep state (orders, telemetry) have a state table. */
  readonly stateTableName: string;
  /** Only the `telemetry` action has an alerts topic. */
  readonly alertsTopicName: string;
  /** The enhanced fan-out stream consumer the processor's mapping reads through (`eventSource.consumer: efo`). */
  readonly consumerName: string;
  /** Prefix of every alarm of the pipeline: `<prefix><AlarmKind>` (`alarmName`). */
  readonly alarmNamePrefix: string;
}

export function pipelineResourceNames(stackName: string, pipelineName: string): PipelineResourceNames {
  const base = `${stackName}-${pipelineName}`;
  return {
    streamName: `${base}-events`,
    dlqName: `${base}-dlq`,
    idempotencyTableName: `${base}-idempotency`,
    functionName: `${base}-processor`,
    stateTableName: `${base}-state`,
    alertsTopicName: `${base}-alerts`,
    consumerName: `${base}-processor`,
    alarmNamePrefix: `${base}-`,
  };
}

/** The stack-wide alarm topic and dashboard. */
export function stackResourceNames(stackName: string): { alarmTopicName: string; dashboardName: string } {
  return { alarmTopicName: `${stackName}-alarms`, dashboardName: `${stackName}-pipelines` };
}

/** The alarm kinds of a pipeline; the alarm name is `<alarmNamePrefix><kind>` (lib/constructs/alarm-specs.ts says what each watches). */
export const AlarmKind = {
  EventToActionLatencyP99: 'EventToActionLatencyP99',
  IteratorAge: 'IteratorAge',
  ConsumerStalled: 'ConsumerStalled',
  ProcessorErrors: 'ProcessorErrors',
  ProcessorThrottles: 'ProcessorThrottles',
  DroppedEvents: 'DroppedEvents',
  DlqMessagesVisible: 'DlqMessagesVisible',
  DlqOldestMessageAge: 'DlqOldestMessageAge',
  PoisonEvents: 'PoisonEvents',
  StreamWriteThrottled: 'StreamWriteThrottled',
  PutRecordsThrottled: 'PutRecordsThrottled',
  StreamReadThrottled: 'StreamReadThrottled',
  IdempotencyReadThrottled: 'IdempotencyReadThrottled',
  IdempotencyWriteThrottled: 'IdempotencyWriteThrottled',
  /** Windowed pipelines only. */
  WatermarkStalled: 'WatermarkStalled',
  /** Windowed pipelines only. */
  TooLateEvents: 'TooLateEvents',
} as const;
export type AlarmKindName = (typeof AlarmKind)[keyof typeof AlarmKind];

/** The physical name of a pipeline's alarm of `kind`. */
export function alarmName(names: Pick<PipelineResourceNames, 'alarmNamePrefix'>, kind: AlarmKindName): string {
  return `${names.alarmNamePrefix}${kind}`;
}

/**
 * The stacks of the `stack-per-pipeline` layout (lib/layout/), and the SSM parameter through which a
 * pipeline stack tells the dashboard stack its mapping's UUID (no cross-stack export: see README,
 * "Many pipelines").
 */
export function layoutStackNames(stackName: string): {
  alarmsStackName: string;
  dashboardStackName: string;
  pipelineStackName(pipelineName: string): string;
  eventSourceMappingParameter(pipelineName: string): string;
} {
  return {
    alarmsStackName: `${stackName}-alarms`,
    dashboardStackName: `${stackName}-dashboard`,
    pipelineStackName: (pipelineName) => `${stackName}-pipeline-${pipelineName}`,
    eventSourceMappingParameter: (pipelineName) => `/${stackName}/pipelines/${pipelineName}/event-source-mapping-uuid`,
  };
}
