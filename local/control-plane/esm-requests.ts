/**
 * The Lambda API's checks of Create/UpdateEventSourceMapping requests for a Kinesis source, with AWS's
 * error codes and messages, in AWS's order (so the first problem reported is the one AWS reports).
 * Messages recorded on AWS (LocalStack's snapshots of 2025-11-25): "Unrecognized event source.",
 * "Function does not exist", "Stream not found: <arn>", the StartingPosition null/enum messages, the
 * duplicate mapping's 409, "Unsupported DestinationConfig parameter for given event source mapping type.",
 * "Invalid filter pattern definition.", "The resource you requested does not exist.". Range checks use
 * the "1 validation error detected" format of AWS's model validation with the Lambda model's bounds.
 */
import { AwsApiError } from './http';

/** Bounds of the Lambda API model (botocore's lambda service model). */
const RANGES: Readonly<Record<string, readonly [number, number]>> = {
  BatchSize: [1, 10_000],
  MaximumBatchingWindowInSeconds: [0, 300],
  ParallelizationFactor: [1, 10],
  MaximumRecordAgeInSeconds: [-1, 604_800],
  MaximumRetryAttempts: [-1, 10_000],
  TumblingWindowInSeconds: [0, 900],
};

const STARTING_POSITIONS = ['LATEST', 'AT_TIMESTAMP', 'TRIM_HORIZON'];

/** Settings UpdateEventSourceMapping can change (the API's request members, less FunctionName/UUID). */
export const UPDATABLE = [
  'Enabled',
  'BatchSize',
  'FilterCriteria',
  'MaximumBatchingWindowInSeconds',
  'DestinationConfig',
  'MaximumRecordAgeInSeconds',
  'BisectBatchOnFunctionError',
  'MaximumRetryAttempts',
  'ParallelizationFactor',
  'TumblingWindowInSeconds',
  'FunctionResponseTypes',
  'MetricsConfig',
] as const;

function validation(value: unknown, member: string, constraint: string): AwsApiError {
  const shown = value === null || value === undefined ? 'null' : `'${String(value)}'`;
  return new AwsApiError('ValidationException', `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`);
}

const camel = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

/** Model-level checks shared by Create and Update: types and ranges of the numeric settings. */
export function checkRanges(body: Readonly<Record<string, unknown>>): void {
  for (const [name, [min, max]] of Object.entries(RANGES)) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw validation(value, camel(name), 'Member must be an integer');
    if (value < min) throw validation(value, camel(name), `Member must have value greater than or equal to ${min}`);
    if (value > max) throw validation(value, camel(name), `Member must have value less than or equal to ${max}`);
  }
}

/** CreateEventSourceMapping's checks before the function and the stream are looked up. */
export function checkCreateRequest(body: Readonly<Record<string, unknown>>): void {
  checkDestinationConfig(body.DestinationConfig);
  const source = body.EventSourceArn;
  if (typeof source !== 'string' || source === '') throw new AwsApiError('InvalidParameterValueException', 'Unrecognized event source.');
  if (!/^arn:aws[a-z-]*:kinesis:/.test(source)) {
    throw new AwsApiError('InvalidParameterValueException', `The local target serves Kinesis event source mappings only; not emulated: ${source}`);
  }
  checkRanges(body);
  const position = body.StartingPosition;
  if (position === undefined || position === null || position === '') {
    throw new AwsApiError('InvalidParameterValueException', "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.");
  }
  if (typeof position !== 'string' || !STARTING_POSITIONS.includes(position)) {
    throw validation(position, 'startingPosition', `Member must satisfy enum value set: [${STARTING_POSITIONS.join(', ')}]`);
  }
  if (typeof body.FunctionName !== 'string' || body.FunctionName === '') throw validation(body.FunctionName, 'functionName', 'Member must not be null');
}

/** UpdateEventSourceMapping's checks: known members only, ranges. */
export function checkUpdateRequest(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  checkDestinationConfig(body.DestinationConfig);
  checkRanges(body);
  const changes: Record<string, unknown> = {};
  for (const key of UPDATABLE) if (body[key] !== undefined) changes[key] = body[key];
  return changes;
}

function checkDestinationConfig(config: unknown): void {
  if (typeof config === 'object' && config !== null && 'OnSuccess' in config) {
    throw new AwsApiError('InvalidParameterValueException', 'Unsupported DestinationConfig parameter for given event source mapping type.');
  }
}
