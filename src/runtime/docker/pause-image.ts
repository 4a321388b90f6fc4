/**
 * The image of a multi-container replica's infra container (Kubernetes' "pause"): it holds the
 * replica's network namespace, address and published ports, so the app containers and
 * sidecars that join it share one address and `localhost`, and each can be replaced without
 * the others losing the network. There is no registry here, so berth makes the image itself,
 * the first time a replica needs it: one static x86-64 Linux program of 129 bytes (written
 * below, byte by byte) that waits for signals forever — `pause(2)` in a loop. It runs under
 * the engine's init like every berth container (docker-init is PID 1 and forwards SIGTERM;
 * the program keeps the default action for it, so a stop takes milliseconds).
 *
 * Imported as a one-file root filesystem (`docker import`), tagged PAUSE_IMAGE; the container
 * spec names `/pause` as its command (an imported image has no CMD).
 */
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';

/** The program as an ELF64 executable: header, one loadable segment, nine bytes of code. */
export function pauseProgram(): Buffer {
  const base = 0x400000n;
  const code = Buffer.from([
    0xb8,
    0x22,
    0x00,
    0x00,
    0x00, // mov eax, 34 (pause)
    0x0f,
    0x05, //                   syscall
    0xeb,
    0xf7, //                   jmp back to mov (-9)
  ]);
  const headerSize = 64;
  const programHeaderSize = 56;
  const total = headerSize + programHeaderSize + code.length;
  const elf = Buffer.alloc(total);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // magic, 64-bit, little-endian, version 1, System V
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(0x3e, 18); // x86-64
  elf.writeUInt32LE(1, 20); // version
  elf.writeBigUInt64LE(base + BigInt(headerSize + programHeaderSize), 24); // entry point
  elf.writeBigUInt64LE(BigInt(headerSize), 32); // program headers at
  elf.writeBigUInt64LE(0n, 40); // no section headers
  elf.writeUInt32LE(0, 48); // flags
  elf.writeUInt16LE(headerSize, 52);
  elf.writeUInt16LE(programHeaderSize, 54);
  elf.writeUInt16LE(1, 56); // one program header
  // PT_LOAD, readable and executable: the whole file at `base`.
  const ph = headerSize;
  elf.writeUInt32LE(1, ph);
  elf.writeUInt32LE(5, ph + 4);
  elf.writeBigUInt64LE(0n, ph + 8);
  elf.writeBigUInt64LE(base, ph + 16);
  elf.writeBigUInt64LE(base, ph + 24);
  elf.writeBigUInt64LE(BigInt(total), ph + 32);
  elf.writeBigUInt64LE(BigInt(total), ph + 40);
  elf.writeBigUInt64LE(0x1000n, ph + 48);
  code.copy(elf, headerSize + programHeaderSize);
  return elf;
}

/** The image's root filesystem as a tar stream: `/pause`, mode 0755. */
export function pauseRootfs(): Readable {
  const tar = pack();
  tar.entry({ name: 'pause', mode: 0o755, mtime: new Date(0) }, pauseProgram());
  tar.finalize();
  return tar as unknown as Readable; // a streamx Readable: piped by the client like any stream
}
