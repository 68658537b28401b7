/**
 * The control plane of the embedded local AWS: one HTTP server on 127.0.0.1 (a free port) serving the
 * Lambda API subset (paths under /2015-03-31/) and the CloudWatch API subset (POST / with
 * `X-Amz-Target: GraniteServiceVersion20100801.<Op>`), so AWS_ENDPOINT_URL_LAMBDA and
 * AWS_ENDPOINT_URL_CLOUDWATCH can both point at it and the AWS SDK clients work unchanged.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlarmEvaluator, MetricStore } from '../cloudwatch';
import type { FunctionInvoker } from '../contracts';
import type { EventSourceMappingRegistry } from '../event-source';
import { CLOUDWATCH_TARGET_PREFIX, handleCloudWatch } from './cloudwatch-api';
import { AwsApiError, parseJsonBody, readBody, sendJson } from './http';
import { handleLambda, isLambdaRequest, type ControlPlaneFunction, type FunctionStore } from './lambda-api';

export type { ControlPlaneFunction, FunctionStore, NewFunction } from './lambda-api';

export interface ControlPlaneOptions {
  /** The deployed functions (the deploy step's function models fit as they are). */
  readonly functions: () => readonly ControlPlaneFunction[];
  /** Where CreateFunction/DeleteFunction take effect. Default: refused. */
  readonly functionStore?: FunctionStore;
  readonly invoker: FunctionInvoker;
  readonly mappings: EventSourceMappingRegistry;
  readonly metrics: MetricStore;
  readonly alarms: AlarmEvaluator;
  /** Server-side failures and failed asynchronous invocations, one line each. Default: stderr. */
  readonly log?: (line: string) => void;
  /** Port to listen on. Default: a free one. */
  readonly port?: number;
}

export interface ControlPlane {
  /** http://127.0.0.1:PORT, serving both APIs. */
  readonly endpoint: string;
  /** The same, per service: for AWS_ENDPOINT_URL_LAMBDA and AWS_ENDPOINT_URL_CLOUDWATCH. */
  readonly endpoints: { readonly lambda: string; readonly cloudwatch: string };
  readonly port: number;
  /** Closes the server and its connections. Idempotent. */
  stop(): Promise<void>;
}

const JSON_1_0 = 'application/x-amz-json-1.0';

/** CloudWatch's query error codes and the exception shapes the SDK names them by. */
const CLOUDWATCH_ERROR_SHAPES: Record<string, string> = {
  InvalidParameterValue: 'InvalidParameterValueException',
  MissingParameter: 'MissingRequiredParameterException',
  InvalidParameterCombination: 'InvalidParameterCombinationException',
  InternalServiceError: 'InternalServiceFault',
};

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const server = createServer((request, response) => {
    void route(options, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: url,
    endpoints: { lambda: url, cloudwatch: url },
    port,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

async function route(options: ControlPlaneOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const target = String(request.headers['x-amz-target'] ?? '');
  const isCloudWatch = target.startsWith(CLOUDWATCH_TARGET_PREFIX);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const label = isCloudWatch ? `cloudwatch ${target.slice(CLOUDWATCH_TARGET_PREFIX.length)}` : `lambda ${request.method} ${url.pathname}`;
  try {
    if (isCloudWatch) {
      const operation = target.slice(CLOUDWATCH_TARGET_PREFIX.length);
      const result = await handleCloudWatch({ store: options.metrics, alarms: options.alarms }, operation, parseJsonBody(await readBody(request)));
      sendJson(response, 200, result, JSON_1_0);
    } else if (isLambdaRequest(url)) {
      await handleLambda({ functions: options.functions, ...(options.functionStore ? { functionStore: options.functionStore } : {}), invoker: options.invoker, mappings: options.mappings, log }, request, response, url);
    } else if (String(request.headers['content-type'] ?? '').includes('x-www-form-urlencoded')) {
      throw new AwsApiError('InvalidAction', 'The local CloudWatch speaks AWS JSON 1.0 (X-Amz-Target), as @aws-sdk/client-cloudwatch does; the query protocol is not served');
    } else {
      throw new AwsApiError('UnknownOperationException', `${request.method} ${url.pathname} is neither a Lambda nor a CloudWatch request`, 404);
    }
  } catch (error) {
    const apiError = error instanceof AwsApiError ? error : new AwsApiError(isCloudWatch ? 'InternalServiceError' : 'ServiceException', error instanceof Error ? error.message : String(error), 500, 'Receiver');
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (isCloudWatch) {
      // AWS JSON 1.0 with query-compatible errors: the SDK names the exception after __type / x-amzn-query-error.
      sendJson(response, apiError.status, { __type: `com.amazonaws.cloudwatch#${CLOUDWATCH_ERROR_SHAPES[apiError.code] ?? apiError.code}`, message: apiError.message }, JSON_1_0, {
        'x-amzn-query-error': `${apiError.code};${apiError.fault}`,
      });
    } else {
      sendJson(response, apiError.status, { Type: apiError.fault === 'Sender' ? 'User' : 'Service', Message: apiError.message, message: apiError.message }, 'application/json', {
        'x-amzn-errortype': apiError.code,
      });
    }
    if (apiError.status >= 500) log(`[control-plane] ${label} failed: ${apiError.message}`);
  }
}
