/** All event source mappings of the local target, by UUID: what the control plane's Lambda API serves. */
import type { EventSourceMappingDescription, KinesisEventSourceMapping } from './mapping';

export class EventSourceMappingRegistry {
  private readonly mappings = new Map<string, KinesisEventSourceMapping>();

  add(mapping: KinesisEventSourceMapping): void {
    if (this.mappings.has(mapping.uuid)) throw new Error(`event source mapping ${mapping.uuid} exists already`);
    this.mappings.set(mapping.uuid, mapping);
  }

  get(uuid: string): KinesisEventSourceMapping | undefined {
    return this.mappings.get(uuid);
  }

  /** Optionally only those of one function (name or ARN) or one event source ARN. */
  list(filter: { functionName?: string; eventSourceArn?: string } = {}): KinesisEventSourceMapping[] {
    return [...this.mappings.values()].filter(
      (m) =>
        (filter.functionName === undefined || m.config.FunctionName === filter.functionName || m.config.FunctionArn === filter.functionName) &&
        (filter.eventSourceArn === undefined || m.config.EventSourceArn === filter.eventSourceArn),
    );
  }

  describeAll(): EventSourceMappingDescription[] {
    return this.list().map((m) => m.describe());
  }

  async startAll(): Promise<void> {
    await Promise.all([...this.mappings.values()].map((m) => m.start()));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.mappings.values()].map((m) => m.stop()));
  }
}
