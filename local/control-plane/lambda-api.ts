/**
 * A subset of the Lambda API (REST-JSON, version 2015-03-31) over the local runtime and event source
 * mappings, so `@aws-sdk/client-lambda` works unchanged: CreateFunction (Node.js .zip packages) and
 * DeleteFunction, ListFunctions, GetFunction, Invoke (RequestResponse, Event, DryRun), and the event
 * source mapping calls Create, Get, List, Update (every setting) and Delete, with AWS's checks and
 * messages (./esm-requests.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionInvoker } from '../contracts';
import { InvalidFilterError, MappingConflictError, RecordFilter, StreamNotFoundError, type EventSourceMappingRegistry } from '../event-source';
import { checkCreateRequest, checkUpdateRequest } from './esm-requests';
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

/** A function as CreateFunction asks for it (a Node.js .zip package). */
export interface NewFunction {
  readonly functionName: string;
  readonly runtime: string;
  readonly handler: string;
  readonly roleArn: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly architectures: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly zip: Uint8Array;
}

/** Where CreateFunction and DeleteFunction take effect (the local target runs them in its runtime). */
export interface FunctionStore {
  create(fn: NewFunction): Promise<ControlPlaneFunction>;
  /** False if no such function exists. */
  delete(functionName: string): Promise<boolean>;
}

export interface LambdaApiOptions {
  readonly functions: () => readonly ControlPlaneFunction[];
  /** Without it, CreateFunction and DeleteFunction are refused. */
  readonly functionStore?: FunctionStore;
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

  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  if (method === 'GET' && path === '/functions') {
    return sendJson(response, 200, page(options.functions().map(functionConfiguration), url, 'Functions'));
  }
  if (method === 'POST' && path === '/functions') {
    return createFunction(options, parseJsonBody(await readBody(request)), response);
  }
  if (method === 'GET' && (match = /^\/functions\/([^/]+)$/.exec(path))) {
    const fn = findFunction(options, decodeURIComponent(match[1] as string));
    return sendJson(response, 200, { Configuration: functionConfiguration(fn), Code: { RepositoryType: 'S3' } });
  }
  if (method === 'DELETE' && (match = /^\/functions\/([^/]+)$/.exec(path))) {
    const fn = findFunction(options, decodeURIComponent(match[1] as string));
    if (!options.functionStore) throw new AwsApiError('InvalidParameterValueException', 'This local target runs the deployed functions only: DeleteFunction is not served');
    await options.functionStore.delete(fn.functionName);
    return sendJson(response, 204, undefined);
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
  if (method === 'POST' && path === '/event-source-mappings') {
    return sendJson(response, 202, await createMapping(options, parseJsonBody(await readBody(request)), log));
  }
  if ((match = /^\/event-source-mappings\/([^/]+)$/.exec(path))) {
    const uuid = decodeURIComponent(match[1] as string);
    const mapping = options.mappings.get(uuid);
    if (!mapping) throw new AwsApiError('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
    if (method === 'GET') return sendJson(response, 200, mapping.describe());
    if (method === 'DELETE') return sendJson(response, 202, options.mappings.delete(uuid, log));
    if (method === 'PUT') {
      const body = parseJsonBody(await readBody(request));
      const changes = checkUpdateRequest(body);
      checkFilter(changes.FilterCriteria);
      if (typeof body.FunctionName === 'string' && body.FunctionName !== '') {
        // Pointing the mapping at another function is an update like any other (AWS allows it).
        const fn = lookupFunction(options, body.FunctionName);
        if (!fn) throw new AwsApiError('InvalidParameterValueException', 'Function does not exist');
        if (fn.arn !== mapping.config.FunctionArn) Object.assign(changes, { FunctionName: fn.functionName, FunctionArn: fn.arn });
      }
      const settings = Object.keys(changes).filter((k) => k !== 'Enabled');
      let settling: Promise<void>;
      try {
        // update() checks the new settings as a whole before anything changes (and throws if they fail).
        settling = settings.length > 0 ? mapping.update(changes) : typeof changes.Enabled === 'boolean' ? mapping.setEnabled(changes.Enabled) : Promise.resolve();
      } catch (error) {
        throw invalidMapping(error);
      }
      // Like AWS, answer at once with the transitional state (Enabling/Disabling/Updating); it settles in the background.
      settling.catch((error: unknown) => log(`[lambda] updating mapping ${uuid} failed: ${error instanceof Error ? error.message : String(error)}`));
      return sendJson(response, 202, mapping.describe());
    }
  }
  throw new AwsApiError('UnknownOperationException', `${method} ${url.pathname} is not part of the local Lambda API`, 404);
}

/** CreateEventSourceMapping: AWS's checks in AWS's order, then the same registry path as the template's mappings. */
async function createMapping(options: LambdaApiOptions, body: Record<string, unknown>, log: (line: string) => void): Promise<unknown> {
  checkCreateRequest(body);
  checkFilter(body.FilterCriteria);
  const name = String(body.FunctionName);
  const fn = lookupFunction(options, name);
  if (!fn) throw new AwsApiError('InvalidParameterValueException', 'Function does not exist');
  const { FunctionName: _name, Tags: _tags, ...settings } = body;
  try {
    return await options.mappings.create({ ...settings, FunctionName: fn.functionName, FunctionArn: fn.arn }, log);
  } catch (error) {
    if (error instanceof MappingConflictError) throw new AwsApiError('ResourceConflictException', error.message, 409);
    if (error instanceof StreamNotFoundError) throw new AwsApiError('InvalidParameterValueException', error.message);
    throw invalidMapping(error);
  }
}

function checkFilter(criteria: unknown): void {
  try {
    RecordFilter.compile(criteria);
  } catch (error) {
    if (error instanceof InvalidFilterError) throw new AwsApiError('InvalidParameterValueException', error.message);
    throw error;
  }
}

/** A setting the local mapping refuses after AWS's checks passed (e.g. TumblingWindowInSeconds, not emulated). */
function invalidMapping(error: unknown): AwsApiError {
  return error instanceof AwsApiError ? error : new AwsApiError('InvalidParameterValueException', error instanceof Error ? error.message : String(error));
}

const NODE_RUNTIME = /^nodejs\d+\.x$/;

/** CreateFunction for a Node.js .zip package; answers 201 with the configuration in state Pending, as AWS does. */
async function createFunction(options: LambdaApiOptions, body: Record<string, unknown>, response: ServerResponse): Promise<void> {
  if (!options.functionStore) throw new AwsApiError('InvalidParameterValueException', 'This local target runs the deployed functions only: CreateFunction is not served');
  const functionName = typeof body.FunctionName === 'string' ? body.FunctionName : '';
  if (!/^[a-zA-Z0-9-_]{1,64}$/.test(functionName)) {
    throw new AwsApiError('ValidationException', `1 validation error detected: Value '${functionName}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+`);
  }
  if (options.functions().some((f) => f.functionName === functionName)) throw new AwsApiError('ResourceConflictException', `Function already exist: ${functionName}`, 409);
  const runtime = typeof body.Runtime === 'string' ? body.Runtime : '';
  if ((body.PackageType ?? 'Zip') !== 'Zip' || !NODE_RUNTIME.test(runtime)) {
    throw new AwsApiError('InvalidParameterValueException', `The local Lambda runtime runs Node.js .zip packages only (runtime nodejsNN.x); not ${String(body.PackageType ?? 'Zip')} ${runtime || '(no runtime)'}`);
  }
  const code = (body.Code ?? {}) as { ZipFile?: unknown };
  if (typeof code.ZipFile !== 'string') throw new AwsApiError('InvalidParameterValueException', 'The local target takes the code as Code.ZipFile (S3 buckets and images are not emulated)');
  if (typeof body.Role !== 'string' || body.Role === '') throw new AwsApiError('ValidationException', "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null");
  const variables = ((body.Environment ?? {}) as { Variables?: Record<string, unknown> }).Variables ?? {};
  const fn = await options.functionStore
    .create({
    functionName,
    runtime,
    handler: typeof body.Handler === 'string' ? body.Handler : 'index.handler',
    roleArn: body.Role,
    timeoutSeconds: typeof body.Timeout === 'number' ? body.Timeout : 3,
    memoryMb: typeof body.MemorySize === 'number' ? body.MemorySize : 128,
    architectures: Array.isArray(body.Architectures) ? (body.Architectures as string[]) : ['x86_64'],
    environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
    zip: Buffer.from(code.ZipFile, 'base64'),
    })
    .catch((error: unknown) => {
      throw new AwsApiError('InvalidParameterValueException', error instanceof Error ? error.message : String(error));
    });
  return sendJson(response, 201, { ...functionConfiguration(fn), State: 'Pending', StateReason: 'The function is being created.', StateReasonCode: 'Creating', LastUpdateStatus: 'InProgress' });
}

function unqualified(nameOrArn: string): string {
  return nameOrArn.replace(/:\$LATEST$/, '');
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

/** A name, a full ARN or a partial ARN, with or without the $LATEST qualifier. */
function lookupFunction(options: LambdaApiOptions, nameOrArn: string): ControlPlaneFunction | undefined {
  const name = unqualified(nameOrArn);
  return options.functions().find((f) => f.functionName === name || f.arn === name || f.arn.endsWith(`:${name}`));
}

function findFunction(options: LambdaApiOptions, nameOrArn: string): ControlPlaneFunction {
  const fn = lookupFunction(options, nameOrArn);
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
