import {
  closeSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statfsSync,
  unlink,
  unlinkSync,
  writeFileSync,
  writevSync,
} from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { HEADER, parseRecord, recordHeader } from './spool-format.ts';

/**
 * The disk spool of the InfluxDB store: a write-ahead log of line-protocol batches.
 *
 * Layout under `dir`: segment files `seg-<12-digit seq>.wal`, appended to in order, and a file
 * `ack` holding the position of the first record not yet acknowledged (`<seq> <offset>`).
 *
 * Records are framed with length and CRC-32 (spool-format.ts). A reader stops at the first record
 * that does not check out: that is the torn tail a kill -9 (or a power loss) leaves behind.
 * Nothing after it in that segment is trusted; a process never appends to a segment it did not
 * create, so the tear can only be at the end.
 *
 * Durability (fsync policy): an append is one writev(2) into the kernel's page cache, so it
 * survives a kill -9 of the gateway as soon as append() returns. Against power loss the segment
 * is fsync'd asynchronously at most every `fsyncMs` (default 1 s) while it is being written,
 * synchronously when it is sealed or the spool closes, and the directory after a segment is
 * created: a power cut loses at most the last second. `fsyncMs: 0` fsyncs every append. The ack
 * file is replaced with write + rename and never fsync'd: losing an ack only means replaying
 * batches InfluxDB already has, which overwrites identical points (same series and timestamp).
 *
 * Replay order is append order: segments by sequence number, records by offset. Fully
 * acknowledged segments are deleted; the spool's disk use is the backlog plus one segment.
 */

/** Read size when gathering a batch. */
const READ_CHUNK = 256 * 1024;
/** The batch buffer starts at this size and shrinks back to it. */
const BATCH_BUF_MIN = 1024 * 1024;

/** `buf` when it holds `size` bytes, else a bigger one with its first `keep` bytes copied. */
function ensureCapacity(buf: Buffer, size: number, keep: number): Buffer {
  if (buf.length >= size) return buf;
  const bigger = Buffer.allocUnsafeSlow(Math.max(size, buf.length * 2, BATCH_BUF_MIN / 4));
  buf.copy(bigger, 0, 0, keep);
  return bigger;
}
const SEGMENT = /^seg-(\d{12})\.wal$/;

export interface SpoolOptions {
  dir: string;
  /** A segment is sealed once it reaches this size (default 8 MiB). */
  segmentBytes?: number;
  /** Interval of the background fsync; 0 = fsync every append (default 1000). */
  fsyncMs?: number;
  /**
   * Most bytes the spool may hold on disk (default no limit): an append past it is refused, and
   * the caller decides what becomes of the points.
   */
  maxBytes?: number;
  /**
   * Free space a new segment must leave on the filesystem (default 1 GiB), so that a long outage
   * never fills the disk the alert store and the rest of the gateway write to.
   */
  keepFreeBytes?: number;
  log?: Logger;
}

const GiB = 1024 * 1024 * 1024;
const inMiB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Where reading resumes: a segment and a byte offset in it. */
export interface SpoolPosition {
  readonly seq: number;
  readonly offset: number;
}

/** Consecutive records read from the acknowledged position on; pass it back to ack(). */
export interface SpoolBatch {
  /**
   * The records' payloads, concatenated. Valid until the next readBatch(): the spool reuses one
   * buffer for every batch (one batch is in flight at a time), so no batch-sized garbage outlives
   * its HTTP round trip into the old generation, where it would sit in RSS until a full GC.
   */
  readonly payload: Buffer;
  /** Sum of the records' point counts. */
  readonly count: number;
  readonly records: number;
  readonly start: SpoolPosition;
  readonly end: SpoolPosition;
}

/** What open() found on disk from a previous process. */
export interface SpoolRecovery {
  segments: number;
  records: number;
  points: number;
  /** Bytes after a torn or corrupt record, skipped. */
  skippedBytes: number;
}

interface Segment {
  seq: number;
  path: string;
  /** End of the last valid record: readers never go past it. */
  end: number;
  /** Unacknowledged points in this segment. */
  points: number;
}

interface Writer extends Segment {
  fd: number;
  /** Appended to since the last fsync. */
  dirty: boolean;
  /** An asynchronous fsync is running. */
  syncing: boolean;
}

export class Spool {
  readonly dir: string;
  readonly recovery: SpoolRecovery;
  readonly #segmentBytes: number;
  readonly #fsyncMs: number;
  readonly #maxBytes: number;
  readonly #keepFreeBytes: number;
  readonly #log: Logger;
  /** Segments still holding unacknowledged records (and the one being written), by seq. */
  readonly #segments: Segment[] = [];
  #read: SpoolPosition;
  #depth = 0;
  #nextSeq: number;
  #writer: Writer | undefined;
  #reader: { seq: number; fd: number } | undefined;
  /** Reused for every pread and every batch (see SpoolBatch.payload). */
  #readBuf: Buffer = Buffer.allocUnsafeSlow(0);
  #batchBuf: Buffer = Buffer.allocUnsafeSlow(0);
  #syncTimer: NodeJS.Timeout | undefined;
  #ackTimer: NodeJS.Timeout | undefined;
  #ackDirty = false;
  /** The background ack write under way, if any. */
  #ackWrite: Promise<void> | undefined;
  #closed = false;

  private constructor(options: SpoolOptions) {
    this.dir = options.dir;
    this.#segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    this.#fsyncMs = options.fsyncMs ?? 1000;
    this.#maxBytes = options.maxBytes ?? Infinity;
    this.#keepFreeBytes = options.keepFreeBytes ?? GiB;
    this.#log = options.log ?? silentLogger();
    mkdirSync(this.dir, { recursive: true });
    const { recovery, read, lastSeq } = this.#recover();
    this.recovery = recovery;
    this.#read = read;
    this.#nextSeq = lastSeq + 1;
  }

  /** Opens (or creates) the spool in `dir` and indexes what a previous process left unacknowledged. */
  static open(options: SpoolOptions): Spool {
    return new Spool(options);
  }

  /** Unacknowledged points on disk. */
  get depth(): number {
    return this.#depth;
  }

  /** Bytes of the segments on disk (acknowledged records leave with their whole segment). */
  get bytes(): number {
    let bytes = 0;
    for (const seg of this.#segments) bytes += seg.end;
    return bytes;
  }

  /**
   * Appends one record. Synchronous: when it returns the record survives a kill -9. Throws
   * CGW_STORE_UNAVAILABLE when the disk refuses (full, read-only); the next append starts a new
   * segment, so a half-written record can never sit in front of good ones.
   */
  append(payload: Buffer, count: number): void {
    if (this.#closed) throw new GatewayError('CGW_STORE_UNAVAILABLE', 'spool is closed');
    const bytes = this.bytes;
    if (bytes + HEADER + payload.length > this.#maxBytes)
      throw new GatewayError(
        'CGW_STORE_UNAVAILABLE',
        `spool full: ${inMiB(bytes)} on disk, its limit is ${inMiB(this.#maxBytes)}`,
      );
    if (this.#writer && this.#writer.end >= this.#segmentBytes) this.#seal();
    if (!this.#writer) this.#checkFreeSpace();
    let writer: Writer;
    try {
      writer = this.#writer ?? this.#createSegment();
    } catch (err) {
      throw new GatewayError('CGW_STORE_UNAVAILABLE', 'cannot create a spool segment', { cause: err });
    }
    const head = recordHeader(payload, count);
    try {
      const written = writevSync(writer.fd, [head, payload]);
      if (written !== head.length + payload.length) throw new Error(`short write (${written} bytes)`);
    } catch (err) {
      this.#abandonWriter(writer);
      throw new GatewayError('CGW_STORE_UNAVAILABLE', 'spool append failed', { cause: err });
    }
    writer.end += head.length + payload.length;
    writer.points += count;
    this.#depth += count;
    writer.dirty = true;
    if (this.#fsyncMs === 0) fsyncSync(writer.fd);
    else this.#scheduleSync();
  }

  /**
   * Reads consecutive records from the acknowledged position: at least one record, then more
   * while the total stays within `maxPoints` points and `maxBytes` bytes. Does not advance
   * anything: the caller acks the batch once it is stored, or reads it again later.
   * A batch never spans two segments.
   */
  readBatch(maxPoints: number, maxBytes = 16 * 1024 * 1024): SpoolBatch | undefined {
    for (;;) {
      const seg = this.#segments.find((s) => s.seq === this.#read.seq);
      if (!seg) return undefined;
      if (this.#read.offset < seg.end) {
        const batch = this.#readFrom(seg, maxPoints, maxBytes);
        if (batch.records > 0) return batch;
        continue; // the segment turned out corrupt at the read position and is now sealed there
      }
      if (seg === this.#writer) return undefined;
      // A sealed segment read to its end: everything in it is acknowledged or lost to a tear.
      this.#dropSegment(seg);
      this.#normaliseRead();
    }
  }

  /** Marks a batch from readBatch() stored: reading resumes after it; spent segments are deleted. */
  ack(batch: SpoolBatch): void {
    if (batch.start.seq !== this.#read.seq || batch.start.offset !== this.#read.offset) {
      throw new GatewayError('CGW_INTERNAL', 'spool ack out of order', { context: { ...batch.start } });
    }
    const seg = this.#segments.find((s) => s.seq === batch.end.seq);
    this.#read = batch.end;
    this.#depth -= batch.count;
    if (seg) {
      seg.points -= batch.count;
      if (seg !== this.#writer && batch.end.offset >= seg.end) {
        this.#dropSegment(seg);
        this.#normaliseRead();
      }
    }
    this.#ackDirty = true;
    if (this.#closed) this.#persistAck();
    else
      this.#ackTimer ??= setTimeout(() => {
        this.#ackTimer = undefined;
        this.#persistAckInBackground();
      }, 200).unref();
  }

  /**
   * Resolves when no background ack write is under way. After close(), the ack file then holds the
   * final position: wait for this before opening the directory again in the same process.
   */
  async settled(): Promise<void> {
    while (this.#ackWrite) await this.#ackWrite;
  }

  /** Persists the ack position, fsyncs and closes the segment being written. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#syncTimer);
    clearTimeout(this.#ackTimer);
    // A background write under way either skips its rename now or, when its rename had already
    // started, writes the position again once that lands (see settled()).
    if (this.#ackWrite) this.#ackDirty = true;
    this.#persistAck();
    if (this.#writer) this.#closeWriter(this.#writer);
    this.#writer = undefined;
    if (this.#reader) closeSync(this.#reader.fd);
    this.#reader = undefined;
  }

  #readFrom(seg: Segment, maxPoints: number, maxBytes: number): SpoolBatch {
    const start = this.#read;
    let records = 0;
    let offset = start.offset;
    let count = 0;
    let bytes = 0;
    let buf: Buffer = Buffer.alloc(0);
    let bufAt = offset;
    while (offset < seg.end) {
      let parsed = parseRecord(buf, offset - bufAt);
      if (parsed === 'short') {
        buf = this.#pread(seg, offset, Math.min(seg.end - offset, READ_CHUNK));
        bufAt = offset;
        parsed = parseRecord(buf, 0);
        if (parsed === 'short' && buf.length >= HEADER) {
          // A record larger than the chunk: read it whole.
          const size = HEADER + buf.readUInt32BE(4);
          if (size <= seg.end - offset) buf = this.#pread(seg, offset, size);
          parsed = parseRecord(buf, 0);
        }
      }
      if (parsed === undefined || parsed === 'short') {
        // Valid when the spool was opened, bad now: the file changed under us. Skip the rest.
        this.#log.error(
          { code: 'CGW_SPOOL_CORRUPT', segment: seg.path, offset },
          'spool record corrupt on read: skipping the rest of the segment',
        );
        const lost = seg.points - count;
        this.#depth -= lost;
        seg.points -= lost;
        seg.end = offset;
        const writer = this.#writer;
        if (writer && seg === writer) {
          // Never append behind a bad record: the next append opens a new segment.
          this.#writer = undefined;
          this.#closeWriter(writer);
        }
        break;
      }
      if (records > 0 && (count + parsed.count > maxPoints || bytes + parsed.payload.length > maxBytes)) {
        break;
      }
      // Copied out at once: the next pread reuses the buffer the record sits in.
      this.#batchBuf = ensureCapacity(this.#batchBuf, bytes + parsed.payload.length, bytes);
      parsed.payload.copy(this.#batchBuf, bytes);
      records++;
      count += parsed.count;
      bytes += parsed.payload.length;
      offset += parsed.size;
    }
    // A buffer grown by one big replay batch is given back once batches are small again.
    if (this.#batchBuf.length > 4 * BATCH_BUF_MIN && bytes < this.#batchBuf.length / 4) {
      const smaller = Buffer.allocUnsafeSlow(Math.max(BATCH_BUF_MIN, bytes * 2));
      this.#batchBuf.copy(smaller, 0, 0, bytes);
      this.#batchBuf = smaller;
    }
    return {
      payload: this.#batchBuf.subarray(0, bytes),
      count,
      records,
      start,
      end: { seq: seg.seq, offset },
    };
  }

  #pread(seg: Segment, offset: number, length: number): Buffer {
    if (this.#reader?.seq !== seg.seq) {
      if (this.#reader) closeSync(this.#reader.fd);
      this.#reader = { seq: seg.seq, fd: openSync(seg.path, 'r') };
    }
    this.#readBuf = ensureCapacity(this.#readBuf, length, 0);
    const buf = this.#readBuf;
    let got = 0;
    while (got < length) {
      const n = readSync(this.#reader.fd, buf, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  }

  /** Indexes the segments on disk, deletes spent ones, finds where reading resumes. */
  #recover(): { recovery: SpoolRecovery; read: SpoolPosition; lastSeq: number } {
    const recovery: SpoolRecovery = { segments: 0, records: 0, points: 0, skippedBytes: 0 };
    const seqs = readdirSync(this.dir)
      .map((name) => SEGMENT.exec(name)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const ack = this.#readAck() ?? { seq: seqs[0] ?? 0, offset: 0 };
    const lastSeq = Math.max(ack.seq, seqs.at(-1) ?? 0);
    let read: SpoolPosition | undefined;
    for (const seq of seqs) {
      const path = this.#segmentPath(seq);
      if (seq < ack.seq) {
        unlinkSync(path); // wholly acknowledged before the last stop
        continue;
      }
      let buf: Buffer;
      try {
        buf = readFileSync(path);
      } catch (err) {
        // Deleted meanwhile: a spent segment whose deletion (in the thread pool) was under way.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const from = seq === ack.seq ? ack.offset : 0;
      let at = 0;
      let first = -1;
      let points = 0;
      let records = 0;
      for (;;) {
        const parsed = parseRecord(buf, at);
        if (parsed === undefined || parsed === 'short') break;
        if (at >= from) {
          if (first < 0) first = at;
          points += parsed.count;
          records++;
        }
        at += parsed.size;
      }
      if (at < buf.length) {
        recovery.skippedBytes += buf.length - at;
        this.#log.warn(
          { code: 'CGW_SPOOL_CORRUPT', segment: path, validBytes: at, skippedBytes: buf.length - at },
          'spool segment ends in a torn or corrupt record (an interrupted write): skipped it',
        );
      }
      if (records === 0) {
        unlinkSync(path);
        continue;
      }
      this.#segments.push({ seq, path, end: at, points });
      read ??= { seq, offset: first };
      recovery.segments++;
      recovery.records += records;
      recovery.points += points;
      this.#depth += points;
    }
    return { recovery, read: read ?? { seq: lastSeq + 1, offset: 0 }, lastSeq };
  }

  #readAck(): SpoolPosition | undefined {
    try {
      const match = /^(\d+) (\d+)\n?$/.exec(readFileSync(join(this.dir, 'ack'), 'utf8'));
      if (match) return { seq: Number(match[1]), offset: Number(match[2]) };
      this.#log.warn({ code: 'CGW_SPOOL_CORRUPT' }, 'spool ack file unreadable: replaying the whole spool');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return undefined;
  }

  /**
   * `#persistAck` in the thread pool: the write and the rename took 0.3 ms on the event loop, and up
   * to 3 ms when the filesystem's journal was busy (influxd fsyncs its WAL on every write). One at a
   * time, so a position never overwrites a newer one; an ack meanwhile is written after it.
   */
  #persistAckInBackground(): void {
    if (!this.#ackDirty || this.#ackWrite || this.#closed) return;
    this.#ackDirty = false;
    const tmp = join(this.dir, 'ack.tmp-bg');
    let renaming = false;
    this.#ackWrite = writeFile(tmp, this.#ackText())
      .then(() => {
        // Closed meanwhile: close() wrote the newest position itself, which this must not overwrite.
        if (this.#closed) return rm(tmp, { force: true });
        renaming = true;
        return rename(tmp, join(this.dir, 'ack'));
      })
      .catch((err: unknown) => this.#ackFailed(err))
      .finally(() => {
        this.#ackWrite = undefined;
        if (this.#closed) {
          // close() came while this rename was under way, which may have landed after its write.
          if (renaming) {
            this.#ackDirty = true;
            this.#persistAck();
          }
        } else if (this.#ackDirty) this.#persistAckInBackground();
      });
  }

  #persistAck(): void {
    if (!this.#ackDirty) return;
    this.#ackDirty = false;
    const tmp = join(this.dir, 'ack.tmp');
    try {
      writeFileSync(tmp, this.#ackText());
      renameSync(tmp, join(this.dir, 'ack'));
    } catch (err) {
      this.#ackFailed(err);
    }
  }

  #ackText(): string {
    return `${this.#read.seq} ${this.#read.offset}\n`;
  }

  /** Harmless beyond a replay of stored batches after a restart. */
  #ackFailed(err: unknown): void {
    this.#log.warn({ err }, 'could not persist the spool ack position');
  }

  #segmentPath(seq: number): string {
    return join(this.dir, `seg-${String(seq).padStart(12, '0')}.wal`);
  }

  /** Refuses a new segment when the filesystem has less than `keepFreeBytes` left. */
  #checkFreeSpace(): void {
    let free: number;
    try {
      const fs = statfsSync(this.dir);
      free = fs.bavail * fs.bsize;
    } catch {
      return; // no answer: the write itself will say whether the disk takes it
    }
    if (free < this.#keepFreeBytes)
      throw new GatewayError(
        'CGW_STORE_UNAVAILABLE',
        `disk almost full: ${inMiB(free)} free, the spool leaves ${inMiB(this.#keepFreeBytes)} to the rest of the gateway`,
      );
  }

  #createSegment(): Writer {
    const seq = this.#nextSeq++;
    const path = this.#segmentPath(seq);
    const fd = openSync(path, 'a');
    try {
      const dirFd = openSync(this.dir, 'r');
      fsyncSync(dirFd);
      closeSync(dirFd);
    } catch {
      // Some filesystems refuse a directory fsync; the entry still reaches disk with the next sync.
    }
    const writer = { seq, path, end: 0, points: 0, fd, dirty: false, syncing: false };
    this.#segments.push(writer);
    if (this.#segments.length === 1) this.#read = { seq, offset: 0 };
    this.#writer = writer;
    return writer;
  }

  /**
   * Seals the current segment: fsync, close, and delete it if everything in it is acknowledged.
   * The fsync runs in the thread pool, as the background one does: a full segment is sealed in the
   * middle of an append, on the event loop.
   */
  #seal(): void {
    const writer = this.#writer;
    if (!writer) return;
    this.#writer = undefined;
    this.#closeWriter(writer, true);
    if (this.#read.seq === writer.seq && this.#read.offset >= writer.end) {
      this.#dropSegment(writer);
      this.#normaliseRead();
    }
  }

  /** Fsyncs and closes; `inBackground`, or while a background fsync runs, in the thread pool. */
  #closeWriter(writer: Writer, inBackground = false): void {
    if (writer.syncing || (inBackground && writer.dirty)) {
      // Another fsync on this fd in the thread pool (after the one running, if any), then close.
      writer.syncing = false;
      writer.dirty = true;
      const fd = writer.fd;
      fsync(fd, () => {
        try {
          closeSync(fd);
        } catch {
          // Nothing left to do with it.
        }
      });
      return;
    }
    try {
      if (writer.dirty) fsyncSync(writer.fd);
    } finally {
      closeSync(writer.fd);
    }
  }

  /** After a failed write: cut the partial record off if possible and never append here again. */
  #abandonWriter(writer: Writer): void {
    try {
      ftruncateSync(writer.fd, writer.end);
    } catch {
      // Left as a torn tail: readers stop at writer.end anyway.
    }
    this.#writer = undefined;
    try {
      closeSync(writer.fd);
    } catch {
      // Already unusable.
    }
    if (writer.end === 0) this.#dropSegment(writer);
    this.#normaliseRead();
  }

  #scheduleSync(): void {
    if (this.#syncTimer) return;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      const writer = this.#writer;
      if (!writer || !writer.dirty || writer.syncing) return;
      writer.dirty = false;
      writer.syncing = true;
      fsync(writer.fd, (err) => {
        if (!writer.syncing) return; // sealed meanwhile: #closeWriter took over the fd
        writer.syncing = false;
        if (err) this.#log.warn({ err }, 'spool fsync failed');
        if (writer.dirty && !this.#closed) this.#scheduleSync();
      });
    }, this.#fsyncMs).unref();
  }

  #dropSegment(seg: Segment): void {
    const index = this.#segments.indexOf(seg);
    if (index >= 0) this.#segments.splice(index, 1);
    this.#depth -= seg.points;
    seg.points = 0;
    if (this.#reader?.seq === seg.seq) {
      closeSync(this.#reader.fd);
      this.#reader = undefined;
    }
    // In the thread pool: deleting a spent segment took 4-6 ms on the event loop (the filesystem
    // freeing its blocks). It is wholly acknowledged, seq numbers are never reused, and one a crash
    // leaves behind is deleted by the next open.
    unlink(seg.path, (err) => {
      if (err && err.code !== 'ENOENT')
        this.#log.warn({ err, segment: seg.path }, 'could not delete a spent spool segment');
    });
  }

  /** Points the read position at the first remaining segment when its own segment is gone. */
  #normaliseRead(): void {
    if (this.#segments.some((s) => s.seq === this.#read.seq)) return;
    const next = this.#segments[0];
    this.#read = next ? { seq: next.seq, offset: 0 } : { seq: this.#nextSeq, offset: 0 };
    this.#ackDirty = true;
  }
}
