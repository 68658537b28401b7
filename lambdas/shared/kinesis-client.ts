/**
 * The one place that knows how this product reaches Kinesis: the standard configuration chain (region,
 * credentials, endpoint from the environment) over HTTP/1.1. kinesis-mock (the local target's Kinesis)
 * answers the SDK's default handler with an HTTP/2 protocol error; AWS accepts HTTP/1.1 for every API
 * except SubscribeToShard. The Lambda code uses it as it is; sdk/clients.ts offers it to every other room.
 */
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';

export interface KinesisClientOptions extends Omit<KinesisClientConfig, 'requestHandler'> {
  /** Timeouts and sockets of the HTTP/1.1 handler. Default: the handler's defaults. */
  readonly http?: NodeHttpHandlerOptions;
}

export function kinesisClient(options: KinesisClientOptions = {}): KinesisClient {
  const { http, ...config } = options;
  return new KinesisClient({ ...config, requestHandler: new NodeHttpHandler(http) });
}
