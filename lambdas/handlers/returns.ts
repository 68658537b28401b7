/**
 * Lambda entry of the `returns` pipeline's processor (bundled by the stack with esbuild): Kinesis
 * batches from the event source mapping, and the EventBridge schedule that runs the window closer.
 * Creating the processor only creates the AWS clients; settings are read at the first invocation.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { createProcessor, defaultClients } from '../processor/processor';
import { returns } from '../actions/returns';
import { kinesisClient } from '../shared/kinesis-client';

export const handler = createProcessor(returns(new SNSClient({})), { clients: { ...defaultClients(), kinesis: kinesisClient() } });
