/** Builds small ustar archives in memory for tests (names, types and contents chosen by the test). */
import { gzipSync } from 'node:zlib';

export interface TarSpec {
  name: string;
  body?: string;
  /** ustar type flag: '0' file (default), '2' symlink, '5' directory, 'L' GNU long name, 'x' pax header. */
  type?: string;
}

function header(name: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

export function buildTar(specs: TarSpec[], gzip = true): Buffer {
  const parts: Buffer[] = [];
  for (const s of specs) {
    const body = Buffer.from(s.body ?? '', 'utf8');
    parts.push(header(s.name, body.length, s.type ?? '0'), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  const tar = Buffer.concat(parts);
  return gzip ? gzipSync(tar) : tar;
}
