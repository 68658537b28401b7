/** The bits of HTTP both APIs share: reading a request body, AWS-shaped errors, JSON replies. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error the SDK turns into the named exception (`name`), with the HTTP status AWS uses. */
export class AwsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly fault: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJsonBody(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AwsApiError('SerializationException', 'the request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AwsApiError('SerializationException', 'the request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

export function sendJson(response: ServerResponse, status: number, body: unknown, contentType = 'application/json', headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': crypto.randomUUID(), ...headers });
  response.end(text);
}

/** Epoch seconds with a millisecond fraction: how AWS JSON protocols carry timestamps. */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}

/** Reads a protocol timestamp (epoch seconds number, or an ISO string) as epoch ms. */
export function timestampMs(value: unknown, field: string): number {
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  throw new AwsApiError('InvalidParameterValue', `${field} must be a timestamp`);
}
