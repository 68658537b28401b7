/**
 * FilterCriteria on the local event source mapping. First the matcher against the examples of AWS's
 * "filter rule syntax" table (Lambda developer guide, event filtering), each with an event that
 * matches and one that does not; then a mapping on kinesis-local: records no filter matches are never
 * invoked, are counted in FilteredOutEventCount, and the checkpoint passes them; data that is not JSON
 * never matches a filter on `data`; filters are ORed; metadata (partitionKey) can be filtered.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchesPattern, RecordFilter } from '../../local/event-source';
import { clientsFromEnv, createStream, FixtureInvoker, MemorySink, put, sleep, testMapping, waitFor, type TestClients } from '../../local/event-source/test-kit';

/** AWS's table: [comparison, rule, an event that matches, one that does not]. */
const AWS_EXAMPLES: readonly [string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>][] = [
  ['Null: UserID is null', { UserID: [null] }, { UserID: null }, { UserID: 'u1' }],
  ['Empty: LastName is empty', { LastName: [''] }, { LastName: '' }, { LastName: 'Doe' }],
  ['Equals: Name is "Alice"', { Name: ['Alice'] }, { Name: 'Alice' }, { Name: 'alice' }],
  ['Equals (ignore case): Name is "Alice"', { Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'ALICE' }, { Name: 'Bob' }],
  ['And: Location is "New York" and Day is "Monday"', { Location: ['New York'], Day: ['Monday'] }, { Location: 'New York', Day: 'Monday' }, { Location: 'New York', Day: 'Tuesday' }],
  ['Or: PaymentType is "Credit" or "Debit"', { PaymentType: ['Credit', 'Debit'] }, { PaymentType: 'Debit' }, { PaymentType: 'Cash' }],
  ['Or (multiple fields): Location is "New York", or Day is "Monday"', { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] }, { Location: 'Paris', Day: 'Monday' }, { Location: 'Paris', Day: 'Sunday' }],
  ['Not: Weather is anything but "Raining"', { Weather: [{ 'anything-but': ['Raining'] }] }, { Weather: 'Sunny' }, { Weather: 'Raining' }],
  ['Numeric (equals): Price is 100', { Price: [{ numeric: ['=', 100] }] }, { Price: 100 }, { Price: 101 }],
  ['Numeric (range): Price is more than 10, and less than or equal to 20', { Price: [{ numeric: ['>', 10, '<=', 20] }] }, { Price: 20 }, { Price: 10 }],
  ['Exists: ProductName exists', { ProductName: [{ exists: true }] }, { ProductName: 'pen' }, { Other: 1 }],
  ['Does not exist: ProductName does not exist', { ProductName: [{ exists: false }] }, { Other: 1 }, { ProductName: 'pen' }],
  ['Begins with: Region is in the US', { Region: [{ prefix: 'us-' }] }, { Region: 'us-east-1' }, { Region: 'eu-west-1' }],
  ['Ends with: FileName ends with a .png extension', { FileName: [{ suffix: '.png' }] }, { FileName: 'cat.png' }, { FileName: 'cat.jpg' }],
];

describe('FilterCriteria: the pattern language, against AWS\'s documented examples', () => {
  for (const [name, rule, yes, no] of AWS_EXAMPLES) {
    it(name, () => {
      assert.equal(matchesPattern(rule, yes), true, `${JSON.stringify(rule)} matches ${JSON.stringify(yes)}`);
      assert.equal(matchesPattern(rule, no), false, `${JSON.stringify(rule)} does not match ${JSON.stringify(no)}`);
    });
  }

  it('nested fields, arrays (any element matches), numbers are not strings', () => {
    assert.equal(matchesPattern({ data: { order: { status: ['paid'] } } }, { data: { order: { status: 'paid' } } }), true);
    assert.equal(matchesPattern({ data: { tags: ['red'] } }, { data: { tags: ['blue', 'red'] } }), true);
    assert.equal(matchesPattern({ data: { n: ['1'] } }, { data: { n: 1 } }), false);
    assert.equal(matchesPattern({ data: { n: [{ numeric: ['>', 0] }] } }, { data: { n: '5' } }), false);
  });

  it('refuses what AWS refuses: more than 5 filters, a leaf that is not a list, unknown operators, bad JSON', () => {
    const filters = (patterns: string[]): unknown => ({ Filters: patterns.map((Pattern) => ({ Pattern })) });
    assert.throws(() => RecordFilter.compile(filters(Array.from({ length: 6 }, () => '{"data":{"a":[1]}}'))), /maximum number of filters \(5\)/);
    for (const bad of ['{"data":{"a":1}}', '{"data":{"a":[{"wildcat":"x"}]}}', '{"data":', '[]', '{"data":{"a":[{"numeric":[">"]}]}}']) {
      assert.throws(() => RecordFilter.compile(filters([bad])), /^Error: Invalid filter pattern definition\.$|Invalid filter pattern definition\./, bad);
    }
  });
});

describe('FilterCriteria on a mapping (kinesis-local)', () => {
  let clients: TestClients;
  before(() => {
    clients = clientsFromEnv();
  });
  after(() => clients.destroy());

  it('drops records no filter matches (counted FilteredOutEventCount), ORs filters, never matches non-JSON data, and checkpoints past dropped records', async () => {
    const stream = await createStream(clients.kinesis);
    const sink = new MemorySink();
    const invoker = new FixtureInvoker(() => null);
    const settings = {
      BatchSize: 10,
      MetricsConfig: { Metrics: ['EventCount' as const] },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ data: { kind: ['order'] } }) }, { Pattern: JSON.stringify({ partitionKey: [{ prefix: 'vip-' }] }) }] },
    };
    const mapping = testMapping({ stream, invoker, clients, sink }, settings);
    const inputs: [string, string][] = [
      ['k1', JSON.stringify({ kind: 'order', id: 1 })],
      ['k2', JSON.stringify({ kind: 'refund', id: 2 })],
      ['k3', 'kind=order (not JSON)'],
      ['vip-4', 'not JSON either, but a vip key'],
      ['k5', JSON.stringify({ kind: 'order', id: 5 })],
      ['k6', JSON.stringify(['order'])],
    ];
    try {
      for (const [key, data] of inputs) await put(clients.kinesis, stream.name, key, data);
      await mapping.start();
      await waitFor('the three matching records', () => invoker.delivered().length >= 3);
      await waitFor('every record polled', () => sink.sum('PolledEventCount') >= 6);
      await sleep(300);
      assert.deepEqual(invoker.delivered(), [inputs[0]?.[1], inputs[3]?.[1], inputs[4]?.[1]]);
      assert.equal(sink.sum('FilteredOutEventCount'), 3);
      assert.equal(sink.sum('InvokedEventCount'), 3);

      // A filtered record after the last delivered one: the checkpoint passes it, so a restart does not read it again.
      await put(clients.kinesis, stream.name, 'k7', JSON.stringify({ kind: 'refund' }));
      await waitFor('the filtered record polled', () => sink.sum('PolledEventCount') >= 7);
      await mapping.setEnabled(false);
      await mapping.setEnabled(true);
      await put(clients.kinesis, stream.name, 'k8', JSON.stringify({ kind: 'order', id: 8 }));
      await waitFor('the next matching record', () => invoker.delivered().length >= 4);
      await sleep(300);
      assert.equal(invoker.delivered().length, 4, 'nothing delivered twice after the restart');
      assert.equal(sink.sum('FilteredOutEventCount'), 4, 'the filtered record is not read again');
    } finally {
      await mapping.stop();
      await stream.delete();
    }
  });
});
