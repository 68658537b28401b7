/**
 * The no-op action: every event type is accepted and only its idempotency key is committed. It is
 * the baseline of the benchmark (what the processor itself costs) and a template for new actions.
 */
import type { ActionFactory, TransactionalAction } from './action';

export const noopAction: TransactionalAction = {
  kind: 'transactional',
  eventTypes: '*',
  stateKey: () => undefined,
  decide: () => ({ kind: 'none' }),
};

export const noop: ActionFactory = () => noopAction;
