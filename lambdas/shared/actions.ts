/**
 * The built-in actions, a contract between the configuration, the stack and the Lambda code: a pipeline's
 * `action` names one (lib/config/schema.ts) and the stack bundles its entry `lambdas/handlers/<name>.ts`.
 * What each action reads and publishes is its own contract beside this one (./orders-events.ts,
 * ./telemetry-events.ts, ./returns-events.ts), kept apart so that a bundle carries only its own action's.
 *
 * Names with one meaning each: an action's *name* says which built-in action a pipeline runs (`ActionName`);
 * an action's *kind* says how its effect is made idempotent (`ActionKind`, the `kind` of lambdas/actions/action.ts).
 */

/** The actions shipped with the product; each has its Lambda entry in `lambdas/handlers/<name>.ts`. */
export const ACTION_NAMES = ['orders', 'telemetry', 'returns', 'noop'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** Actions that count over event-time windows: they take the `windows` section and a scheduled closer. */
export const WINDOWED_ACTIONS: readonly ActionName[] = ['returns'];

/**
 * How an action's effect is made idempotent: `transactional` (its whole effect is one state item, written in
 * the idempotency key's transaction: exactly once), `external` (the effect leaves DynamoDB: at least once,
 * duplicates suppressed) or `windowed` (counts over event-time windows, committed with the keys: exactly
 * once). See lambdas/actions/action.ts.
 */
export type ActionKind = 'transactional' | 'external' | 'windowed';

/**
 * The kinds an action from the user's own code may have (a pipeline's `action: { entry, kind }`): windowed
 * actions need the `windows` section and a closer schedule, which only the built-in `returns` has so far.
 */
export const CUSTOM_ACTION_KINDS = ['transactional', 'external'] as const satisfies readonly ActionKind[];
export type CustomActionKind = (typeof CUSTOM_ACTION_KINDS)[number];
