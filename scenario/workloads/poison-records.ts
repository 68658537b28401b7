/**
 * Poison records: what a buggy upstream producer puts on the stream behind the producer client's
 * back. Each must end in the DLQ with its reason, and none may block its shard.
 */
import type { CloudEvent } from '../../lambdas/shared/envelope';
import { sourcePrefix } from './events';

export type PoisonKind = 'not-json' | 'invalid-envelope' | 'unknown-type' | 'invalid-data';
export const POISON_KINDS: readonly PoisonKind[] = ['not-json', 'invalid-envelope', 'unknown-type', 'invalid-data'];

export interface PoisonRecord {
  readonly kind: PoisonKind;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** The envelope id when the record has one (the processor may report it). */
  readonly eventId?: string;
}

/**
 * One poison record of `kind` for a pipeline.
 * @param validType the pipeline's event type, for the `invalid-data` record (right type, wrong data).
 */
export function poisonRecord(kind: PoisonKind, pipeline: string, runId: string, index: number, validType: string): PoisonRecord {
  const partitionKey = `poison-${runId}-${pipeline}-${index}`;
  const id = `${runId}-${pipeline}-poison-${index}`;
  const base: CloudEvent = {
    specversion: '1.0',
    id,
    source: `${sourcePrefix(runId)}${pipeline}`,
    type: validType,
    subject: partitionKey,
    time: new Date().toISOString(),
  };
  const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
  switch (kind) {
    case 'not-json':
      return { kind, partitionKey, data: new TextEncoder().encode(`order ${index} shipped <not json>`) };
    case 'invalid-envelope': {
      // No specversion, and a time that is not RFC 3339.
      const { specversion: _dropped, ...rest } = base;
      return { kind, partitionKey, data: json({ ...rest, time: 'yesterday' }), eventId: id };
    }
    case 'unknown-type':
      return { kind, partitionKey, data: json({ ...base, type: 'com.example.unknown.thing-happened', data: { x: 1 } }), eventId: id };
    case 'invalid-data':
      return { kind, partitionKey, data: json({ ...base, data: { unexpected: true } }), eventId: id };
  }
}
