/**
 * The DLQ reader's view of hostile messages (client/operations/dlq-view.ts), as properties over
 * generated bodies: anything SQS can hold (not JSON, any JSON, SNS-wrapped, deeply nested, poison
 * messages and on-failure records with hostile fields and payloads) is classified and shown, never
 * a crash, within the stated bound and terminal-safe.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseDlqBody } from '../../client/operations/dlq-messages';
import type { DlqMessage } from '../../client/operations/dlq-queue';
import { describeMessage, messageViewBound } from '../../client/operations/dlq-view';
import { safeJson } from '../../client/operations/render';
import { POISON_RECORD_KIND, POISON_RECORD_VERSION, PoisonReason } from '../../lambdas/shared/dlq-message';

const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function message(raw: string): DlqMessage {
  return { messageId: 'm-1', receiptHandle: 'r-1', receiveCount: 1, raw, body: parseDlqBody(raw) };
}

function assertShown(raw: string): ReturnType<typeof describeMessage> {
  const view = describeMessage(message(raw), 24);
  const printed = safeJson(view);
  assert.ok(printed.length <= messageViewBound(), `${printed.length} characters, bound ${messageViewBound()}`);
  assert.equal(RAW_CONTROL.exec(printed), null, 'no raw control character');
  assert.doesNotThrow(() => JSON.parse(printed));
  return view;
}

const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.constantFrom('\u001b[2J\u001b[31mred', '\u009b2J', '\u202egnp.exe', '\ud800', '__proto__', 'constructor', ''),
  fc.nat({ max: 300_000 }).map((n) => `\u001b]0;${'x'.repeat(n)}\u0007`),
);
const deepJson = fc.nat({ max: 60_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`);
const envelopeBytes = fc.oneof(
  fc.uint8Array({ maxLength: 4000 }),
  deepJson.map((d) => Buffer.from(`{"specversion":"1.0","id":"deep","source":"/s","type":"t","data":${d}}`)),
  fc.record({ specversion: fc.constant('1.0'), id: hostileText, source: hostileText, type: hostileText, data: fc.jsonValue({ stringUnit: 'binary' }) }).map((e) => Buffer.from(JSON.stringify(e))),
);
const poisonBody = fc
  .record({
    reason: fc.constantFrom(...Object.values(PoisonReason)),
    error: hostileText,
    pipeline: hostileText,
    time: hostileText,
    data: fc.option(envelopeBytes, { nil: undefined }),
    partitionKey: hostileText,
    shardId: hostileText,
    sequenceNumber: hostileText,
    subSequenceNumber: fc.option(fc.nat(), { nil: undefined }),
    arrival: hostileText,
    event: fc.option(fc.record({ id: hostileText, source: hostileText, type: hostileText }), { nil: undefined }),
  })
  .map((p) =>
    JSON.stringify({
      kind: POISON_RECORD_KIND,
      version: POISON_RECORD_VERSION,
      pipeline: p.pipeline,
      reason: p.reason,
      error: p.error,
      time: p.time,
      record: {
        ...(p.data ? { data: Buffer.from(p.data).toString('base64') } : { dataOmitted: 'too-large' }),
        partitionKey: p.partitionKey,
        shardId: p.shardId,
        sequenceNumber: p.sequenceNumber,
        ...(p.subSequenceNumber !== undefined ? { subSequenceNumber: p.subSequenceNumber } : {}),
        approximateArrivalTimestamp: p.arrival,
        eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
      },
      ...(p.event ? { event: p.event } : {}),
    }),
  );
const onFailureBody = fc
  .record({ condition: hostileText, shardId: hostileText, start: fc.bigInt({ min: 0n, max: 10n ** 60n }), length: fc.nat({ max: 5 }), streamArn: hostileText, extra: fc.jsonValue() })
  .map((f) =>
    JSON.stringify({
      requestContext: { condition: f.condition, approximateInvokeCount: 3 },
      extra: f.extra,
      KinesisBatchInfo: { shardId: f.shardId, startSequenceNumber: String(f.start), endSequenceNumber: String(f.start + BigInt(f.length)), batchSize: f.length + 1, streamArn: f.streamArn },
    }),
  );
const anyBody = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 2000 }),
  fc.jsonValue({ stringUnit: 'binary' }).map((v) => JSON.stringify(v)),
  deepJson,
  deepJson.map((d) => `{"__proto__":${d},"constructor":{"prototype":1},"toString":"x"}`),
  poisonBody,
  onFailureBody,
  fc.oneof(poisonBody, onFailureBody, deepJson).map((inner) => JSON.stringify({ Type: 'Notification', Message: inner })),
  fc.constantFrom('null', '0', '"text"', '[]', '{"Type":"Notification","Message":"null"}'),
);

describe('DLQ message views', () => {
  it('shows any body, classified, within the bound and terminal-safe', () => {
    fc.assert(fc.property(anyBody, (raw) => void assertShown(raw)), { numRuns: 300 });
  });

  it('reads poison-record messages of every reason, the new ones too, whatever their fields and payload hold', () => {
    fc.assert(
      fc.property(poisonBody, (raw) => {
        const view = assertShown(raw);
        assert.equal(view.kind, 'poison-record');
        assert.ok(view.kind === 'poison-record' && Object.values(PoisonReason).includes(view.reason as PoisonReason));
      }),
      { numRuns: 200 },
    );
  });

  it('reads on-failure records, also with hostile fields, and calls anything else unrecognised with a preview', () => {
    fc.assert(fc.property(onFailureBody, (raw) => void assert.equal(assertShown(raw).kind, 'on-failure')), { numRuns: 100 });
    const view = assertShown('\u001b[2J{"not": "ours"}');
    assert.equal(view.kind, 'unrecognised');
    assert.ok(view.kind === 'unrecognised' && view.body.startsWith('\u001b[2J'), 'the view keeps the text; printing escapes it');
    assert.match(safeJson(view), /"body":"\\u001b\[2J\{\\"not\\": \\"ours\\"\}"/);
  });
});
