/**
 * The spool on disk, without Kinesis: what a reopened spool hands back, whatever a crash or a bad disk
 * did to its tail (fast-check: truncations and corrupted bytes at random offsets never yield a record
 * that was not appended, nor one changed), acknowledgements and segment reclamation, the lock, and the
 * metrics' EMF publication.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { Spool } from '../../client/spool/spool';
import { SpoolLockedError } from '../../client/errors';
import { ProducerMetricsPublisher, producerMetrics } from '../../client/producer-metrics';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spool-unit-'));
  dirs.push(dir);
  return dir;
}

const segmentsOf = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => /^segment-\d+\.log$/.test(f))
    .sort()
    .map((f) => join(dir, f));

interface Written {
  readonly seq: number;
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

/** Appends the records (acknowledging some), closes, and returns what was written. */
async function writeSpool(dir: string, records: readonly { key: string; data: Uint8Array; ack: boolean }[], segmentBytes: number): Promise<{ written: Written[]; acked: Set<number> }> {
  const spool = await Spool.open({ directory: dir, segmentBytes, fsync: { intervalMs: 1000 } });
  const written: Written[] = [];
  const acked = new Set<number>();
  for (const r of records) {
    const s = await spool.append(r.key, r.data);
    written.push({ seq: s.seq, partitionKey: r.key, data: r.data });
    if (r.ack) {
      spool.acknowledge(s.seq);
      acked.add(s.seq);
    }
  }
  await spool.close();
  return { written, acked };
}

describe('spool', () => {
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('hands back exactly the unacknowledged records, in append order, and deletes fully acknowledged segments', async () => {
    const dir = tempDir();
    const records = Array.from({ length: 60 }, (_, n) => ({ key: `k${n % 4}`, data: new Uint8Array(Buffer.from(`record ${n}`.repeat(10))), ack: n < 40 || n % 3 === 0 }));
    const { written, acked } = await writeSpool(dir, records, 1024);
    const reopened = await Spool.open({ directory: dir });
    try {
      assert.deepEqual(
        reopened.recovered.map((r) => ({ seq: r.seq, partitionKey: r.partitionKey, data: r.data })),
        written.filter((w) => !acked.has(w.seq)),
      );
      assert.equal(reopened.corruption.length, 0);
      // Segments holding only acknowledged records (the first 40) are gone.
      assert.ok(segmentsOf(dir).length < Math.ceil((60 * 100) / 1024), `${segmentsOf(dir).length} segments left`);
      const next = await reopened.append('k9', new Uint8Array([1]));
      assert.ok(next.seq > Math.max(...written.map((w) => w.seq)), 'sequence numbers keep growing across restarts');
    } finally {
      await reopened.close();
    }
  });

  it('refuses a second live owner of the directory, and takes over a dead one at once', async () => {
    const dir = tempDir();
    const spool = await Spool.open({ directory: dir });
    await assert.rejects(Spool.open({ directory: dir }), SpoolLockedError);
    await spool.close();
    // A lock left by a process that no longer exists (a SIGKILLed producer).
    writeFileSync(join(dir, 'spool.lock'), '2147483646');
    const again = await Spool.open({ directory: dir });
    await again.close();
  });

  it('never yields a record that was not appended, nor a changed one, whatever happens to the tail (truncation or corrupt bytes at random offsets)', async () => {
    const record = fc.record({
      key: fc.string({ minLength: 1, maxLength: 20 }),
      data: fc.uint8Array({ minLength: 0, maxLength: 300 }),
      ack: fc.boolean(),
    });
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), mask: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 25 }), fc.array(damage, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 10 }), async (records, damages, pick) => {
        const dir = tempDir();
        const { written, acked } = await writeSpool(dir, records, 2048);
        const segments = segmentsOf(dir);
        for (const d of damages) {
          const file = segments[pick % segments.length]!;
          const bytes = readFileSync(file);
          if (d.kind === 'truncate') truncateSync(file, Math.floor(d.at * bytes.length));
          else if (d.kind === 'flip' && bytes.length > 0) {
            const at = Math.min(bytes.length - 1, Math.floor(d.at * bytes.length));
            bytes[at] = bytes[at]! ^ d.mask;
            writeFileSync(file, bytes);
          } else writeFileSync(file, Buffer.concat([bytes, Buffer.from(d.kind === 'garbage' ? d.bytes : [])]));
        }
        const reopened = await Spool.open({ directory: dir });
        try {
          const bySeq = new Map(written.map((w) => [w.seq, w]));
          let last = 0;
          for (const r of reopened.recovered) {
            const original = bySeq.get(r.seq);
            assert.ok(original, `recovered seq ${r.seq} was never appended`);
            assert.equal(r.partitionKey, original.partitionKey);
            assert.deepEqual(r.data, original.data);
            assert.ok(r.seq > last, 'in append order');
            last = r.seq;
          }
          // Garbage after the last frame (a torn append) loses nothing before it, and is reported.
          if (damages.every((d) => d.kind === 'garbage')) {
            assert.equal(reopened.recovered.length, written.filter((w) => !acked.has(w.seq)).length);
            assert.ok(reopened.corruption.length >= 1, 'the torn tail is reported');
          }
          for (const c of reopened.corruption) assert.ok(c.reason.length > 0 && c.discardedBytes > 0);
        } finally {
          await reopened.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 60) },
    );
  });

  it('a corrupt frame in the middle of a segment ends what is read of it, and is reported with where it was', async () => {
    const dir = tempDir();
    const records = Array.from({ length: 10 }, (_, n) => ({ key: 'k', data: new Uint8Array(Buffer.from(`payload-${n}-`.repeat(5))), ack: false }));
    const { written } = await writeSpool(dir, records, 1 << 20);
    const [segment] = segmentsOf(dir);
    const bytes = readFileSync(segment!);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(segment!, bytes);
    const reopened = await Spool.open({ directory: dir });
    try {
      assert.equal(reopened.corruption.length, 1);
      const [c] = reopened.corruption;
      assert.match(c!.reason, /checksum mismatch|implausible/);
      assert.ok(c!.offset <= middle && c!.offset + c!.discardedBytes === bytes.length);
      assert.ok(statSync(c!.savedAs).size === c!.discardedBytes);
      const recovered = reopened.recovered.map((r) => r.seq);
      assert.deepEqual(recovered, written.slice(0, recovered.length).map((w) => w.seq), 'a prefix of what was written');
      assert.ok(recovered.length >= 3 && recovered.length < 10);
    } finally {
      await reopened.close();
    }
  });
});

describe('producer metrics', () => {
  it('publishes counters as deltas and gauges as they are, in CloudWatch Embedded Metric Format', () => {
    const publisher = new ProducerMetricsPublisher({ dimensions: { Stream: 'orders-events' } });
    const stats = { enqueued: 10, acknowledged: 8, failed: 1, putRecordsCalls: 3, kinesisRecords: 8, retries: 5, throttled: 2, buffered: 1, oldestUnacknowledgedAgeMs: 1200 };
    const first = JSON.parse(publisher.emf(producerMetrics(stats, undefined), 1000)) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] } };
    assert.equal(first._aws.CloudWatchMetrics[0]!.Namespace, 'StreamPipeline/Producer');
    assert.deepEqual(first._aws.CloudWatchMetrics[0]!.Dimensions, [['Stream']]);
    assert.equal(first.Stream, 'orders-events');
    assert.equal(first.EventsSent, 8);
    assert.equal(first.EventsGivenUp, 1);
    assert.equal(first.OldestUnacknowledgedAge, 1200);
    const second = publisher.metricData(producerMetrics({ ...stats, acknowledged: 20, retries: 5, buffered: 0, oldestUnacknowledgedAgeMs: 0 }, undefined));
    const value = (name: string): number | undefined => second.find((d) => d.MetricName === name)?.Value;
    assert.equal(value('EventsSent'), 12, 'a counter is published as its change');
    assert.equal(value('EventsRetried'), 0);
    assert.equal(value('EventsBuffered'), 0, 'a gauge as it is');
    assert.deepEqual(second[0]!.Dimensions, [{ Name: 'Stream', Value: 'orders-events' }]);
  });
});
