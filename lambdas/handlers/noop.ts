/**
 * Lambda entry of the `noop` pipeline's processor (bundled by the stack with esbuild).
 * Creating the processor only creates the AWS clients; settings are read at the first invocation.
 */
import { createProcessor } from '../processor/processor';
import { noop } from '../actions/noop';

export const handler = createProcessor(noop);
