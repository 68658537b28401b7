/**
 * The scenario's hands on the target: the event source mappings (through the Lambda API, as on AWS) and
 * the fault injector (the embedded local target only: AWS has no API to break a service's connections).
 * It remembers what it changed, so a run leaves the target as it found it, whatever happened.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { FaultMode, FaultTarget } from '../local/contracts';
import { setMappingEnabled } from './aws/control';
import { TargetStateError } from './errors';

export interface ScenarioTarget {
  /** Breaks or heals a service's connections; without it the steps that need it are skipped (and said so). */
  readonly setFault?: (target: FaultTarget, mode: FaultMode) => void;
  /** Appended to every physical name, as the target deployed them (LocalAwsOptions.resourceNameSuffix). Default none. */
  readonly resourceNameSuffix?: string;
  /**
   * Reshards an on-demand stream as AWS does by itself under load (LocalAws.scaleOnDemandStream); without
   * it a reshard of an on-demand stream is skipped (and said so). Provisioned streams need none: UpdateShardCount.
   */
  readonly scaleOnDemandStream?: (streamName: string, shardCount: number) => Promise<void>;
}

export class TargetControl {
  private mappingsDisabled = false;
  private readonly faulted = new Set<FaultTarget>();

  constructor(
    private readonly lambda: LambdaClient,
    private readonly target: ScenarioTarget,
    /** The UUIDs of every driven pipeline's event source mappings. */
    private readonly mappings: () => readonly string[],
  ) {}

  /** Whether the target can break connections (see ScenarioTarget.setFault). */
  get canInjectFaults(): boolean {
    return this.target.setFault !== undefined;
  }

  /** Whether the target can reshard an on-demand stream (see ScenarioTarget.scaleOnDemandStream). */
  get canScaleOnDemandStreams(): boolean {
    return this.target.scaleOnDemandStream !== undefined;
  }

  /** Reshards an on-demand stream to `shardCount` open shards; throws on a target that cannot. */
  async scaleOnDemandStream(streamName: string, shardCount: number): Promise<void> {
    if (!this.target.scaleOnDemandStream) throw new TargetStateError('this target cannot reshard an on-demand stream');
    await this.target.scaleOnDemandStream(streamName, shardCount);
  }

  /** Enables or disables every driven mapping and waits until the Lambda API reports it. */
  async setMappings(enabled: boolean): Promise<void> {
    await Promise.all(this.mappings().map((uuid) => setMappingEnabled(this.lambda, uuid, enabled)));
    this.mappingsDisabled = !enabled;
  }

  /** Breaks (`refuse`, `stall`) or heals (`none`) a service's connections; throws on a target without a fault injector. */
  setFault(service: FaultTarget, mode: FaultMode): void {
    if (!this.target.setFault) throw new TargetStateError('this target has no fault injector');
    this.target.setFault(service, mode);
    if (mode === 'none') this.faulted.delete(service);
    else this.faulted.add(service);
  }

  /** Heals every fault and re-enables the mappings this run left broken or disabled; reports what it could not undo. */
  async restore(onError: (message: string) => void): Promise<void> {
    for (const service of [...this.faulted]) this.setFault(service, 'none');
    if (this.mappingsDisabled) await this.setMappings(true).catch((error: unknown) => onError(`could not re-enable the mappings: ${String(error)}`));
  }
}
