/**
 * All event source mappings of the local target, by UUID: what the control plane's Lambda API serves.
 * Mappings from the template (the deploy step) and from CreateEventSourceMapping are the same objects,
 * made by the same factory, and follow the same rules (one mapping per function and stream).
 */
import { randomUUID } from 'node:crypto';
import type { EventSourceMappingDescription, KinesisEventSourceMapping } from './mapping';

/** Why a mapping cannot be created, in the Lambda API's terms (the control plane turns it into the error). */
export class MappingConflictError extends Error {
  constructor(
    readonly existing: KinesisEventSourceMapping,
    functionName: string,
  ) {
    super(
      `The event source arn (" ${existing.config.EventSourceArn} ") and function (" ${functionName} ") provided mapping already exists. Please update or delete the existing mapping with UUID ${existing.uuid}`,
    );
  }
}

export class StreamNotFoundError extends Error {
  constructor(readonly streamArn: string) {
    super(`Stream not found: ${streamArn}`);
  }
}

export class EventSourceMappingRegistry {
  private readonly mappings = new Map<string, KinesisEventSourceMapping>();

  /** @param factory makes a mapping from its properties (needed by create(); add() takes a made one). */
  constructor(private readonly factory?: (input: Record<string, unknown>) => KinesisEventSourceMapping) {}

  add(mapping: KinesisEventSourceMapping): void {
    if (this.mappings.has(mapping.uuid)) throw new Error(`event source mapping ${mapping.uuid} exists already`);
    this.mappings.set(mapping.uuid, mapping);
  }

  /**
   * CreateEventSourceMapping: validates the properties (throws the mapping's validation error), refuses a
   * second mapping of the same function and stream and a stream that does not exist, registers the
   * mapping and starts it in the background. Returns its description in its first state, Creating.
   */
  async create(input: Record<string, unknown>, log: (line: string) => void): Promise<EventSourceMappingDescription> {
    if (!this.factory) throw new Error('this registry has no mapping factory: mappings can only be added');
    const mapping = this.factory({ ...input, UUID: randomUUID() });
    const existing = this.list({ functionName: mapping.config.FunctionArn, eventSourceArn: mapping.config.EventSourceArn })[0];
    if (existing) throw new MappingConflictError(existing, mapping.config.FunctionName);
    if (!(await mapping.streamExists())) throw new StreamNotFoundError(mapping.config.EventSourceArn);
    const description = mapping.describe();
    this.add(mapping);
    mapping.start().catch((error: unknown) => log(`[lambda] starting mapping ${mapping.uuid} failed: ${error instanceof Error ? error.message : String(error)}`));
    // The answer shows the state at creation, as AWS's does, whatever starting has done meanwhile.
    return description;
  }

  /** DeleteEventSourceMapping: unregistered at once, stopped in the background. Returns its last description (Deleting). */
  delete(uuid: string, log: (line: string) => void): EventSourceMappingDescription | undefined {
    const mapping = this.mappings.get(uuid);
    if (!mapping) return undefined;
    this.mappings.delete(uuid);
    const stopping = mapping.delete();
    const description = mapping.describe();
    stopping.catch((error: unknown) => log(`[lambda] stopping mapping ${uuid} failed: ${error instanceof Error ? error.message : String(error)}`));
    return description;
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
