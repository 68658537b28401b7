/**
 * The processor's settings, read once from the environment the stack sets (names in
 * lambdas/shared/environment.ts). A missing or malformed variable is a clear error at the first
 * invocation, not a silent default that would, say, disable dead-lettering.
 */
import { ProcessorEnv } from '../shared/environment';
import { ProcessorDefaults } from '../shared/processor-defaults';
import { SettingsError } from './errors';

export { SettingsError };

export interface ProcessorSettings {
  readonly pipelineName: string;
  readonly idempotencyTableName: string;
  readonly deadLetterQueueUrl: string;
  /** Only actions that keep state. */
  readonly stateTableName?: string;
  /** Only the telemetry action. */
  readonly alertsTopicArn?: string;
  /** Only the telemetry action: JSON of the pipeline's `telemetry` configuration. */
  readonly telemetryConfigJson?: string;
  /** Only windowed actions: JSON of the pipeline's `windows` configuration. */
  readonly windowsConfigJson?: string;
  /** Only the returns action: JSON of the pipeline's `spike` configuration. */
  readonly spikeConfigJson?: string;
  /** Only windowed actions: the stream's name (the closer lists its shards). */
  readonly streamName?: string;
  /** How long a completed idempotency key is remembered. */
  readonly idempotencyTtlSeconds: number;
  /** How long an in-progress claim (external actions) blocks other invocations. */
  readonly leaseSeconds: number;
  /** Partition keys processed at once. */
  readonly keyConcurrency: number;
  /** Stop starting records when less than this remains of the invocation. */
  readonly timeMarginMs: number;
  /** An event dated further ahead of the processor's clock than this is poison (`time-in-future`). */
  readonly clockSkewAllowanceSeconds: number;
  /** Only actions from the user's own code: the kind the pipeline declares (the action must have it). */
  readonly actionKind?: string;
}


export function readProcessorSettings(env: NodeJS.ProcessEnv = process.env): ProcessorSettings {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new SettingsError(`Environment variable ${name} is required`);
    return value;
  };
  const positiveInt = (name: string, fallback: number, min = 1): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new SettingsError(`Environment variable ${name} must be an integer >= ${min}, got "${raw}"`);
    return value;
  };
  return {
    pipelineName: required(ProcessorEnv.PipelineName),
    idempotencyTableName: required(ProcessorEnv.IdempotencyTable),
    deadLetterQueueUrl: required(ProcessorEnv.DeadLetterQueueUrl),
    stateTableName: env[ProcessorEnv.StateTable] || undefined,
    alertsTopicArn: env[ProcessorEnv.AlertsTopicArn] || undefined,
    telemetryConfigJson: env[ProcessorEnv.TelemetryConfig] || undefined,
    windowsConfigJson: env[ProcessorEnv.WindowsConfig] || undefined,
    spikeConfigJson: env[ProcessorEnv.SpikeConfig] || undefined,
    streamName: env[ProcessorEnv.StreamName] || undefined,
    idempotencyTtlSeconds: positiveInt(ProcessorEnv.IdempotencyTtlSeconds, ProcessorDefaults.idempotencyTtlHours * 3600),
    leaseSeconds: positiveInt(ProcessorEnv.LeaseSeconds, ProcessorDefaults.leaseSeconds),
    keyConcurrency: positiveInt(ProcessorEnv.KeyConcurrency, ProcessorDefaults.keyConcurrency),
    timeMarginMs: positiveInt(ProcessorEnv.TimeMarginMs, ProcessorDefaults.timeMarginMs, 0),
    clockSkewAllowanceSeconds: positiveInt(ProcessorEnv.ClockSkewAllowanceSeconds, ProcessorDefaults.clockSkewAllowanceSeconds, 0),
    actionKind: env[ProcessorEnv.ActionKind] || undefined,
  };
}

/** The state table, or a clear error naming the action that needs it. */
export function requireStateTable(settings: ProcessorSettings, action: string): string {
  if (!settings.stateTableName) throw new SettingsError(`The ${action} action needs ${ProcessorEnv.StateTable}`);
  return settings.stateTableName;
}
