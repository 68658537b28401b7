/**
 * The local Lambda runtime: warm containers, context, timeouts, crashes, handler errors, logs, EMF
 * and AWS/Lambda metrics, with fixture functions bundled like NodejsFunction assets.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { InvokeResult, MetricDatum, MetricSink } from '../../local/contracts';
import { LambdaRuntime } from '../../local/runtime';
import type { EchoAnswer } from '../fixtures/functions/behaviours';
import { fixtureFunction } from './support/fixture-functions';

class RecordingSink implements MetricSink {
  readonly data: MetricDatum[] = [];
  put(datum: MetricDatum): void {
    this.data.push(datum);
  }
  values(namespace: string, metricName: string, functionName?: string): number[] {
    return this.data
      .filter((d) => d.namespace === namespace && d.metricName === metricName && (functionName === undefined || d.dimensions.FunctionName === functionName))
      .map((d) => d.value);
  }
}

function success<T>(result: InvokeResult): T {
  assert.equal(result.kind, 'success', `expected success, got ${JSON.stringify(result)}`);
  return (result as { payload: T }).payload;
}

describe('LambdaRuntime', () => {
  const logDir = mkdtempSync(join(tmpdir(), 'runtime-logs-'));
  const sink = new RecordingSink();
  const runtime = new LambdaRuntime({
    functions: [
      fixtureFunction('echo', { environment: { TABLE_NAME: 'orders-table' }, memoryMb: 512 }),
      fixtureFunction('sleep', { timeoutSeconds: 1 }),
      fixtureFunction('fail'),
      fixtureFunction('crash'),
      fixtureFunction('emf'),
      fixtureFunction('callback'),
      fixtureFunction('missing'),
    ],
    environment: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1' },
    sink,
    logDir,
  });
  after(() => runtime.stop());

  it('runs the bundle with a Lambda context and environment, and keeps the container warm', async () => {
    const first = success<EchoAnswer>(await runtime.invoke('fixture-echo', { hello: 'world' }));
    assert.deepEqual(first.event, { hello: 'world' });
    assert.equal(first.context.functionName, 'fixture-echo');
    assert.equal(first.context.invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:fixture-echo');
    assert.equal(first.context.memoryLimitInMB, '512');
    assert.match(first.context.awsRequestId, /^[0-9a-f-]{36}$/);
    assert.ok(first.context.remainingMs > 8000 && first.context.remainingMs <= 10_000, `remaining ${first.context.remainingMs} ms of a 10 s timeout`);
    assert.equal(first.env.TABLE_NAME, 'orders-table');
    assert.equal(first.env.AWS_LAMBDA_FUNCTION_NAME, 'fixture-echo');
    assert.equal(first.env.AWS_ENDPOINT_URL_DYNAMODB, 'http://127.0.0.1:1');
    assert.equal(first.env.AWS_EXECUTION_ENV, 'AWS_Lambda_nodejs22.x');
    // The parent's environment does not leak in: a function sees what Lambda would give it.
    assert.equal(first.env.npm_lifecycle_event, undefined);

    const second = success<EchoAnswer>(await runtime.invoke('fixture-echo', {}));
    assert.equal(second.pid, first.pid, 'the second invocation reuses the warm container');
    assert.equal(second.invocationsInThisContainer, 2);
    assert.notEqual(second.context.awsRequestId, first.context.awsRequestId);

    // The log file is written asynchronously, like CloudWatch Logs: wait for the REPORT line.
    const logFile = join(logDir, 'fixture-echo.log');
    const deadline = Date.now() + 5000;
    while (!readFileSync(logFile, 'utf8').includes(`REPORT RequestId: ${second.context.awsRequestId}`) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const log = readFileSync(logFile, 'utf8');
    assert.match(log, new RegExp(`START RequestId: ${first.context.awsRequestId}`));
    assert.match(log, new RegExp(`\\t${first.context.awsRequestId}\\tINFO\\techo invoked`));
    assert.match(log, /REPORT RequestId: .*Duration: [\d.]+ ms/);
  });

  it('runs concurrent invocations in separate containers, one invocation per container at a time', async () => {
    const results = await Promise.all([1, 2, 3].map(() => runtime.invoke('fixture-sleep', { ms: 300 })));
    const pids = results.map((r) => success<{ pid: number }>(r).pid);
    assert.equal(new Set(pids).size, 3, `three concurrent invocations ran in ${new Set(pids).size} containers`);
    assert.equal(runtime.containerCount('fixture-sleep'), 3);
  });

  it('turns a timeout into a function error and replaces the container', async () => {
    const before = success<{ pid: number }>(await runtime.invoke('fixture-sleep', { ms: 1 })).pid;
    const containersBefore = runtime.containerCount('fixture-sleep');
    const timedOut = await runtime.invoke('fixture-sleep', { ms: 5000 });
    assert.equal(timedOut.kind, 'functionError');
    assert.equal(timedOut.kind === 'functionError' && timedOut.errorType, 'Sandbox.Timedout');
    assert.match(timedOut.kind === 'functionError' ? timedOut.errorMessage : '', /Task timed out after 1\.00 seconds/);
    assert.ok(timedOut.durationMs >= 1000 && timedOut.durationMs < 2500, `duration ${timedOut.durationMs}`);
    assert.equal(runtime.containerCount('fixture-sleep'), containersBefore - 1, 'the timed-out container is gone');
    // The next invocations run (in a warm or new container), never in the killed one.
    const pids = await Promise.all([1, 2, 3, 4].map(async () => success<{ pid: number }>(await runtime.invoke('fixture-sleep', { ms: 50 })).pid));
    assert.ok(pids.every((pid) => typeof pid === 'number'));
    assert.ok(before > 0);
  });

  it('reports an unhandled exception as a function error and keeps the container', async () => {
    const first = await runtime.invoke('fixture-fail', { message: 'bad record' });
    assert.deepEqual({ ...first, durationMs: 0 }, { kind: 'functionError', errorType: 'TypeError', errorMessage: 'bad record', durationMs: 0, functionError: 'Unhandled' });
    assert.equal(runtime.containerCount('fixture-fail'), 1);
    await runtime.invoke('fixture-fail', { message: 'again' });
    assert.equal(runtime.containerCount('fixture-fail'), 1, 'a handled error does not cost the container');
  });

  it('reports a process crash as Runtime.ExitError and starts a new container for the next invocation', async () => {
    const crashed = await runtime.invoke('fixture-crash', {});
    assert.equal(crashed.kind, 'functionError');
    assert.equal(crashed.kind === 'functionError' && crashed.errorType, 'Runtime.ExitError');
    assert.match(crashed.kind === 'functionError' ? crashed.errorMessage : '', /Runtime exited with error: exit status 3/);
    assert.equal(runtime.containerCount('fixture-crash'), 0);
    const again = await runtime.invoke('fixture-crash', {});
    assert.equal(again.kind === 'functionError' && again.errorType, 'Runtime.ExitError', 'a fresh container ran (and crashed) again');
  });

  it('reports a missing handler as Runtime.HandlerNotFound', async () => {
    const result = await runtime.invoke('fixture-missing', {});
    assert.equal(result.kind === 'functionError' && result.errorType, 'Runtime.HandlerNotFound');
  });

  it('supports callback-style handlers', async () => {
    assert.deepEqual(success(await runtime.invoke('fixture-callback', { value: 21 })), { doubled: 42 });
  });

  it('sends EMF lines written by Powertools Metrics to the metric sink', async () => {
    success(await runtime.invoke('fixture-emf', { widgets: 7 }));
    const widgets = sink.data.filter((d) => d.namespace === 'FixtureNamespace' && d.metricName === 'Widgets');
    assert.equal(widgets.length, 1);
    assert.equal(widgets[0]?.value, 7);
    assert.equal(widgets[0]?.unit, 'Count');
    assert.deepEqual(widgets[0]?.dimensions, { service: 'fixture', Pipeline: 'fixture' });
    assert.ok(Math.abs((widgets[0]?.timestamp ?? 0) - Date.now()) < 10_000);
    const latency = sink.data.find((d) => d.metricName === 'WidgetLatency');
    assert.equal(latency?.value, 12.5);
    assert.equal(latency?.unit, 'Milliseconds');
  });

  it('records AWS/Lambda Invocations, Errors, Duration and Throttles per invocation', async () => {
    const name = 'fixture-fail';
    const invocations = sink.values('AWS/Lambda', 'Invocations', name);
    const errors = sink.values('AWS/Lambda', 'Errors', name);
    assert.equal(invocations.reduce((a, b) => a + b, 0), 2);
    assert.equal(errors.reduce((a, b) => a + b, 0), 2);
    assert.equal(sink.values('AWS/Lambda', 'Throttles', name).reduce((a, b) => a + b, 0), 0);
    const echoErrors = sink.values('AWS/Lambda', 'Errors', 'fixture-echo');
    assert.deepEqual(echoErrors, [0, 0]);
    assert.ok(sink.values('AWS/Lambda', 'Duration', 'fixture-echo').every((d) => d > 0));
  });

  it('rejects an unknown function with a message naming the deployed ones', async () => {
    await assert.rejects(runtime.invoke('nope', {}), /Function not found: nope \(deployed: fixture-echo/);
  });
});
