/**
 * The spool's on-disk format: a segment file is an 8-byte header followed by frames, each
 *
 *   u32 BE body length | u32 BE CRC-32 of (length bytes + body) | body
 *
 * A body is a record (type 1: u64 sequence, f64 appended-at epoch ms, u16 key length, key, data) or an
 * acknowledgement (type 2: u64 sequences). Scanning stops at the first frame that is torn (runs past
 * the end of the file) or fails its checksum or shape: nothing from that offset on is ever returned as
 * data, so a torn or corrupt tail can lose what it held but never yield a wrong record.
 */
import { buf as crc32 } from 'crc-32';

/** First bytes of every segment: the format and its version. */
export const SEGMENT_HEADER = Buffer.from('EVSPOOL1', 'latin1');
const FRAME_HEADER_BYTES = 8;
/** A record is at most a Kinesis record (1 MiB) plus its partition key and fields: anything larger is corruption. */
export const MAX_BODY_BYTES = 1024 * 1024 + 4096;

const RECORD = 1;
const ACK = 2;

export interface RecordFrame {
  readonly type: 'record';
  readonly seq: number;
  readonly appendedAt: number;
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

export interface AckFrame {
  readonly type: 'ack';
  readonly seqs: readonly number[];
}

export type Frame = RecordFrame | AckFrame;

export interface ScanResult {
  readonly frames: readonly { readonly frame: Frame; readonly offset: number; readonly bytes: number }[];
  /** Where the valid part of the segment ends (the file length when it is intact). */
  readonly validBytes: number;
  /** Why scanning stopped before the end of the file; undefined when the segment is intact. */
  readonly problem?: string;
}

function checksum(length: Buffer, body: Uint8Array): number {
  return crc32(body, crc32(length)) >>> 0;
}

function frame(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  out.writeUInt32BE(checksum(out.subarray(0, 4), body), 4);
  body.copy(out, FRAME_HEADER_BYTES);
  return out;
}

export function encodeRecord(seq: number, appendedAt: number, partitionKey: string, data: Uint8Array): Buffer {
  const key = Buffer.from(partitionKey, 'utf8');
  const body = Buffer.allocUnsafe(1 + 8 + 8 + 2 + key.length + data.byteLength);
  body.writeUInt8(RECORD, 0);
  body.writeBigUInt64BE(BigInt(seq), 1);
  body.writeDoubleBE(appendedAt, 9);
  body.writeUInt16BE(key.length, 17);
  key.copy(body, 19);
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(body, 19 + key.length);
  return frame(body);
}

export function encodeAck(seqs: readonly number[]): Buffer {
  const body = Buffer.allocUnsafe(1 + 8 * seqs.length);
  body.writeUInt8(ACK, 0);
  seqs.forEach((seq, i) => body.writeBigUInt64BE(BigInt(seq), 1 + 8 * i));
  return frame(body);
}

function decodeBody(body: Buffer): Frame | string {
  const type = body[0];
  if (type === RECORD) {
    if (body.length < 19) return 'record frame too short';
    const seq = Number(body.readBigUInt64BE(1));
    const appendedAt = body.readDoubleBE(9);
    const keyLength = body.readUInt16BE(17);
    if (19 + keyLength > body.length) return 'record key runs past its frame';
    if (!Number.isSafeInteger(seq) || !Number.isFinite(appendedAt)) return 'record sequence or time out of range';
    const partitionKey = body.toString('utf8', 19, 19 + keyLength);
    // A copy: the scan's buffer is released once the segment is read.
    return { type: 'record', seq, appendedAt, partitionKey, data: new Uint8Array(body.subarray(19 + keyLength)) };
  }
  if (type === ACK) {
    if ((body.length - 1) % 8 !== 0) return 'acknowledgement frame of a wrong length';
    const seqs: number[] = [];
    for (let at = 1; at < body.length; at += 8) seqs.push(Number(body.readBigUInt64BE(at)));
    return { type: 'ack', seqs };
  }
  return `unknown frame type ${String(type)}`;
}

/** Reads a whole segment; stops at the first frame that is torn or corrupt and says why. */
export function scanSegment(bytes: Buffer): ScanResult {
  const frames: { frame: Frame; offset: number; bytes: number }[] = [];
  if (bytes.length < SEGMENT_HEADER.length || !bytes.subarray(0, SEGMENT_HEADER.length).equals(SEGMENT_HEADER)) {
    return { frames, validBytes: 0, problem: bytes.length < SEGMENT_HEADER.length ? 'torn segment header' : 'not a spool segment (bad header)' };
  }
  let offset = SEGMENT_HEADER.length;
  while (offset < bytes.length) {
    const stop = (problem: string): ScanResult => ({ frames, validBytes: offset, problem });
    if (offset + FRAME_HEADER_BYTES > bytes.length) return stop(`torn frame header at byte ${offset}`);
    const length = bytes.readUInt32BE(offset);
    if (length === 0 || length > MAX_BODY_BYTES) return stop(`implausible frame length ${length} at byte ${offset}`);
    const end = offset + FRAME_HEADER_BYTES + length;
    if (end > bytes.length) return stop(`torn frame at byte ${offset}: ${length} bytes announced, ${bytes.length - offset - FRAME_HEADER_BYTES} present`);
    const body = bytes.subarray(offset + FRAME_HEADER_BYTES, end);
    if (checksum(bytes.subarray(offset, offset + 4), body) !== bytes.readUInt32BE(offset + 4)) return stop(`checksum mismatch in the frame at byte ${offset}`);
    const decoded = decodeBody(body);
    if (typeof decoded === 'string') return stop(`${decoded} at byte ${offset}`);
    frames.push({ frame: decoded, offset, bytes: end - offset });
    offset = end;
  }
  return { frames, validBytes: offset };
}
