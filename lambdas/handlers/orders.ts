/**
 * Lambda entry of the `orders` pipeline's processor (bundled by the stack with esbuild).
 * Creating the processor only creates the AWS clients; settings are read at the first invocation.
 */
import { createProcessor } from '../processor/processor';
import { orders } from '../actions/orders';

export const handler = createProcessor(orders);
