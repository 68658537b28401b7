/**
 * The processor's public surface (`stream-pipeline/processor`): what a Lambda entry of the user's own
 * project imports to run an action of theirs with the product's guarantees (idempotency, per-key order,
 * DLQ, metrics): `export const handler = createProcessor(myAction)`, as lambdas/handlers/*.ts do for the
 * built-in actions. Everything else in lambdas/ is internal.
 */
export { createProcessor, defaultClients, type LambdaContext, type ProcessorDependencies, type ProcessorHandler } from './processor';
export type { ProcessorSettings } from './settings';
export type { UserRecord } from './records';
export { ConcurrentUpdateError, PoisonEventError, ProcessorError, SettingsError, StoreRejectedError } from './errors';
export {
  handlesType,
  type Action,
  type ActionClients,
  type ActionEvent,
  type ActionFactory,
  type Decision,
  type ExternalAction,
  type ExternalOutcome,
  type StateAccess,
  type StateItem,
  type TransactionalAction,
} from '../actions/action';
export type { ActionKind, CustomActionKind } from '../shared/actions';
export type { CloudEvent } from '../shared/envelope';
