/**
 * The operator CLI against hostile records, run as a user runs it, on the real Kinesis and SQS
 * emulators: records put raw with the plain Kinesis API (deeply nested, huge, binary, escape
 * sequences, keys special in JavaScript, lone surrogates, a corrupt KPL aggregate) and DLQ messages
 * put raw on a queue (poison records dead-lettered several times, repeated and overlapping on-failure
 * ranges, bodies that are neither). `tail` and `dlq list | show | replay` exit normally, print bounded
 * terminal-safe output in which the culprit can be seen, and a replay puts each record back once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recordViewBound } from '../../client/operations/record-view';
import { messageViewBound } from '../../client/operations/dlq-view';
import { bySequence, TestStream } from '../client/support/kinesis-streams';
import { onFailureMessage, poisonMessage, putRaw, type Written } from './support/dlq-messages';
import { jsonOf, runCli, type CliRun } from './support/run-cli';
import { TestQueue } from './support/sqs-queues';

/** What a terminal would act on: C0 controls but newline, DEL, C1 (U+009B is a CSI), bidi overrides, lone surrogates, U+FFFE/U+FFFF. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function assertSafeOutput(run: CliRun, maxLineChars: number, what: string): string[] {
  assert.equal(run.code, 0, `${what}: exit ${run.code}; stderr: ${run.stderr.slice(0, 2000)}`);
  const raw = RAW_CONTROL.exec(run.stdout);
  assert.equal(raw, null, `${what} printed a raw U+${raw?.[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${raw?.index}: ${JSON.stringify(run.stdout.slice(Math.max(0, (raw?.index ?? 0) - 80), (raw?.index ?? 0) + 20))}`);
  const lines = run.stdout.split('\n');
  const longest = Math.max(...lines.map((l) => l.length));
  assert.ok(longest <= maxLineChars, `${what}: a line of ${longest} characters (bound ${maxLineChars})`);
  return lines;
}

const LEVELS = 100_000;
/** The first bytes of a KPL aggregated record (what the rest is checked against). */
const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const ESCAPES = '\u001b[2J\u001b[H\u001b]0;pwned\u0007\u009b31m\u202e';
/** SQS refuses C0 controls in a body (JSON escapes them), not C1 controls or bidi overrides. */
const RAW_BODY_ESCAPES = '\u009b2J\u202e\u2066';
const envelope = (id: string, data: string, extra = ''): Buffer =>
  Buffer.from(`{"specversion":"1.0","id":${JSON.stringify(id)},"source":"/hostile","type":"order.status-changed"${extra},"data":${data}}`);

/** The hostile corpus, by name: bytes and partition key, put raw. */
const CORPUS: ReadonlyArray<{ readonly name: string; readonly partitionKey: string; readonly data: Uint8Array }> = [
  { name: 'deep arrays', partitionKey: 'order-deep', data: envelope('evt-deep', `${'['.repeat(LEVELS)}${']'.repeat(LEVELS)}`) },
  { name: 'deep objects', partitionKey: 'order-deeper', data: envelope('evt-deeper', `${'{"a":'.repeat(LEVELS)}0${'}'.repeat(LEVELS)}`) },
  { name: 'huge string with escapes', partitionKey: 'order-huge', data: envelope('evt-huge', JSON.stringify(`${ESCAPES}${'x'.repeat(900_000)}`)) },
  { name: 'many keys', partitionKey: 'order-keys', data: envelope('evt-keys', JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])))) },
  { name: 'special keys', partitionKey: 'order-special', data: envelope('evt-special', '{"constructor":{"prototype":{"polluted":true}},"toString":"x","hasOwnProperty":1,"toJSON":"y"}') },
  // Refused by the envelope (a consumer would drop the key silently), and still shown safely.
  { name: '__proto__ keys', partitionKey: 'order-proto', data: envelope('evt-proto', '{"__proto__":{"polluted":true}}', ',"__proto__":{"admin":true}') },
  { name: 'escapes in the envelope', partitionKey: 'order-esc', data: envelope(`evt-${ESCAPES}-\ufffe-\uffff`, '{"status":"paid","note":"\\ud800"}') },
  { name: 'not UTF-8', partitionKey: 'order-binary', data: Buffer.from([0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0xc3, 0x28, 0x9b]) },
  { name: 'escapes as text', partitionKey: 'order-text', data: Buffer.from(`${ESCAPES} not json`) },
  { name: 'corrupt KPL aggregate', partitionKey: 'order-kpl', data: Buffer.concat([KPL_MAGIC, Buffer.from('\u001b[2J corrupt aggregate, bad checksum')]) },
  { name: 'an innocent order', partitionKey: 'order-ok', data: envelope('evt-ok', '{"status":"created"}') },
];

describe('the operator CLI on hostile records', () => {
  let stream: TestStream;
  let queue: TestQueue;
  let written: Written[];
  const target = (): string[] => ['--stream', stream.streamName, '--queue-url', queue.queueUrl];

  before(async () => {
    stream = await TestStream.create('cli-hostile', 1);
    queue = await TestQueue.create('cli-hostile');
    written = await putRaw(stream, CORPUS);
  });

  after(async () => {
    await queue.delete();
    await stream.delete();
    stream.client.destroy();
    queue.sqs.destroy();
  });

  it('tail --json prints every record, bounded, terminal-safe, valid JSON, the culprit visible', async () => {
    const run = await runCli(['tail', '--stream', stream.streamName, '--from', 'trim-horizon', '--no-follow', '--json']);
    const lines = assertSafeOutput(run, recordViewBound(), 'tail --json').filter((l) => l.length > 0);
    assert.equal(lines.length, CORPUS.length, 'one line per record');
    const views = lines.map((l) => JSON.parse(l) as { partitionKey: string; sequenceNumber: string; event?: { id: string; data?: unknown }; invalid?: { reason: string; bytes: number; dataBase64: string } });
    assert.deepEqual(
      views.map((v) => [v.partitionKey, v.sequenceNumber]),
      written.map((w) => [w.partitionKey, w.sequenceNumber]),
    );
    const byKey = new Map(views.map((v) => [v.partitionKey, v]));
    assert.match(JSON.stringify(byKey.get('order-deep')!.event!.data), /nested deeper than 20 levels/);
    assert.match(JSON.stringify(byKey.get('order-deeper')!.event!.data), /nested deeper than 20 levels/);
    assert.match(byKey.get('order-huge')!.event!.data as string, /^\u001b\[2J\u001b\[H\u001b\]0;pwned\u0007\u009b31m\u202ex+… \d+ more characters$/, 'decodes to the real characters');
    assert.match(JSON.stringify(byKey.get('order-keys')!.event!.data), /"…":"\d+ more keys"/);
    assert.deepEqual(Object.keys(byKey.get('order-special')!.event!.data as object), ['constructor', 'toString', 'hasOwnProperty', 'toJSON']);
    assert.match(byKey.get('order-proto')!.invalid!.reason, /__proto__: a "__proto__" key cannot be carried as data/);
    assert.equal(byKey.get('order-esc')!.event!.id, `evt-${ESCAPES}-\ufffe-\uffff`, 'the id, exact once decoded');
    assert.equal((byKey.get('order-esc')!.event!.data as { note: string }).note, '\ud800', 'a lone surrogate in data, exact once decoded');
    const binary = byKey.get('order-binary')!.invalid!;
    assert.match(binary.reason, /not valid UTF-8/);
    assert.equal(binary.bytes, 9);
    assert.deepEqual(Buffer.from(binary.dataBase64, 'base64'), Buffer.from(CORPUS.find((c) => c.partitionKey === 'order-binary')!.data));
    assert.match(byKey.get('order-text')!.invalid!.reason, /not JSON/);
    assert.match(byKey.get('order-kpl')!.invalid!.reason, /corrupt KPL aggregated record/);
    assert.equal(byKey.get('order-ok')!.event!.id, 'evt-ok');
  });

  it('tail prints one terminal-safe line per record for a person, naming what is wrong', async () => {
    const run = await runCli(['tail', '--stream', stream.streamName, '--from', 'trim-horizon', '--no-follow']);
    const lines = assertSafeOutput(run, recordViewBound(), 'tail').filter((l) => l.length > 0);
    assert.equal(lines.length, CORPUS.length);
    const line = (key: string): string => lines.find((l) => l.includes(`  ${key}  `)) ?? assert.fail(`no line for ${key}`);
    assert.match(line('order-deep'), /order\.status-changed {2}evt-deep {2}\[\[\[.*nested deeper than 20 levels/);
    assert.match(line('order-huge'), /\\u001b\[2J\\u001b\[H\\u001b\]0;pwned\\u0007\\u009b31m\\u202ex+… \d+ more characters/);
    assert.match(line('order-esc'), /evt-\\x1b\[2J\\x1b\[H\\x1b\]0;pwned\\x07\\x9b31m\\u\{202e\}-\\u\{fffe\}-\\u\{ffff\}.*"note":"\\ud800"/);
    assert.match(line('order-proto'), /INVALID: .*__proto__/);
    assert.match(line('order-binary'), /INVALID: record data is not valid UTF-8 {2}data: 9 byte\(s\), not UTF-8: fffe1b5b324ac3289b$/);
    assert.match(line('order-text'), /INVALID: record data is not JSON.* {2}data: \\x1b\[2J/);
    assert.match(line('order-kpl'), /INVALID: corrupt KPL aggregated record/);
    assert.match(line('order-ok'), /evt-ok {2}\{"status":"created"\}$/);
    assert.ok(run.stdout.length < CORPUS.length * recordViewBound());
  });

  describe('dlq', () => {
    let arn: string;
    let ranges: Written[];
    const ids: Record<string, string> = {};
    const hostile = CORPUS.length;

    before(async () => {
      arn = await stream.streamArn;
      ranges = await putRaw(
        stream,
        [1, 2, 3, 4].map((n) => ({ partitionKey: `order-r${n}`, data: envelope(`evt-r${n}`, `{"status":"paid","n":${n}}`) })),
      );
      const [deep, , huge, , proto, , , binary] = written;
      const deepPoison = { ...poisonMessage(arn, deep!, 'action-failed', `RangeError: Maximum call stack size exceeded ${ESCAPES}`) };
      // A poison record dead-lettered on every retry of its batch: three copies.
      ids.deep1 = await queue.send(deepPoison);
      ids.deep2 = await queue.send({ ...deepPoison, time: new Date().toISOString() });
      ids.deep3 = await queue.send(deepPoison);
      ids.stored = await queue.send(poisonMessage(arn, proto!, 'store-rejected', `ValidationException: ${ESCAPES}${'e'.repeat(100_000)}`));
      ids.binary = await queue.send(poisonMessage(arn, binary!, 'undecodable', 'record data is not valid UTF-8'));
      // Too large to carry its data: read back from the stream.
      ids.omitted = await queue.send({ ...poisonMessage(arn, huge!, 'time-in-future', 'time is 3600 s ahead'), record: { ...poisonMessage(arn, huge!).record, data: undefined, dataOmitted: 'too-large' } });
      // A range sent twice, an overlapping one, and a poison record inside a range.
      ids.range = await queue.send(onFailureMessage(arn, ranges[0]!, ranges[2]!, 3));
      ids.rangeAgain = await queue.send(onFailureMessage(arn, ranges[0]!, ranges[2]!, 3));
      ids.overlap = await queue.send(onFailureMessage(arn, ranges[1]!, ranges[3]!, 3));
      ids.inRange = await queue.send(poisonMessage(arn, ranges[1]!, 'time-in-future', 'time is 3600 s ahead'));
      // Bodies that are neither.
      ids.notJson = await queue.send(`${RAW_BODY_ESCAPES} not json`);
      ids.deepBody = await queue.send(`${'['.repeat(60_000)}${']'.repeat(60_000)}`);
      ids.nullBody = await queue.send('null');
      ids.protoBody = await queue.send('{"__proto__":{"kind":"stream-pipeline.poison-record"},"constructor":1,"toString":{"toString":2}}');
    });

    it('dlq list shows every message, the hostile ones as unrecognised, bounded and terminal-safe', async () => {
      const run = await runCli(['dlq', 'list', ...target(), '--json']);
      assertSafeOutput(run, 5 * messageViewBound(), 'dlq list --json');
      const list = jsonOf<{ count: number; messages: Array<{ messageId: string; kind: string; reason?: string; body?: string; error?: string }> }>(run);
      assert.equal(list.count, Object.keys(ids).length);
      const byId = new Map(list.messages.map((m) => [m.messageId, m]));
      for (const name of ['notJson', 'deepBody', 'nullBody', 'protoBody']) assert.equal(byId.get(ids[name]!)?.kind, 'unrecognised', name);
      assert.equal(byId.get(ids.notJson!)?.body, `${RAW_BODY_ESCAPES} not json`);
      assert.deepEqual(
        ['deep1', 'stored', 'omitted', 'inRange'].map((name) => byId.get(ids[name]!)?.reason),
        ['action-failed', 'store-rejected', 'time-in-future', 'time-in-future'],
      );
      assert.match(byId.get(ids.stored!)!.error!, /^ValidationException: \u001b\[2J.*e… \d+ more characters$/s);

      const human = await runCli(['dlq', 'list', ...target()]);
      const lines = assertSafeOutput(human, 2000, 'dlq list');
      assert.match(human.stdout, new RegExp(`${Object.keys(ids).length} message\\(s\\) in `));
      assert.equal(lines.filter((l) => /\bunrecognised\b/.test(l)).length, 4);
      assert.match(lines.find((l) => l.includes(ids.deep1!))!, /poison-record\s+action-failed\s+order-deep .*RangeError: Maximum call stack size exceeded \\x1b\[2J/);
      assert.match(lines.find((l) => l.includes(ids.notJson!))!, /unrecognised .*body is not JSON: \\x9b2J\\u\{202e\}\\u\{2066\} not json/);
    });

    it('dlq show prints each message in full, bounded and terminal-safe, the payload decoded as far as it goes', async () => {
      for (const [name, id] of Object.entries(ids)) {
        for (const json of [true, false]) {
          const run = await runCli(['dlq', 'show', id, ...target(), ...(json ? ['--json'] : [])]);
          assertSafeOutput(run, messageViewBound(), `dlq show ${name}${json ? ' --json' : ''}`);
          assert.ok(run.stdout.length <= messageViewBound() + 50 * recordViewBound(), `${run.stdout.length} characters`);
        }
      }
      const deep = jsonOf<{ payload: { id: string; data: unknown } }>(await runCli(['dlq', 'show', ids.deep1!, ...target(), '--json']));
      assert.equal(deep.payload.id, 'evt-deep');
      assert.match(JSON.stringify(deep.payload.data), /nested deeper than 20 levels/);
      const binary = jsonOf<{ payload: { invalid: string; bytes: number; dataBase64: string; hexPreview: string } }>(await runCli(['dlq', 'show', ids.binary!, ...target(), '--json']));
      assert.deepEqual(binary.payload, { invalid: 'record data is not valid UTF-8', bytes: 9, dataBase64: Buffer.from(CORPUS.find((c) => c.partitionKey === 'order-binary')!.data).toString('base64'), hexPreview: 'fffe1b5b324ac3289b' });
      const range = await runCli(['dlq', 'show', ids.overlap!, ...target()]);
      assert.match(range.stdout, /records \(3 shown\):\n(.*evt-r\d.*\n){3}/);
      const proto = await runCli(['dlq', 'show', ids.protoBody!, ...target()]);
      assert.match(proto.stdout, /kind: {19}unrecognised/);
      assert.match(proto.stdout, /body:\n\{"__proto__":\{"kind":"stream-pipeline.poison-record"\}/);
    });

    it('dlq replay --dry-run counts each record once and says how many duplicates it skips; changes nothing', async () => {
      const run = await runCli(['dlq', 'replay', ...target(), '--dry-run', '--json']);
      assert.equal(run.code, 2, 'the unrecognised messages cannot be replayed');
      const plan = jsonOf<{ records: number; duplicatesSkipped: number; results: Array<{ messageId: string; outcome: string; records: number; duplicates: number }> }>(run);
      const byId = new Map(plan.results.map((r) => [r.messageId, [r.outcome, r.records, r.duplicates]]));
      assert.deepEqual(Object.fromEntries(Object.entries(ids).map(([name, id]) => [name, byId.get(id)])), {
        deep1: ['would-replay', 1, 0],
        deep2: ['would-replay', 1, 1],
        deep3: ['would-replay', 1, 1],
        stored: ['would-replay', 1, 0],
        binary: ['would-replay', 1, 0],
        omitted: ['would-replay', 1, 0],
        range: ['would-replay', 3, 0],
        rangeAgain: ['would-replay', 3, 3],
        overlap: ['would-replay', 3, 2],
        inRange: ['would-replay', 1, 1],
        notJson: ['kept-unreplayable', 0, 0],
        deepBody: ['kept-unreplayable', 0, 0],
        nullBody: ['kept-unreplayable', 0, 0],
        protoBody: ['kept-unreplayable', 0, 0],
      });
      assert.equal(plan.records, 8, 'four poison records and the four records of the ranges');
      assert.equal(plan.duplicatesSkipped, 8);
      const human = await runCli(['dlq', 'replay', ...target(), '--dry-run']);
      assert.match(human.stdout, /Dry run: 10 message\(s\) \(8 record\(s\)\) would be put back on \S+; 8 duplicate record\(s\) skipped \(another message puts them back\); 4 would be kept\. Nothing changed\./);
      assert.equal((await stream.readAll()).length, hostile + 4);
      assert.equal((await queue.visibleIds()).length, Object.keys(ids).length);
    });

    it('dlq replay puts each record back once, deletes the messages that stood for them, and keeps the unrecognised ones', async () => {
      const run = await runCli(['dlq', 'replay', ...target(), '--json']);
      assert.equal(run.code, 2, run.stderr);
      const report = jsonOf<{ records: number; duplicatesSkipped: number }>(run);
      assert.deepEqual([report.records, report.duplicatesSkipped], [8, 8]);
      const stored = (await stream.readAll()).sort(bySequence);
      const replayed = stored.slice(hostile + 4);
      const asText = (records: ReadonlyArray<{ partitionKey: string; data: Uint8Array }>): string[] =>
        records.map((r) => `${r.partitionKey} ${Buffer.from(r.data).toString('base64')}`).sort();
      const [deep, , huge, , proto, , , binary] = written;
      assert.deepEqual(asText(replayed), asText([deep!, huge!, proto!, binary!, ...ranges]), 'each record exactly once');
      assert.deepEqual(await queue.visibleIds(), [ids.notJson!, ids.deepBody!, ids.nullBody!, ids.protoBody!].sort());
    });
  });
});
