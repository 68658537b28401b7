/**
 * The built-in actions, a contract between the configuration, the stack and the Lambda code: a pipeline's
 * `action` names one (lib/config/schema.ts), the stack bundles its entry `lambdas/handlers/<name>.ts`, and
 * producers (the example events, the `load` command, the `npm start` workloads) send the event types it reads.
 *
 * Names with one meaning each: an action's *name* says which built-in action a pipeline runs (`ActionName`);
 * an action's *kind* says how its effect is made idempotent (`ActionKind`, the `kind` of lambdas/actions/action.ts).
 */

/** The actions shipped with the product; each has its Lambda entry in `lambdas/handlers/<name>.ts`. */
export const ACTION_NAMES = ['orders', 'telemetry', 'noop'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/**
 * How an action's effect is made idempotent: `transactional` (its whole effect is one state item, written in
 * the idempotency key's transaction: exactly once) or `external` (the effect leaves DynamoDB: at least once,
 * duplicates suppressed). See lambdas/actions/action.ts.
 */
export type ActionKind = 'transactional' | 'external';

/** Event types the `orders` action reads. */
export const OrderEventType = { StatusChanged: 'order.status-changed' } as const;

/** Event types the `telemetry` action reads. */
export const TelemetryEventType = { Reading: 'equipment.reading' } as const;
