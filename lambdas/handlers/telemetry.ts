/**
 * Lambda entry of the `telemetry` pipeline's processor (bundled by the stack with esbuild).
 * Creating the processor only creates the AWS clients; settings are read at the first invocation.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { createProcessor } from '../processor/processor';
import { telemetry } from '../actions/telemetry';

export const handler = createProcessor(telemetry(new SNSClient({})));
