/**
 * A durable, bounded, append-only spool of records waiting for Kinesis: the producer's memory across a
 * crash. Records are appended to segment files (./frames.ts) and acknowledged (an ack frame) once
 * Kinesis accepted them; on open, every record without an acknowledgement is handed back, in append
 * order, to be sent again. A segment is deleted once every record in it and in every older segment is
 * acknowledged (oldest first, so an acknowledgement is never deleted before the record it covers).
 *
 * Durability (`fsync`):
 *  - `'always'` (default): append() resolves after the bytes are on stable storage (fdatasync, one per
 *    batch of concurrent appends). Survives a process crash and a power loss.
 *  - `{ intervalMs }`: append() resolves once the bytes are written to the OS (page cache); fdatasync
 *    runs every `intervalMs`. Survives a process crash (the kernel still writes the bytes), but a power
 *    loss or kernel panic can lose up to `intervalMs` of acknowledged sends. Much cheaper per event.
 * Acknowledgements are never synced on their own: losing one means a record is sent again with the
 * same envelope id, which the processor's idempotency skips.
 *
 * A torn or corrupt frame (a crash mid-write, a bad disk) ends what is read of its segment: the rest of
 * that segment is moved to `<segment>.corrupt-<offset>` for inspection, reported (`corruption`,
 * `onCorruption`), and never sent as data.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ProducerClosedError, SpoolFullError } from '../errors';
import { encodeAck, encodeRecord, scanSegment, SEGMENT_HEADER } from './frames';
import { lockSpool } from './lock';

export type FsyncPolicy = 'always' | { readonly intervalMs: number };

export interface SpoolOptions {
  /** Directory of the spool (created if missing); one producer per directory. */
  readonly directory: string;
  /** Bytes the spool may hold on disk (its segments); beyond it send() waits (backpressure). Default 256 MiB. */
  readonly maxBytes?: number;
  /** How long send() waits for room in a full spool before it rejects with SpoolFullError (ms). Default 30,000. */
  readonly fullTimeoutMs?: number;
  /** When appended records reach stable storage (see above). Default `'always'`. */
  readonly fsync?: FsyncPolicy;
  /** A segment is closed and a new one started beyond this size (bytes). Default 8 MiB. */
  readonly segmentBytes?: number;
  /** Called for each torn or corrupt segment tail found on open (also listed in `corruption`). */
  readonly onCorruption?: (corruption: SpoolCorruption) => void;
}

/** A torn or corrupt segment tail found on open: what was discarded and where it was put. */
export interface SpoolCorruption {
  readonly segment: string;
  /** Byte offset of the first frame that could not be read. */
  readonly offset: number;
  readonly discardedBytes: number;
  readonly reason: string;
  /** The discarded bytes, kept for inspection. */
  readonly savedAs: string;
}

export interface SpooledRecord {
  /** Position in the spool: append order, also across restarts. */
  readonly seq: number;
  /** Epoch ms when it was appended (its first append, for a recovered record). */
  readonly appendedAt: number;
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

export interface SpoolStats {
  /** Records appended by this process (recovered ones not included). */
  readonly appended: number;
  /** Unacknowledged records found on open. */
  readonly recovered: number;
  /** Records on disk not yet acknowledged. */
  readonly unacknowledged: number;
  /** Bytes of the spool's segments on disk. */
  readonly bytes: number;
  readonly segments: number;
  /** Epoch ms of the oldest unacknowledged record's append; undefined when there is none. */
  readonly oldestUnacknowledgedAt?: number;
  /** Torn or corrupt tails found on open. */
  readonly corruptTails: number;
}

interface Segment {
  readonly index: number;
  readonly path: string;
  bytes: number;
  /** Unacknowledged records in this segment. */
  unacknowledged: number;
}

interface PendingWrite {
  readonly seq: number;
  readonly frame: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const SEGMENT_NAME = /^segment-(\d{12})\.log$/;
const segmentName = (index: number): string => `segment-${String(index).padStart(12, '0')}.log`;

export class Spool {
  readonly directory: string;
  /** Unacknowledged records found on open, in append order: the producer sends them again first. */
  readonly recovered: readonly SpooledRecord[];
  readonly corruption: readonly SpoolCorruption[];

  private readonly maxBytes: number;
  private readonly fullTimeoutMs: number;
  private readonly segmentBytes: number;
  private readonly policy: FsyncPolicy;
  private readonly segments: Segment[];
  /** Unacknowledged records: seq → its segment and append time (insertion order is append order). */
  private readonly live = new Map<number, { segment: Segment; appendedAt: number }>();
  private nextSeq: number;
  private active!: Segment;
  private handle!: FileHandle;
  private queue: PendingWrite[] = [];
  private acks: number[] = [];
  private writing: Promise<void> | undefined;
  private dirty = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private readonly roomWaiters: Array<() => void> = [];
  private appended = 0;
  private closed = false;
  private readonly release: () => void;

  private constructor(options: SpoolOptions, state: { segments: Segment[]; recovered: SpooledRecord[]; corruption: SpoolCorruption[]; nextSeq: number; release: () => void }) {
    this.directory = options.directory;
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.fullTimeoutMs = options.fullTimeoutMs ?? 30_000;
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    this.policy = options.fsync ?? 'always';
    this.segments = state.segments;
    this.recovered = state.recovered;
    this.corruption = state.corruption;
    this.nextSeq = state.nextSeq;
    this.release = state.release;
  }

  /** Locks the directory, reads what a previous process left (reporting torn or corrupt tails) and opens a new segment. */
  static async open(options: SpoolOptions): Promise<Spool> {
    mkdirSync(options.directory, { recursive: true });
    const release = lockSpool(options.directory);
    try {
      const state = recover(options.directory);
      const spool = new Spool(options, { ...state, release });
      for (const c of state.corruption) options.onCorruption?.(c);
      for (const record of state.recovered) {
        const segment = state.segments.find((s) => s.index === state.segmentOf.get(record.seq))!;
        spool.live.set(record.seq, { segment, appendedAt: record.appendedAt });
      }
      await spool.startSegment();
      spool.reclaim();
      if (spool.policy !== 'always') {
        const every = spool.policy.intervalMs;
        spool.syncTimer = setInterval(() => void spool.sync(), every);
        spool.syncTimer.unref();
      }
      return spool;
    } catch (error) {
      release();
      throw error;
    }
  }

  get stats(): SpoolStats {
    const oldest = this.live.values().next();
    return {
      appended: this.appended,
      recovered: this.recovered.length,
      unacknowledged: this.live.size,
      bytes: this.totalBytes(),
      segments: this.segments.length,
      ...(oldest.done ? {} : { oldestUnacknowledgedAt: oldest.value.appendedAt }),
      corruptTails: this.corruption.length,
    };
  }

  /**
   * Appends a record; resolves once it is durable by the fsync policy. Waits while the spool is full,
   * and rejects with SpoolFullError after `fullTimeoutMs`. Records are durable in the order of the calls.
   */
  async append(partitionKey: string, data: Uint8Array): Promise<SpooledRecord> {
    if (this.closed) throw new ProducerClosedError();
    const appendedAt = Date.now();
    // The sequence number is taken when the record gets room, so that waiting appends keep call order.
    await this.waitForRoom(data.byteLength + 64);
    const seq = this.nextSeq++;
    const frame = encodeRecord(seq, appendedAt, partitionKey, data);
    this.live.set(seq, { segment: this.active, appendedAt });
    this.active.unacknowledged++;
    this.appended++;
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ seq, frame, resolve, reject });
      this.kick();
    });
    return { seq, appendedAt, partitionKey, data };
  }

  /** Marks a record delivered (or given up on): it will not be sent again after a restart. */
  acknowledge(seq: number): void {
    const entry = this.live.get(seq);
    if (!entry || this.closed) return;
    this.live.delete(seq);
    entry.segment.unacknowledged--;
    this.acks.push(seq);
    this.kick();
  }

  /** Writes pending acknowledgements, syncs, and releases the directory. Unacknowledged records stay for the next open. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.kick();
    await this.writing;
    this.closed = true;
    await this.handle.datasync().catch(() => undefined);
    await this.handle.close();
    this.release();
    this.wakeRoomWaiters();
  }

  private totalBytes(): number {
    return this.segments.reduce((n, s) => n + s.bytes, 0);
  }

  private hasRoom(bytes: number): boolean {
    return this.totalBytes() + bytes <= this.maxBytes || this.live.size === 0;
  }

  private async waitForRoom(bytes: number): Promise<void> {
    if (this.roomWaiters.length === 0 && this.hasRoom(bytes)) return;
    const began = Date.now();
    for (;;) {
      const waited = Date.now() - began;
      if (waited >= this.fullTimeoutMs) throw new SpoolFullError(this.directory, this.maxBytes, waited);
      const woken = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), this.fullTimeoutMs - waited);
        this.roomWaiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (this.closed) throw new ProducerClosedError();
      if (woken && this.hasRoom(bytes)) return;
    }
  }

  private wakeRoomWaiters(): void {
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  private kick(): void {
    if (this.writing) return;
    this.writing = this.drainWrites().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0 || this.acks.length > 0) this.kick();
    });
  }

  /** Group commit: every append queued while the previous batch was written goes in the next write (and fsync). */
  private async drainWrites(): Promise<void> {
    while (this.queue.length > 0 || this.acks.length > 0) {
      const batch = this.queue.splice(0);
      const acks = this.acks.splice(0);
      const frames = batch.map((w) => w.frame);
      if (acks.length > 0) frames.push(encodeAck(acks));
      const bytes = Buffer.concat(frames);
      try {
        if (this.active.bytes + bytes.length > this.segmentBytes && this.active.bytes > SEGMENT_HEADER.length) {
          await this.startSegment();
          // The batch lands in the new segment: count its records there.
          for (const w of batch) {
            const entry = this.live.get(w.seq);
            if (!entry || entry.segment === this.active) continue;
            entry.segment.unacknowledged--;
            entry.segment = this.active;
            this.active.unacknowledged++;
          }
        }
        await this.handle.write(bytes);
        this.active.bytes += bytes.length;
        this.dirty = true;
        if (batch.length > 0 && this.policy === 'always') await this.sync();
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
      // A full spool whose records are all acknowledged frees its active segment by starting a new one.
      if (this.roomWaiters.length > 0 && this.live.size === 0 && this.active.bytes > SEGMENT_HEADER.length) await this.startSegment();
      this.reclaim();
    }
  }

  private async sync(): Promise<void> {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    await this.handle.datasync();
  }

  private async startSegment(): Promise<void> {
    const index = (this.segments.at(-1)?.index ?? 0) + 1;
    const path = join(this.directory, segmentName(index));
    const handle = await open(path, 'wx');
    await handle.write(SEGMENT_HEADER);
    await handle.datasync();
    syncDirectory(this.directory); // the new file's name must survive a power loss too
    const previous = this.handle;
    this.handle = handle;
    this.active = { index, path, bytes: SEGMENT_HEADER.length, unacknowledged: 0 };
    this.segments.push(this.active);
    if (previous) {
      await previous.datasync();
      await previous.close();
    }
  }

  /** Deletes the oldest segments whose records are all acknowledged, then lets waiting appends in. */
  private reclaim(): void {
    let freed = false;
    while (this.segments.length > 1 && this.segments[0]!.unacknowledged === 0) {
      const oldest = this.segments.shift()!;
      unlinkSync(oldest.path);
      freed = true;
    }
    if (freed || this.live.size === 0) this.wakeRoomWaiters();
  }
}

function syncDirectory(directory: string): void {
  try {
    const fd = openSync(directory, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on a directory; the data itself was synced.
  }
}

/** Reads every segment a previous process left: unacknowledged records, torn or corrupt tails (cut off and set aside). */
function recover(directory: string) {
  const names = readdirSync(directory)
    .map((name) => ({ name, match: SEGMENT_NAME.exec(name) }))
    .filter((x) => x.match)
    .map((x) => ({ name: x.name, index: Number(x.match![1]) }))
    .sort((a, b) => a.index - b.index);
  const segments: Segment[] = [];
  const records = new Map<number, SpooledRecord>();
  const segmentOf = new Map<number, number>();
  const acked = new Set<number>();
  const corruption: SpoolCorruption[] = [];
  let maxSeq = 0;
  for (const { name, index } of names) {
    const path = join(directory, name);
    const bytes = readFileSync(path);
    if (bytes.length === 0) {
      unlinkSync(path); // created and never written (a crash right after it was opened): holds nothing
      continue;
    }
    const scan = scanSegment(bytes);
    if (scan.problem !== undefined) {
      const savedAs = `${path}.corrupt-${scan.validBytes}`;
      writeFileSync(savedAs, bytes.subarray(scan.validBytes));
      if (scan.validBytes === 0) renameSync(path, `${path}.unreadable`);
      else truncateSync(path, scan.validBytes);
      corruption.push({ segment: path, offset: scan.validBytes, discardedBytes: bytes.length - scan.validBytes, reason: scan.problem, savedAs });
      if (scan.validBytes === 0) continue;
    }
    for (const { frame } of scan.frames) {
      if (frame.type === 'record') {
        records.set(frame.seq, frame);
        segmentOf.set(frame.seq, index);
        maxSeq = Math.max(maxSeq, frame.seq);
      } else {
        for (const seq of frame.seqs) {
          acked.add(seq);
          maxSeq = Math.max(maxSeq, seq);
        }
      }
    }
    segments.push({ index, path, bytes: statSync(path).size, unacknowledged: 0 });
  }
  const recovered = [...records.values()].filter((r) => !acked.has(r.seq)).sort((a, b) => a.seq - b.seq);
  for (const record of recovered) segments.find((s) => s.index === segmentOf.get(record.seq))!.unacknowledged++;
  return { segments, recovered, corruption, segmentOf, nextSeq: maxSeq + 1 };
}
