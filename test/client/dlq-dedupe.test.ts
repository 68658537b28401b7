/**
 * Which message of a replay puts each record back (client/operations/dlq-replay.ts assignRecords),
 * as a property over generated DLQ contents: poison records dead-lettered several times, on-failure
 * ranges repeated and overlapping, poison records inside ranges (plain and inside KPL aggregates),
 * messages past retention. Nothing is put twice, nothing is left out, and each message waits for
 * every record it stands for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { DlqMessageBody } from '../../client/operations/dlq-messages';
import { assignRecords, type ReplayPlan, type ReplayRecord } from '../../client/operations/dlq-replay';

/** Sequence numbers from AGGREGATED_FROM on are KPL aggregates of SUB_RECORDS user records. */
const AGGREGATED_FROM = 8;
const SUB_RECORDS = 3;

interface PlanSpec {
  readonly kind: 'poison-record' | 'on-failure';
  readonly ready: boolean;
  readonly shard: string;
  readonly from: number;
  readonly to: number;
  readonly sub: number;
}

function record(shard: string, seq: number, sub?: number): ReplayRecord {
  return { shardId: shard, sequenceNumber: String(seq), partitionKey: 'k', data: new Uint8Array(), ...(sub !== undefined ? { subSequenceNumber: sub } : {}) };
}

function planOf(spec: PlanSpec, i: number): ReplayPlan {
  // assignRecords reads only the body's kind.
  const body = { kind: spec.kind } as unknown as DlqMessageBody;
  const message = { messageId: `m${i}`, receiptHandle: `r${i}`, receiveCount: 1, raw: '', body };
  const records =
    spec.kind === 'poison-record'
      ? [record(spec.shard, spec.from, spec.from >= AGGREGATED_FROM ? spec.sub : undefined)]
      : Array.from({ length: spec.to - spec.from + 1 }, (_, k) => record(spec.shard, spec.from + k));
  return spec.ready ? { message, status: 'ready', records } : { message, status: 'expired', records, problem: 'gone' };
}

/** The user records a put stream record or user record delivers. */
function usersOf(r: ReplayRecord, wholeStreamRecord: boolean): string[] {
  const seq = Number(r.sequenceNumber);
  if (seq < AGGREGATED_FROM) return [`${r.shardId}/${seq}`];
  if (!wholeStreamRecord) return [`${r.shardId}/${seq}/${r.subSequenceNumber}`];
  return Array.from({ length: SUB_RECORDS }, (_, s) => `${r.shardId}/${seq}/${s}`);
}

const planSpec = fc
  .record({
    kind: fc.constantFrom('poison-record' as const, 'on-failure' as const),
    // Mostly ready; some past retention.
    ready: fc.oneof({ arbitrary: fc.constant(true), weight: 5 }, { arbitrary: fc.constant(false), weight: 1 }),
    shard: fc.constantFrom('shardId-0', 'shardId-1'),
    from: fc.integer({ min: 1, max: 11 }),
    length: fc.integer({ min: 0, max: 5 }),
    sub: fc.integer({ min: 0, max: SUB_RECORDS - 1 }),
  })
  .map((s): PlanSpec => ({ ...s, to: Math.min(11, s.from + s.length) }));

describe('replay: each record once', () => {
  it('puts every record that a ready message stands for back exactly once, and each message waits for all of its records', () => {
    fc.assert(
      fc.property(fc.array(planSpec, { maxLength: 25 }), (specs) => {
        const plans = specs.map(planOf);
        const assignments = assignRecords(plans);
        const owners = new Map<string, number>();
        const delivered = new Map<string, number>();
        assignments.forEach((a, i) => {
          const plan = plans[i]!;
          if (plan.status !== 'ready') return assert.equal(a, undefined, 'a message that is not ready puts nothing');
          assert.ok(a);
          assert.equal(a.owned.length + a.duplicates, plan.records.length);
          assert.equal(a.waitsFor.length, plan.records.length);
          for (const { id, record: r } of a.owned) {
            assert.equal(owners.has(id), false, `${id} owned twice`);
            owners.set(id, i);
            for (const user of usersOf(r, plan.message.body.kind === 'on-failure')) delivered.set(user, (delivered.get(user) ?? 0) + 1);
          }
        });
        for (const [user, times] of delivered) assert.equal(times, 1, `${user} put back ${times} times`);
        assignments.forEach((a, i) => {
          const plan = plans[i]!;
          if (!a) return;
          for (const id of a.waitsFor) assert.ok(owners.has(id), `message ${i} waits for ${id}, which nobody puts back`);
          for (const r of plan.records) {
            for (const user of usersOf(r, plan.message.body.kind === 'on-failure')) assert.equal(delivered.get(user), 1, `${user} of message ${i} is not put back`);
          }
        });
      }),
      { numRuns: 500 },
    );
  });

  it('counts the copies: six copies of a poison record put it back once; a poison record inside a range goes back with the range', () => {
    const copies = Array.from({ length: 6 }, (_, i) => planOf({ kind: 'poison-record', ready: true, shard: 'shardId-0', from: 9, to: 9, sub: 1 }, i));
    const range = planOf({ kind: 'on-failure', ready: true, shard: 'shardId-0', from: 3, to: 5, sub: 0 }, 6);
    const inside = planOf({ kind: 'poison-record', ready: true, shard: 'shardId-0', from: 4, to: 4, sub: 0 }, 7);
    const overlapping = planOf({ kind: 'on-failure', ready: true, shard: 'shardId-0', from: 4, to: 7, sub: 0 }, 8);
    const assignments = assignRecords([...copies, inside, range, overlapping]);
    assert.deepEqual(
      assignments.map((a) => [a?.owned.length, a?.duplicates]),
      [[1, 0], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [3, 0], [2, 2]],
    );
    assert.deepEqual(assignments[6]?.waitsFor, ['shardId-0/4'], 'the poison record waits for the range that puts it back');
  });
});
