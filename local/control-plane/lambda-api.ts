/**
 * A subset of the Lambda API (REST-JSON, version 2015-03-31) over the local runtime and event source
 * mappings, so `@aws-sdk/client-lambda` works unchanged: ListFunctions, GetFunction, Invoke
 * (RequestResponse, Event, DryRun), ListEventSourceMappings, GetEventSourceMapping and
 * UpdateEventSourceMapping (the Enabled switch only).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionInvoker } from '../contracts';
import type { EventSourceMappingRegistry } from '../event-source';
import { AwsApiError, parseJsonBody, readBody, sendJson } from './http';

/** What ListFunctions shows of a function (the deploy step's function model fits it as it is). */
export interface ControlPlaneFunction {
  readonly functionName: string;
  readonly arn: string;
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly architectures: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly roleArn?: string;
}

export interface LambdaApiOptions {
  readonly functions: () => readonly ControlPlaneFunction[];
  readonly invoker: FunctionInvoker;
  readonly mappings: EventSourceMappingRegistry;
  /** Where asynchronous (Event) invocation failures are reported. Default stderr. */
  readonly log?: (line: string) => void;
}

const PREFIX = '/2015-03-31';

export function isLambdaRequest(url: URL): boolean {
  return url.pathname.startsWith(`${PREFIX}/`);
}

export async function handleLambda(options: LambdaApiOptions, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname.slice(PREFIX.length).replace(/\/$/, '');
  const method = request.method ?? 'GET';
  let match: RegExpExecArray | null;

  if (method === 'GET' && path === '/functions') {
    return sendJson(response, 200, page(options.functions().map(functionConfiguration), url, 'Functions'));
  }
  if (method === 'GET' && (match = /^\/functions\/([^/]+)$/.exec(path))) {
    const fn = findFunction(options, decodeURIComponent(match[1] as string));
    return sendJson(response, 200, { Configuration: functionConfiguration(fn), Code: { RepositoryType: 'S3' } });
  }
  if (method === 'POST' && (match = /^\/functions\/([^/]+)\/invocations$/.exec(path))) {
    return invoke(options, request, response, decodeURIComponent(match[1] as string));
  }
  if (method === 'GET' && path === '/event-source-mappings') {
    const functionName = url.searchParams.get('FunctionName') ?? undefined;
    const eventSourceArn = url.searchParams.get('EventSourceArn') ?? undefined;
    const filter = { ...(functionName ? { functionName: findFunction(options, functionName).functionName } : {}), ...(eventSourceArn ? { eventSourceArn } : {}) };
    return sendJson(response, 200, page(options.mappings.list(filter).map((m) => m.describe()), url, 'EventSourceMappings'));
  }
  if ((match = /^\/event-source-mappings\/([^/]+)$/.exec(path))) {
    const uuid = decodeURIComponent(match[1] as string);
    const mapping = options.mappings.get(uuid);
    if (!mapping) throw new AwsApiError('ResourceNotFoundException', `The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${crypto.randomUUID()})`, 404);
    if (method === 'GET') return sendJson(response, 200, mapping.describe());
    if (method === 'PUT') {
      const body = parseJsonBody(await readBody(request));
      const unsupported = Object.keys(body).filter((k) => k !== 'Enabled' && k !== 'UUID');
      if (unsupported.length > 0) {
        throw new AwsApiError('InvalidParameterValueException', `The local target can only switch Enabled; not supported here: ${unsupported.join(', ')}`);
      }
      if (typeof body.Enabled === 'boolean') {
        // Like AWS, answer at once with the transitional state (Enabling/Disabling); it settles in the background.
        const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
        mapping.setEnabled(body.Enabled).catch((error: unknown) => log(`[lambda] switching mapping ${uuid} failed: ${error instanceof Error ? error.message : String(error)}`));
      }
      return sendJson(response, 202, mapping.describe());
    }
  }
  throw new AwsApiError('UnknownOperationException', `${method} ${url.pathname} is not part of the local Lambda API`, 404);
}

async function invoke(options: LambdaApiOptions, request: IncomingMessage, response: ServerResponse, name: string): Promise<void> {
  const fn = findFunction(options, name);
  const body = await readBody(request);
  let event: unknown;
  try {
    event = body === '' ? {} : JSON.parse(body);
  } catch {
    throw new AwsApiError('InvalidRequestContentException', 'Could not parse request body into json: the payload is not valid JSON');
  }
  const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  if (type === 'DryRun') return sendJson(response, 204, undefined);
  if (type === 'Event') {
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    options.invoker.invoke(fn.functionName, event).then(
      (result) => {
        if (result.kind === 'functionError') log(`[lambda] async invocation of ${fn.functionName} failed: ${result.errorType}: ${result.errorMessage}`);
      },
      (error: unknown) => log(`[lambda] async invocation of ${fn.functionName} could not run: ${error instanceof Error ? error.message : String(error)}`),
    );
    return sendJson(response, 202, undefined);
  }
  if (type !== 'RequestResponse') throw new AwsApiError('InvalidParameterValueException', `Invalid InvocationType ${type}`);
  const result = await options.invoker.invoke(fn.functionName, event);
  const headers = { 'x-amz-executed-version': '$LATEST' };
  if (result.kind === 'functionError') {
    return sendJson(response, 200, { errorType: result.errorType, errorMessage: result.errorMessage, trace: [] }, 'application/json', { ...headers, 'x-amz-function-error': result.functionError });
  }
  // A handler returning undefined answers `null`, as on AWS.
  return sendJson(response, 200, result.payload === undefined ? null : result.payload, 'application/json', headers);
}

function findFunction(options: LambdaApiOptions, nameOrArn: string): ControlPlaneFunction {
  // Accept a name, a full ARN or a partial ARN, with or without the $LATEST qualifier.
  const unqualified = nameOrArn.replace(/:\$LATEST$/, '');
  const fn = options.functions().find((f) => f.functionName === unqualified || f.arn === unqualified || f.arn.endsWith(`:${unqualified}`));
  if (!fn) throw new AwsApiError('ResourceNotFoundException', `Function not found: ${nameOrArn}`, 404);
  return fn;
}

function functionConfiguration(fn: ControlPlaneFunction): Record<string, unknown> {
  return {
    FunctionName: fn.functionName,
    FunctionArn: fn.arn,
    Runtime: fn.runtime,
    ...(fn.roleArn ? { Role: fn.roleArn } : {}),
    Handler: fn.handler,
    Timeout: fn.timeoutSeconds,
    MemorySize: fn.memoryMb,
    Version: '$LATEST',
    Environment: { Variables: { ...fn.environment } },
    Architectures: [...fn.architectures],
    PackageType: 'Zip',
    State: 'Active',
    LastUpdateStatus: 'Successful',
  };
}

/** Marker/MaxItems paging as the Lambda list APIs do it (the marker is an index). */
function page<T>(items: readonly T[], url: URL, key: string): Record<string, unknown> {
  const start = Number(url.searchParams.get('Marker') ?? 0) || 0;
  const max = Math.min(Number(url.searchParams.get('MaxItems') ?? 50) || 50, 10_000);
  const slice = items.slice(start, start + max);
  return { [key]: slice, ...(start + max < items.length ? { NextMarker: String(start + max) } : {}) };
}
