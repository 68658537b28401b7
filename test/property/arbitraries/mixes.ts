/**
 * The class mixes the properties use: each one aims at one part of the contract, and EVERYTHING
 * throws every class in at once. Classes an action has no use for (unknown types for noop) are
 * left out by the mixer.
 */
import type { ClassWeights } from './scenario';

/** Valid events only, with producer duplicates and KPL aggregates: the baseline that must hold today. */
export const CLEAN: ClassWeights = { valid: 10, aggregate: 2, duplicates: 6 };

/** Bytes and envelopes no action can read, types and data the action refuses, and poison repeated by its producer. */
export const UNREADABLE: ClassWeights = {
  valid: 10,
  exotic: 2,
  bytes: 2,
  invalidEnvelope: 2,
  surrogateIdentity: 1,
  nonObject: 1,
  unknownType: 1,
  rejected: 2,
  aggregate: 2,
  corruptAggregate: 1,
  duplicates: 4,
};

/** Data at the store's edge, and identities no store could key (refused by the envelope), among valid events. */
export const STORE_EDGE: ClassWeights = { valid: 8, storeEdge: 4, surrogateIdentity: 1, aggregate: 1, duplicates: 2 };

/** Data that makes the action's code throw. */
export const ACTION_FAILING: ClassWeights = { valid: 8, failing: 2, aggregate: 1 };

/** Events dated beyond the clock-skew allowance, repeated by their producer too. */
export const FUTURE_DATED: ClassWeights = { valid: 8, future: 3, aggregate: 1, duplicates: 3 };

/** Store-edge data written by one batch and read by the next. */
export const ACROSS_BATCHES: ClassWeights = { valid: 6, storeEdge: 4 };

export const MISSING_PARTITION_KEY: ClassWeights = { valid: 4, aggregate: 1, missingKeyAggregate: 3 };

/** Poison of the simple kinds, for redelivery. */
export const REDELIVERED: ClassWeights = { valid: 6, bytes: 1, invalidEnvelope: 1, unknownType: 1, rejected: 1, aggregate: 1, corruptAggregate: 1, duplicates: 2 };

export const EVERYTHING: ClassWeights = { ...UNREADABLE, valid: 12, storeEdge: 2, failing: 1, future: 1, missingKeyAggregate: 1 };
