import zlib from 'node:zlib';

/**
 * The spool's record framing. A record is a 16-byte header and the payload:
 *
 *   u16 magic 0xC657 | u8 version 1 | u8 reserved | u32 payload length | u32 point count | u32 CRC-32
 *
 * all big-endian, the CRC-32 covering header bytes 0-11 and the payload. A record is valid only if
 * all of it is there and it checks out, so a write cut short (kill -9, power loss, full disk) or
 * garbage behind it is recognised and never handed out as data.
 */

const MAGIC = 0xc657;
const VERSION = 1;
export const HEADER = 16;
/** Larger than any batch we write; a bigger length field is corruption, not a record. */
const MAX_RECORD = 256 * 1024 * 1024;

type Crc32 = (data: Uint8Array, value?: number) => number;

/** zlib.crc32 exists from Node 20.15; the table version keeps older 20.x working. */
const crc32: Crc32 = (zlib as { crc32?: Crc32 }).crc32 ?? tableCrc32;

let crcTable: Uint32Array | undefined;
export function tableCrc32(data: Uint8Array, value = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = ~value >>> 0;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

interface Parsed {
  payload: Buffer;
  count: number;
  size: number;
}

/** Parses the record at `at`; undefined when it is incomplete or corrupt (a tear). */
export function parseRecord(buf: Buffer, at: number): Parsed | 'short' | undefined {
  if (buf.length - at < HEADER) return 'short';
  if (buf.readUInt16BE(at) !== MAGIC || buf[at + 2] !== VERSION) return undefined;
  const length = buf.readUInt32BE(at + 4);
  if (length > MAX_RECORD) return undefined;
  if (buf.length - at < HEADER + length) return 'short';
  const payload = buf.subarray(at + HEADER, at + HEADER + length);
  const crc = crc32(payload, crc32(buf.subarray(at, at + 12)));
  if (crc !== buf.readUInt32BE(at + 12)) return undefined;
  return { payload, count: buf.readUInt32BE(at + 8), size: HEADER + length };
}

/** The header for `payload`, to be written right before it. */
export function recordHeader(payload: Buffer, count: number): Buffer {
  const head = Buffer.alloc(HEADER);
  head.writeUInt16BE(MAGIC, 0);
  head[2] = VERSION;
  head.writeUInt32BE(payload.length, 4);
  head.writeUInt32BE(count, 8);
  head.writeUInt32BE(crc32(payload, crc32(head.subarray(0, 12))), 12);
  return head;
}
