/**
 * The one way this product makes a Kinesis client: the standard configuration chain (region,
 * credentials, endpoint from the environment) over HTTP/1.1. kinesis-mock (the local target's Kinesis)
 * answers the SDK's default handler with an HTTP/2 protocol error; AWS accepts both.
 */
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export function kinesisClient(config: KinesisClientConfig = {}): KinesisClient {
  return new KinesisClient({ requestHandler: new NodeHttpHandler(), ...config });
}
