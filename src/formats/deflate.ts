/**
 * DEFLATE with a hard output cap. node:zlib's `maxOutputLength` stops inflation as soon as the output would pass
 * the cap, so a bomb fails fast without allocating beyond it.
 * https://www.rfc-editor.org/rfc/rfc1950 (zlib, used by HCERT) · https://www.rfc-editor.org/rfc/rfc1951 (raw, used by SHC/JWE zip)
 */
import { deflateRawSync, deflateSync, inflateRawSync, inflateSync } from 'node:zlib';
import { FormatError } from './errors.ts';

export type DeflateFlavour = 'zlib' | 'raw';

/**
 * Window just large enough for the input: zlib allocates and clears ~256 KiB of state at the default window and
 * memLevel, which costs more than compressing a 1 KiB credential; a window ≥ the input loses no compression.
 */
function windowFor(length: number): { windowBits: number; memLevel: number; chunkSize: number } {
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(length + 262))));
  // output buffer sized to the input too: the default 16 KiB chunk per call is mostly garbage for small credentials
  const chunkSize = Math.min(16384, Math.max(64, 2 ** Math.ceil(Math.log2(length + 64))));
  return { windowBits, memLevel: Math.max(1, Math.min(8, windowBits - 6)), chunkSize };
}

/**
 * Compress at level 9 (credential size matters more than the microseconds).
 * @example deflate(bytes, 'zlib')
 */
export function deflate(bytes: Uint8Array, flavour: DeflateFlavour): Uint8Array {
  const options = { level: 9, ...windowFor(bytes.length) };
  const out = flavour === 'zlib' ? deflateSync(bytes, options) : deflateRawSync(bytes, options);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Inflate, failing with INFLATE_TOO_LARGE past `maxOutputBytes` and INFLATE_INVALID on a corrupt stream.
 * @example inflate(deflate(bytes, 'raw'), 'raw', 1 << 20)
 */
export function inflate(bytes: Uint8Array, flavour: DeflateFlavour, maxOutputBytes: number): Uint8Array {
  try {
    const options = { maxOutputLength: maxOutputBytes, chunkSize: 4096 };
    const out = flavour === 'zlib' ? inflateSync(bytes, options) : inflateRawSync(bytes, options);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new FormatError('INFLATE_TOO_LARGE', `Decompressed data exceeds the cap of ${maxOutputBytes} bytes`, {
        cause,
      });
    }
    const name = flavour === 'zlib' ? 'zlib' : 'raw DEFLATE';
    throw new FormatError('INFLATE_INVALID', `The ${name} stream is corrupt: ${(cause as Error).message}`, { cause });
  }
}

/**
 * True when the bytes start with a valid zlib header (CMF/FLG check, RFC 1950 §2.2).
 * @example hasZlibHeader(Uint8Array.of(0x78, 0xda)) // true
 */
export function hasZlibHeader(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false;
  const cmf = bytes[0]!;
  const flg = bytes[1]!;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && (cmf * 256 + flg) % 31 === 0;
}
