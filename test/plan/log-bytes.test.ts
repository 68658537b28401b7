/**
 * The log bytes the plan charges per invocation (lib/plan/processor-figures.ts LOG_BYTES) against what
 * the processor really writes: its EMF documents (emfLines) and its `batch processed` line, from a real
 * batch on DynamoDB Local. If the processor's output grows, this fails and the figure must be measured again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '@aws-lambda-powertools/logger';
import { noop } from '../../lambdas/actions/noop';
import { emfLines } from '../../lambdas/processor/emf';
import { LOG_BYTES, logBytesPerInvocation } from '../../lib/plan';
import { cloudEvent, kinesisEvent, lambdaContext, recordsOf } from '../processor/support/events';
import { createTestPipeline, type TestPipeline } from '../processor/support/pipeline';

const TOLERANCE = 0.15;

function within(actual: number, estimate: number, what: string): void {
  assert.ok(Math.abs(estimate - actual) <= TOLERANCE * actual, `${what}: the plan charges ${estimate} bytes, the processor writes ${actual} (more than ${TOLERANCE * 100}% apart)`);
}

test('EMF bytes per invocation: within 15% of emfLines for 1 to 250 processed records', () => {
  for (const processed of [1, 10, 100, 150, 250]) {
    // Latencies as the pipelines see them: 3–4 digit milliseconds.
    const latencies = Array.from({ length: processed }, (_, i) => 400 + ((i * 733) % 4600));
    const lines = emfLines('orders', {
      eventToActionMs: latencies,
      ingestToActionMs: latencies.map((ms) => Math.max(0, ms - 250)),
      timeAheadMs: [],
      processed,
      duplicate: 0,
      poison: 0,
      failed: 0,
      stale: 0,
    });
    const actual = lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
    within(actual, logBytesPerInvocation(processed) - LOG_BYTES.platformLinesPerInvocation - LOG_BYTES.batchSummaryLine, `${processed} records`);
  }
});

let pipeline: TestPipeline;
before(async () => {
  pipeline = await createTestPipeline('plan-logs', noop);
});
after(async () => pipeline.cleanup());

test("the batch summary line of a real 100-record batch: within 15% of the plan's figure", async () => {
  const captured: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  // Keep the processor's log lines, pass everything else (the test runner's own output) through untouched.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.includes('"message":"batch processed"')) {
      captured.push(text);
      return true;
    }
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    const handler = pipeline.processor({ logger: new Logger({ serviceName: 'plan-logs' }) });
    const events = Array.from({ length: 100 }, (_, i) => cloudEvent({ subject: `entity-${i % 20}` }));
    assert.deepEqual(await handler(kinesisEvent(recordsOf(events)), lambdaContext()), { batchItemFailures: [] });
  } finally {
    process.stdout.write = write;
  }
  assert.equal(captured.length, 1, 'one summary line per batch');
  within(Buffer.byteLength(captured[0]!), LOG_BYTES.batchSummaryLine, 'batch processed line');
});
