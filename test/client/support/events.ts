/** Small helpers for asserting on events read back from a stream. */
import { decodeEnvelope, type CloudEvent } from '../../../lambdas/shared/envelope';
import { deaggregate } from '../../../client/aggregation';
import { bySequence, type StoredRecord } from './kinesis-streams';

/** Decodes stored records (deaggregating KPL records) into events, per partition key in stream order. */
export function eventsByKey(records: readonly StoredRecord[]): Map<string, CloudEvent[]> {
  const byKey = new Map<string, CloudEvent[]>();
  const sorted = [...records].sort((a, b) => (a.shardId === b.shardId ? bySequence(a, b) : a.shardId.localeCompare(b.shardId)));
  for (const record of sorted) {
    for (const user of deaggregate(record.partitionKey, record.data)) {
      const decoded = decodeEnvelope(user.data);
      if (!decoded.ok) throw new Error(`stream holds an invalid record: ${decoded.reason}`);
      const list = byKey.get(user.partitionKey) ?? [];
      list.push(decoded.event);
      byKey.set(user.partitionKey, list);
    }
  }
  return byKey;
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through \`npm test\`, which starts the emulators and exports their endpoints`);
  return value;
}
