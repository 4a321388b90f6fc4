import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { deltaSizes, firstOversizedPackEntry, inflatePrefix, parseLooseHeader, parsePackEntryHeader } from '../../../src/source/object-header.js';

describe('object headers, by worked example', () => {
  it('a pack entry header: type in bits 4–6 of the first byte, the size 4 bits then 7 bits a byte', () => {
    // 5,000,000 = 0x4C4B40: low 4 bits 0x0 → 0xB0 (more, blob=3); 312,500 & 0x7f = 0x34 → 0xB4 (more);
    // 2,441 & 0x7f = 0x09 → 0x89 (more); 19 → 0x13.
    assert.deepEqual(parsePackEntryHeader(Uint8Array.from([0xb0, 0xb4, 0x89, 0x13]), 0), { typeCode: 3, size: 5_000_000, dataStart: 4 });
    // An OFS_DELTA (6) of 11 bytes whose base is 300 bytes back: 300 is [0x81, 0x2C] ((1 + 1) × 128 + 44).
    assert.deepEqual(parsePackEntryHeader(Uint8Array.from([0, 0, 0x6b, 0x81, 0x2c]), 2), { typeCode: 6, size: 11, baseOffset: 2 - 300, dataStart: 5 });
    assert.throws(() => parsePackEntryHeader(Uint8Array.from([0xb0, 0xb4]), 0), /truncated/);
  });

  it("a delta's base and result sizes: two 7-bits-a-byte numbers", () => {
    // 108,900 = [0xE4, 0xD2, 0x06]; 11 = [0x0B].
    assert.deepEqual(deltaSizes(Uint8Array.from([0xe4, 0xd2, 0x06, 0x0b, 0x90])), { baseSize: 108_900, resultSize: 11 });
    assert.throws(() => deltaSizes(Uint8Array.from([0xe4, 0xd2])), /truncated/);
  });

  it('a loose object header: "<type> <size>\\0", whole or refused', () => {
    const table: [string, { type: string; size: number } | RegExp][] = [
      ['blob 12\0hello', { type: 'blob', size: 12 }],
      ['tree 0\0', { type: 'tree', size: 0 }],
      ['commit 1073741824\0', { type: 'commit', size: 1_073_741_824 }],
      ['blob 12', /truncated/], // may be the start of "blob 1234"
      ['evil 5\0', /not a loose object header/],
      ['blob -1\0', /not a loose object header/],
    ];
    for (const [text, expect] of table) {
      const bytes = Buffer.from(text, 'latin1');
      if (expect instanceof RegExp) assert.throws(() => parseLooseHeader(bytes), expect, text);
      else assert.deepEqual(parseLooseHeader(bytes), expect, text);
    }
  });

  it('a 64 MiB stream of zeros: its first 64 compressed bytes give its header, not its content', () => {
    const header = Buffer.from(`blob ${64 * 1024 * 1024}\0`);
    const compressed = deflateSync(Buffer.concat([header, Buffer.alloc(64 * 1024 * 1024)]));
    const out = inflatePrefix(compressed.subarray(0, 64));
    assert.ok(out.length < 128 * 1024, `inflated ${out.length} bytes`);
    assert.deepEqual(parseLooseHeader(out), { type: 'blob', size: 64 * 1024 * 1024 });
  });

  it('a pack: the first entry over the limit, found without inflating it', () => {
    const entry = (typeCode: number, content: Buffer) => {
      const bytes: number[] = [];
      let size = content.length;
      let byte = (typeCode << 4) | (size & 15);
      size = Math.floor(size / 16);
      while (size > 0) {
        bytes.push(byte | 0x80);
        byte = size & 0x7f;
        size = Math.floor(size / 128);
      }
      bytes.push(byte);
      return Buffer.concat([Buffer.from(bytes), deflateSync(content)]);
    };
    const small = entry(3, Buffer.from('kind: Namespace\n'));
    const big = entry(3, Buffer.alloc(8 * 1024 * 1024));
    const header = Buffer.from([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2, 0, 0, 0, 2]);
    const pack = Buffer.concat([header, small, big, Buffer.alloc(20)]);
    assert.deepEqual(firstOversizedPackEntry(pack, 1024 * 1024), { offset: 12 + small.length, size: 8 * 1024 * 1024 });
    assert.equal(firstOversizedPackEntry(pack, 16 * 1024 * 1024), undefined);
  });
});
