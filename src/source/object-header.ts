import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { constants as zlibConstants, inflateSync } from 'node:zlib';

/**
 * The size of a git object, read without inflating it (#15: isomorphic-git inflated a 1 GiB
 * compressible blob — a 1.2 MB `.git` — into 4.3 GB of memory and 13 s before berth could say
 * FILE_TOO_LARGE). Where the size is written:
 *  - a loose object is zlib("<type> <size>\0<content>"): inflating its first compressed bytes
 *    gives the header (at most PREFIX_BYTES in → about 1032 × that out, bounded);
 *  - a packed object's entry header (type, inflated size; 7 bits a byte) sits at the offset its
 *    pack index (.idx v2) gives; a delta entry's own data starts with the base's size and the
 *    result's size (7 bits a byte), read by inflating its first bytes.
 * Reading a delta inflates every object of its chain, so the `cost` of an object is the largest
 * size along its chain: a small blob stored as a delta of a huge one is as expensive as the huge
 * one. Costs are memoized per pack offset (chains share their bases).
 */
export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export interface ObjectSize {
  readonly type: ObjectType;
  /** Inflated size in bytes. */
  readonly size: number;
  /** The largest inflated size reading it involves (its delta chain's objects included). */
  readonly cost: number;
}

const TYPES: Readonly<Record<number, ObjectType>> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const OFS_DELTA = 6;
const REF_DELTA = 7;
/**
 * Compressed bytes inflated to find a header, tried in turn: a deflate block may open with its
 * Huffman tables (up to a few hundred bytes) before any output. Output is bounded by deflate's
 * ratio (at most ~1032:1, reached only by tiny tables): 64 B in → ≤ 66 KB out, 32 KiB → ≤ 33 MB
 * in theory, a few KB in practice (content that needs big tables does not compress that far).
 */
const PREFIX_STEPS = [64, 512, 4096, 32768] as const;
/** Deeper chains than any git writes (pack.depth ≤ 4095) are treated as unreadable. */
const MAX_CHAIN = 5000;

/** A pack entry's header at `pos`: its type code, the size it declares and where its data starts. */
export interface PackEntryHeader {
  readonly typeCode: number;
  readonly size: number;
  /** OFS_DELTA: the base entry's offset in the same pack. */
  readonly baseOffset?: number;
  /** REF_DELTA: the base object's id. */
  readonly baseOid?: string;
  /** Offset of the entry's zlib data. */
  readonly dataStart: number;
}

export function parsePackEntryHeader(buf: Uint8Array, pos: number): PackEntryHeader {
  let i = pos;
  let byte = at(buf, i++);
  const typeCode = (byte >> 4) & 7;
  let size = byte & 15;
  let shift = 4;
  while (byte & 0x80) {
    byte = at(buf, i++);
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  }
  if (typeCode === OFS_DELTA) {
    // git's offset encoding: each continuation adds one before shifting (so encodings are unique).
    byte = at(buf, i++);
    let offset = byte & 0x7f;
    while (byte & 0x80) {
      byte = at(buf, i++);
      offset = (offset + 1) * 128 + (byte & 0x7f);
    }
    return { typeCode, size, baseOffset: pos - offset, dataStart: i };
  }
  if (typeCode === REF_DELTA) {
    if (i + 20 > buf.length) throw new Error('truncated pack entry');
    return { typeCode, size, baseOid: Buffer.from(buf.subarray(i, i + 20)).toString('hex'), dataStart: i + 20 };
  }
  return { typeCode, size, dataStart: i };
}

/** The first bytes of a zlib stream, inflated as far as `compressed` allows (never the whole stream). */
export function inflatePrefix(compressed: Uint8Array): Buffer {
  return inflateSync(compressed, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
}

/**
 * Inflates growing prefixes of a zlib stream (PREFIX_STEPS) until `parse` succeeds on the output.
 * Synchronous on purpose: a descriptor read here is never closed (invalidate) between its open and its read.
 */
export function parseInflatedPrefix<T>(read: (length: number) => Uint8Array, parse: (out: Uint8Array) => T): T {
  let last: unknown;
  for (const length of PREFIX_STEPS) {
    const compressed = read(length);
    try {
      return parse(inflatePrefix(compressed));
    } catch (err) {
      last = err;
      if (compressed.length < length) break; // the whole stream was there: more cannot help
    }
  }
  throw last;
}

function parseInflatedPrefixSync<T>(data: Uint8Array, parse: (out: Uint8Array) => T): T {
  let last: unknown;
  for (const length of PREFIX_STEPS) {
    try {
      return parse(inflatePrefix(data.subarray(0, length)));
    } catch (err) {
      last = err;
      if (data.length <= length) break;
    }
  }
  throw last;
}

/** A delta's base size and result size, from the first inflated bytes of its data. */
export function deltaSizes(prefix: Uint8Array): { baseSize: number; resultSize: number } {
  let i = 0;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = at(prefix, i++);
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const baseSize = varint();
  return { baseSize, resultSize: varint() };
}

/** "<type> <size>\0" at the start of an inflated loose object. */
export function parseLooseHeader(prefix: Uint8Array): { type: ObjectType; size: number } {
  const nul = prefix.indexOf(0);
  if (nul < 0) throw new Error('truncated object header'); // "blob 12" may be the start of "blob 1234"
  const header = Buffer.from(prefix.subarray(0, nul)).toString('latin1');
  const m = /^(commit|tree|blob|tag) (\d{1,16})$/.exec(header);
  if (!m) throw new Error(`not a loose object header: ${JSON.stringify(header.slice(0, 32))}`);
  return { type: m[1] as ObjectType, size: Number(m[2]) };
}

/**
 * The objects of a whole pack (as a fetch receives it) whose cost exceeds `maxBytes`: the first
 * such entry, or undefined. Entries under the limit are inflated to find where the next one
 * starts (each at most `maxBytes` out); an entry over it is never inflated. REF_DELTA bases
 * outside the pack (a thin pack) count with the delta's declared base size.
 */
export function firstOversizedPackEntry(pack: Uint8Array, maxBytes: number): { offset: number; size: number } | undefined {
  if (pack.length < 12 || Buffer.from(pack.subarray(0, 4)).toString('latin1') !== 'PACK') return undefined;
  const count = Buffer.from(pack.buffer, pack.byteOffset, pack.length).readUInt32BE(8);
  const costAt = new Map<number, number>();
  let pos = 12;
  for (let n = 0; n < count && pos < pack.length - 20; n++) {
    const h = parsePackEntryHeader(pack, pos);
    let cost = h.size;
    if (h.typeCode === OFS_DELTA || h.typeCode === REF_DELTA) {
      const { baseSize, resultSize } = parseInflatedPrefixSync(pack.subarray(h.dataStart), deltaSizes);
      const baseCost = h.baseOffset !== undefined ? (costAt.get(h.baseOffset) ?? baseSize) : baseSize;
      cost = Math.max(h.size, baseSize, resultSize, baseCost);
    }
    if (cost > maxBytes) return { offset: pos, size: cost };
    costAt.set(pos, cost);
    const { engine } = inflateSync(pack.subarray(h.dataStart), { info: true, maxOutputLength: Math.max(h.size, 1) + 64 }) as unknown as {
      engine: { bytesWritten: number };
    };
    pos = h.dataStart + engine.bytesWritten;
  }
  return undefined;
}

interface PackIndex {
  readonly fanout: Uint32Array;
  readonly count: number;
  readonly buf: Buffer;
  readonly packPath: string;
}

/** Object sizes in one git directory, from loose object headers and pack indexes. */
export class ObjectSizer {
  private indexes: Promise<PackIndex[]> | undefined;
  /** Open pack files (descriptors). Header reads are a few dozen bytes each: synchronous reads
   * cost microseconds, a thread-pool round trip per object cost a third of a cold snapshot. */
  private readonly handles = new Map<string, number>();
  /** Listings of `objects/xx` folders: a loose object that is not there costs no failed open (an exception each). */
  private readonly looseListings = new Map<string, ReadonlySet<string>>();
  /** Sizes of packed entries by `<pack>:<offset>` (delta chains share their bases). */
  private readonly sizes = new Map<string, ObjectSize | undefined>();

  constructor(private readonly gitdir: string) {}

  /** Forget pack listings and open files (after a fetch or a repack). */
  invalidate(): void {
    this.indexes = undefined;
    this.sizes.clear();
    this.looseListings.clear();
    for (const fd of this.handles.values()) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.handles.clear();
  }

  /** The object's type, size and cost; undefined when it is not present (or stored in a way not read here). */
  async sizeOf(oid: string, depth = 0): Promise<ObjectSize | undefined> {
    if (!/^[0-9a-f]{40}$/.test(oid) || depth > MAX_CHAIN) return undefined;
    const loose = this.looseSize(oid);
    if (loose) return { ...loose, cost: loose.size };
    for (const index of await this.packIndexes()) {
      const offset = findOffset(index, oid);
      if (offset !== undefined) return this.packedSizeMemo(index.packPath, offset, depth);
    }
    return undefined;
  }

  private looseSize(oid: string): { type: ObjectType; size: number } | undefined {
    const folder = oid.slice(0, 2);
    let names = this.looseListings.get(folder);
    if (!names) {
      try {
        names = new Set(readdirSync(path.join(this.gitdir, 'objects', folder)));
      } catch {
        names = new Set();
      }
      this.looseListings.set(folder, names);
    }
    if (!names.has(oid.slice(2))) return undefined;
    let fd: number;
    try {
      fd = openSync(path.join(this.gitdir, 'objects', folder, oid.slice(2)), 'r');
    } catch {
      return undefined;
    }
    try {
      return parseInflatedPrefix((length) => readAt(fd, 0, length), parseLooseHeader);
    } finally {
      closeSync(fd);
    }
  }

  private async packedSize(packPath: string, offset: number, depth: number): Promise<ObjectSize | undefined> {
    if (depth > MAX_CHAIN) return undefined; // a chain no git writes (or a cycle in a crafted pack)
    const fd = this.handle(packPath);
    // An entry header is at most 10 bytes of size, 10 of base offset (or 20 of base id).
    const h = parsePackEntryHeader(readAt(fd, offset, 48), 0);
    const type = TYPES[h.typeCode];
    if (type) return { type, size: h.size, cost: h.size };
    if (h.typeCode !== OFS_DELTA && h.typeCode !== REF_DELTA) return undefined;
    if (h.baseOffset !== undefined && h.baseOffset >= 0) return undefined; // a base must come before its delta
    const { baseSize, resultSize } = parseInflatedPrefix((length) => readAt(fd, offset + h.dataStart, length), deltaSizes);
    // From here on the descriptor is not used again (an invalidate() during the awaits below may close it).
    const base =
      h.baseOid !== undefined ? await this.sizeOf(h.baseOid, depth + 1) : await this.packedSizeMemo(packPath, offset + (h.baseOffset ?? 0), depth + 1);
    if (!base) return undefined;
    return { type: base.type, size: resultSize, cost: Math.max(resultSize, baseSize, base.cost) };
  }

  /** Only settled sizes are kept: a pending one shared along a (crafted) cycle would wait on itself. */
  private async packedSizeMemo(packPath: string, offset: number, depth: number): Promise<ObjectSize | undefined> {
    const key = `${packPath}:${offset}`;
    if (this.sizes.has(key)) return this.sizes.get(key);
    const found = await this.packedSize(packPath, offset, depth);
    this.sizes.set(key, found);
    return found;
  }

  private handle(packPath: string): number {
    let fd = this.handles.get(packPath);
    if (fd === undefined) {
      fd = openSync(packPath, 'r');
      this.handles.set(packPath, fd);
    }
    return fd;
  }

  private packIndexes(): Promise<PackIndex[]> {
    this.indexes ??= (async () => {
      const dir = path.join(this.gitdir, 'objects', 'pack');
      const names = await readdir(dir).catch(() => [] as string[]);
      const out: PackIndex[] = [];
      for (const name of names.filter((n) => n.endsWith('.idx')).sort()) {
        const buf = await readFile(path.join(dir, name)).catch(() => undefined);
        // Only version 2 indexes (git's default since 1.5.2; isomorphic-git writes them too).
        if (!buf || buf.length < 8 + 1024 || buf.readUInt32BE(0) !== 0xff744f63 || buf.readUInt32BE(4) !== 2) continue;
        const fanout = new Uint32Array(256);
        for (let i = 0; i < 256; i++) fanout[i] = buf.readUInt32BE(8 + i * 4);
        out.push({ fanout, count: fanout[255]!, buf, packPath: path.join(dir, name.replace(/\.idx$/, '.pack')) });
      }
      return out;
    })();
    return this.indexes;
  }
}

/** Binary search of an .idx v2 for `oid`: its pack offset, or undefined. */
function findOffset(index: PackIndex, oid: string): number | undefined {
  const target = Buffer.from(oid, 'hex');
  const first = target[0]!;
  let lo = first === 0 ? 0 : index.fanout[first - 1]!;
  let hi = index.fanout[first]!;
  const oidsAt = 8 + 1024;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // The index's id at `mid` against `target`: > 0 when it sorts after (Buffer#compare compares
    // its own range, here the index's, with the target's).
    const cmp = index.buf.compare(target, 0, 20, oidsAt + mid * 20, oidsAt + mid * 20 + 20);
    if (cmp === 0) {
      const offsetsAt = oidsAt + index.count * 20 + index.count * 4;
      const small = index.buf.readUInt32BE(offsetsAt + mid * 4);
      if (!(small & 0x80000000)) return small;
      const largeAt = offsetsAt + index.count * 4 + (small & 0x7fffffff) * 8;
      return Number(index.buf.readBigUInt64BE(largeAt));
    }
    if (cmp > 0) hi = mid;
    else lo = mid + 1;
  }
  return undefined;
}

function at(buf: Uint8Array, i: number): number {
  const v = buf[i];
  if (v === undefined) throw new Error('truncated object header');
  return v;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const bytesRead = readSync(fd, buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}
