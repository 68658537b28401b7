/**
 * The mixer: hostile records of every class among an action's valid events, in batches whose
 * records share partition keys, with producer duplicates (the same record again, valid or poison, in
 * the same batch or a later one), KPL aggregates mixing good and bad user records, and redeliveries.
 */
import * as fc from 'fast-check';
import { PoisonReason } from '../../../lambdas/shared/dlq-message';
import { textOf } from '../support/json-text';
import { isEvent, poison, RUN, type BatchPlan, type Expectation, type RecordPlan, type Redelivery, type Scenario, type UserPlan } from '../support/plan';
import { hostileBytes } from './bytes';
import { asIs, exoticEnvelope, futureDated, invalidEnvelope, loneSurrogateIdentity, nonObjectJson, unknownType, type UserTemplate } from './envelopes';
import type { ActionProfile } from './profile';

/** Relative weights of the record classes in a scenario (0 or absent: never). */
export interface ClassWeights {
  readonly valid?: number;
  readonly exotic?: number;
  readonly bytes?: number;
  readonly invalidEnvelope?: number;
  readonly nonObject?: number;
  readonly unknownType?: number;
  readonly rejected?: number;
  readonly storeEdge?: number;
  readonly surrogateIdentity?: number;
  readonly failing?: number;
  readonly future?: number;
  readonly aggregate?: number;
  readonly corruptAggregate?: number;
  readonly missingKeyAggregate?: number;
  /** How many producer duplicates (of valid or poison plain records) at most. */
  readonly duplicates?: number;
}

export interface ScenarioOptions {
  readonly maxRecords: number;
  readonly maxBatches: number;
  /** At least this many batches (consecutive batches on the same entities). Default 1. */
  readonly minBatches?: number;
  /** Whether batches are delivered again after they succeeded (whole, or from a checkpoint). Default false: only the mapping's retries. */
  readonly redeliveries?: boolean;
  /**
   * Whether producer duplicates may repeat poison records too. Default true. Off where the batches are
   * not the plan's (a real event source mapping forms them): a repeat of a poison event is a duplicate
   * inside its original's batch and poison again in another (contract 8).
   */
  readonly poisonRepeats?: boolean;
}

type RecordTemplate = (id: string) => RecordPlan;

/** Partition keys a stranger's producer may use for records that are not events of an entity. */
const hostilePartitionKey = fc.constantFrom('__proto__', 'constructor', ' ', 'k'.repeat(256), '\uffff', '\ud800', '🎉', '\u0000', `${RUN}-stray`);

/** User-record classes of `profile`, weighted; `aggregatable` leaves out what KPL encoding would change (lone surrogates in keys). */
function userTemplates(profile: ActionProfile, weights: ClassWeights, aggregatable: boolean): fc.Arbitrary<UserTemplate> {
  const { valid } = profile;
  const events = fc.oneof(valid, ...(profile.rejected ? [profile.rejected] : []));
  const classes: [number | undefined, () => fc.Arbitrary<UserTemplate>][] = [
    [weights.valid, () => valid.map(asIs)],
    [weights.exotic, () => exoticEnvelope(valid)],
    [weights.bytes, () => hostileBytes(events)],
    [weights.invalidEnvelope, () => invalidEnvelope(events)],
    [weights.nonObject, () => nonObjectJson(events)],
    [profile.handledTypes.length > 0 ? weights.unknownType : 0, () => unknownType(valid, profile.handledTypes)],
    [profile.rejected ? weights.rejected : 0, () => profile.rejected!.map(asIs)],
    [profile.storeEdge ? weights.storeEdge : 0, () => profile.storeEdge!.map(asIs)],
    [aggregatable ? 0 : weights.surrogateIdentity, () => loneSurrogateIdentity(events)],
    [profile.failing ? weights.failing : 0, () => profile.failing!.map(asIs)],
    [weights.future, () => futureDated(valid)],
  ];
  const weighted = classes.filter(([weight]) => (weight ?? 0) > 0).map(([weight, arbitrary]) => ({ weight: weight!, arbitrary: arbitrary() }));
  if (weighted.length === 0) throw new Error('no record class has a weight');
  return fc.oneof(...weighted);
}

function plain(profile: ActionProfile, weights: ClassWeights): fc.Arbitrary<RecordTemplate> {
  // A third of the poison records move to a stray key; the rest share their entity's key with its events.
  const strayKey = fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: hostilePartitionKey });
  return fc.tuple(userTemplates(profile, weights, false), strayKey).map(
    ([template, key]): RecordTemplate =>
      (id) => {
        const user = template(id);
        // Only poison may move to a stray key: what is applied keeps its entity's key (and order).
        const moved = key !== null && user.expect.kind === 'poison' ? { ...user, partitionKey: key } : user;
        return { kind: 'plain', user: moved };
      },
  );
}

/** What a user record weighs in an aggregate (its text, before the RUN token and times are set). */
function plannedBytes(user: UserPlan): number {
  const { payload } = user;
  if ('hex' in payload) return payload.hex.length / 2;
  return textOf('text' in payload ? payload.text : payload.truncated).length * 3;
}

/** A Kinesis record (so an aggregate) holds at most 1 MiB; leave room for keys and framing. */
const MAX_AGGREGATE_BYTES = 900 * 1024;

function aggregated(profile: ActionProfile, weights: ClassWeights): fc.Arbitrary<UserTemplate[]> {
  return fc
    .array(userTemplates(profile, weights, true), { minLength: 1, maxLength: 5 })
    .filter((templates) => templates.reduce((n, t) => n + plannedBytes(t('size')), 0) <= MAX_AGGREGATE_BYTES);
}

const users = (templates: readonly UserTemplate[], id: string): UserPlan[] => templates.map((t, j) => t(`${id}.${j}`));

function recordTemplates(profile: ActionProfile, weights: ClassWeights): fc.Arbitrary<RecordTemplate> {
  const undecodable = poison(PoisonReason.Undecodable);
  const kinds: { weight: number; arbitrary: fc.Arbitrary<RecordTemplate> }[] = [{ weight: 20, arbitrary: plain(profile, weights) }];
  if (weights.aggregate) {
    kinds.push({ weight: weights.aggregate, arbitrary: aggregated(profile, weights).map((templates): RecordTemplate => (id) => ({ kind: 'aggregate', users: users(templates, id) })) });
  }
  if (weights.corruptAggregate) {
    kinds.push({
      weight: weights.corruptAggregate,
      arbitrary: fc
        .tuple(aggregated(profile, weights), fc.constantFrom('checksum' as const, 'truncated' as const, 'garbage' as const))
        .map(([templates, corruption]): RecordTemplate => (id) => ({ kind: 'corrupt-aggregate', users: users(templates, id), corruption })),
    });
  }
  if (weights.missingKeyAggregate) {
    kinds.push({
      weight: weights.missingKeyAggregate,
      arbitrary: fc.tuple(aggregated(profile, weights), userTemplates(profile, { valid: 1 }, true)).map(
        ([templates, lost]): RecordTemplate =>
          (id) => {
            const stray = lost(`${id}.lost`);
            const missing = { ...stray, label: `kpl/user record naming a partition key the aggregate lacks (${stray.label})`, expect: undecodable, missingKey: true as const };
            return { kind: 'aggregate', users: [...users(templates, id), missing] };
          },
      ),
    });
  }
  return fc.oneof(...kinds);
}

const redelivery: fc.Arbitrary<Redelivery> = fc.oneof(fc.constant({ kind: 'full' as const }), fc.nat().map((from) => ({ kind: 'tail' as const, from })));

type Plain = Extract<RecordPlan, { kind: 'plain' }>;

/** Whether a plain record may be repeated by a producer: valid ones, and (`poisonRepeats`) poison ones. */
function repeatable(record: RecordPlan, poisonRepeats: boolean): record is Plain {
  if (record.kind !== 'plain') return false;
  return record.user.expect.kind === 'valid' || (poisonRepeats && record.user.expect.kind === 'poison');
}

/** Copies of earlier plain records (producer retries: same bytes, same key) inserted after them; each copy → its original. */
function withDuplicates(records: RecordPlan[], picks: readonly [number, number][], poisonRepeats: boolean): { records: RecordPlan[]; originals: Map<RecordPlan, Plain> } {
  const out = [...records];
  const originals = new Map<RecordPlan, Plain>();
  for (const [pick, offset] of picks) {
    const candidates = out.flatMap((r, i) => (repeatable(r, poisonRepeats) && !originals.has(r) ? [i] : []));
    if (candidates.length === 0) break;
    const source = candidates[pick % candidates.length]!;
    const original = out[source] as Plain;
    const at = source + 1 + (offset % (out.length - source));
    const copy: Plain = { kind: 'plain', user: { ...original.user, label: `duplicate of ${original.user.label}` } };
    out.splice(at, 0, copy);
    originals.set(copy, original);
  }
  return { records: out, originals };
}

/** Where the batches start and end (the last bound is the record count). */
function batchBounds(count: number, cuts: readonly number[], minBatches: number): number[] {
  const chosen = new Set(cuts.map((c) => 1 + (c % Math.max(1, count - 1))));
  // Evenly spaced cuts until there are enough batches (records permitting).
  for (let k = 1; chosen.size < minBatches - 1 && k < minBatches; k++) chosen.add(Math.floor((k * count) / minBatches));
  const positions = [...chosen].filter((p) => p > 0 && p < count).sort((a, b) => a - b);
  return [0, ...positions, count];
}

/**
 * What the contract expects of a producer's repeat, once batches are known:
 * - of a valid event: a duplicate (its key is completed, or an earlier record of the batch holds it);
 * - of a record that is no event (undecodable, invalid envelope: no idempotency key): poison again;
 * - of a poison event: a duplicate of the earlier record of its key in its batch (the original or
 *   another repeat: contract 8, the DLQ holds the event once); the first of its key in its batch, it
 *   is a new record, dead-lettered at its own position (contract 8). A redelivery from a checkpoint
 *   after those earlier records makes it the first of its key in that delivery.
 * `earlier`: indices, in the batch, of the records before it with its key.
 */
function repeatExpectation(original: Plain, earlier: readonly number[], index: number, redeliveries: readonly Redelivery[]): Expectation {
  const expect = original.user.expect;
  if (expect.kind === 'valid') return { kind: 'duplicate' };
  if (!isEvent(expect) || earlier.length === 0) return expect;
  const last = Math.max(...earlier);
  const firstInSomeDelivery = redeliveries.some((r) => r.kind === 'tail' && r.from > last && r.from <= index);
  return firstInSomeDelivery ? expect : { kind: 'duplicate' };
}

function intoBatches(records: RecordPlan[], originals: ReadonlyMap<RecordPlan, Plain>, cuts: readonly number[], redeliveries: readonly (readonly Redelivery[])[], minBatches: number): BatchPlan[] {
  const bounds = batchBounds(records.length, cuts, minBatches);
  return bounds.slice(1).map((end, b) => {
    const slice = records.slice(bounds[b], end);
    const again = (redeliveries[b] ?? []).map((r): Redelivery => (r.kind === 'tail' ? { kind: 'tail', from: r.from % slice.length } : r));
    /** Same record of origin: the original itself, or a repeat of it. */
    const originOf = (record: RecordPlan): RecordPlan => originals.get(record) ?? record;
    return {
      records: slice.map((record, index) => {
        const original = originals.get(record);
        if (!original) return record;
        const earlier = slice.flatMap((other, i) => (i < index && originOf(other) === original ? [i] : []));
        return { kind: 'plain', user: { ...(record as Plain).user, expect: repeatExpectation(original, earlier, index, again) } };
      }),
      redeliveries: again,
    };
  });
}

/** Scenarios for `profile`: up to `maxRecords` (≤ 100) Kinesis records in up to `maxBatches` consecutive batches. */
export function scenarios(profile: ActionProfile, weights: ClassWeights, options: ScenarioOptions): fc.Arbitrary<Scenario> {
  return fc
    .record({
      // 'medium': batches of tens of records even in a short run (fast-check's default keeps arrays under ten).
      templates: fc.array(recordTemplates(profile, weights), { minLength: options.minBatches ?? 1, maxLength: options.maxRecords, size: 'medium' }),
      duplicates: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: weights.duplicates ?? 0 }),
      cuts: fc.array(fc.nat(), { maxLength: options.maxBatches - 1 }),
      redeliveries: fc.array(fc.array(redelivery, { minLength: options.redeliveries ? 1 : 0, maxLength: options.redeliveries ? 2 : 0 }), { minLength: options.maxBatches, maxLength: options.maxBatches }),
    })
    .map(({ templates, duplicates, cuts, redeliveries }) => {
      const { records, originals } = withDuplicates(
        templates.map((t, i) => t(`e${i}`)),
        duplicates,
        options.poisonRepeats ?? true,
      );
      return { batches: intoBatches(records.slice(0, options.maxRecords), originals, cuts, redeliveries, options.minBatches ?? 1) };
    });
}
