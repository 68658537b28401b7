/**
 * The generators say what each record is; this checks they tell the truth, against the shared
 * envelope contract (lambdas/shared/envelope.ts) and the KPL library, without any AWS: a property
 * that fails must fail because of the processor, not because a "valid" event was not one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deaggregateSync } from 'aws-kinesis-agg';
import * as fc from 'fast-check';
import { decodeEnvelope } from '../../lambdas/shared/envelope';
import { noopProfile } from './arbitraries/noop';
import { ordersProfile } from './arbitraries/orders';
import type { ActionProfile } from './arbitraries/profile';
import { EVERYTHING } from './arbitraries/mixes';
import { scenarios } from './arbitraries/scenario';
import { telemetryProfile } from './arbitraries/telemetry';
import { Materializer, type SentUser } from './support/materialize';

/** Skew allowance of the contract (300 s) with room for the test's own clock. */
const FUTURE_MS = 300_000;

function checkUser(user: SentUser, profile: ActionProfile, nowMs: number, sentBefore: ReadonlySet<string>): void {
  const what = `${profile.name} ${user.label}`;
  const decoded = decodeEnvelope(user.bytes);
  const handled = (type: string) => profile.handledTypes.length === 0 || profile.handledTypes.includes(type);
  const expect = user.expect;
  if (expect.kind === 'duplicate' || user.label.startsWith('duplicate of ')) {
    assert.ok(sentBefore.has(user.bytes.toString('hex')), `${what}: a duplicate of nothing sent before`);
    // The same bytes as a record checked before (a valid event, or a poison event repeated in its batch).
    if (expect.kind === 'duplicate') return;
  }
  if (expect.kind !== 'poison') {
    assert.ok(decoded.ok, `${what}: expected an event, the envelope says ${decoded.ok ? '' : decoded.reason}`);
    assert.ok(handled(decoded.event.type), `${what}: type ${decoded.event.type} is not handled`);
    if (decoded.event.time !== undefined) assert.ok(Date.parse(decoded.event.time) <= nowMs + 120_000, `${what}: dated in the future`);
    return;
  }
  if (user.label.startsWith('kpl/') && (user.label.includes('corrupted aggregate') || user.label.includes('lacks'))) return;
  const [reason] = expect.reasons;
  if (reason === 'undecodable') assert.ok(!decoded.ok && decoded.stage === 'decode', `${what}: expected undecodable bytes`);
  if (reason === 'invalid-envelope') assert.ok(!decoded.ok && decoded.stage === 'validate', `${what}: expected an invalid envelope${decoded.ok ? ', got a valid one' : ''}`);
  if (reason === 'unknown-type') assert.ok(decoded.ok && !handled(decoded.event.type), `${what}: expected an unhandled type`);
  if (reason === 'time-in-future') assert.ok(decoded.ok && Date.parse(decoded.event.time!) > nowMs + FUTURE_MS, `${what}: expected a time beyond the allowance`);
  if (reason === 'action-rejected' || reason === 'action-failed' || reason === 'store-rejected') assert.ok(decoded.ok && handled(decoded.event.type), `${what}: expected a valid envelope the action or its store refuses`);
}

/** The hostile class a label belongs to, for the coverage line. */
function familyOf(label: string): string {
  const bare = label.replace(/^(duplicate of |kpl\/)/, '');
  if (/corrupted aggregate/.test(label)) return 'corrupt KPL aggregate';
  if (/partition key the aggregate lacks/.test(label)) return 'KPL key index missing';
  if (bare.startsWith('lone surrogate in')) return 'lone surrogate in the identity';
  if (bare.startsWith('time ')) return 'future-dated';
  if (bare.startsWith('type ')) return 'unknown type';
  return bare.split('/')[0]!;
}

for (const profile of [ordersProfile, telemetryProfile, noopProfile]) {
  test(`${profile.name} generators: every record is what its label says`, (t) => {
    const labels = new Map<string, number>();
    const samples = fc.sample(scenarios(profile, { ...EVERYTHING, valid: 4 }, { maxRecords: 30, maxBatches: 3, redeliveries: true }), { seed: 42, numRuns: 80 });
    for (const scenario of samples) {
      const nowMs = Date.now();
      const batches = new Materializer('tok', nowMs).scenario(scenario);
      const sent = new Set<string>();
      for (const batch of batches) {
        for (const record of batch.records) {
          deaggregateSync(record.kinesis, true, (error, users) => {
            const inBatch = batch.users.filter((u) => u.sequenceNumber === record.kinesis.sequenceNumber);
            if (error) {
              assert.match(inBatch[0]!.label, /corrupted aggregate|KPL magic number/, `the KPL library refuses a record labelled ${inBatch[0]!.label}`);
              return;
            }
            assert.equal(users!.length, inBatch.length, 'every user record of an aggregate has its label');
            users!.forEach((user, i) => {
              assert.deepEqual(Buffer.from(user.data, 'base64'), inBatch[i]!.bytes);
              assert.equal(user.partitionKey, inBatch[i]!.partitionKey);
            });
          });
        }
        for (const user of batch.users) {
          checkUser(user, profile, nowMs, sent);
          sent.add(user.bytes.toString('hex'));
          const family = user.label.replace(/ \(.*$/, '').replace(/\d+/g, 'N');
          labels.set(family, (labels.get(family) ?? 0) + 1);
        }
      }
    }
    const families = new Map<string, number>();
    for (const label of labels.keys()) families.set(familyOf(label), (families.get(familyOf(label)) ?? 0) + 1);
    t.diagnostic(`${labels.size} record classes: ${[...families].map(([family, n]) => `${family} ${n}`).join(', ')} (plain, in KPL aggregates, duplicated)`);
    for (const family of ['bytes/', 'envelope/', 'json/', 'duplicate of', 'kpl/', 'time ', 'lone surrogate in ']) {
      assert.ok([...labels.keys()].some((l) => l.startsWith(family)), `no ${family} record generated`);
    }
  });
}
