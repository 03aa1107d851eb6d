/**
 * A minimal in-memory reader for (gzipped) POSIX/ustar tar archives, enough for FHIR NPM packages.
 * Entries are returned as buffers; nothing is ever written to disk, so a hostile archive
 * (`../` names, symlinks, device files) cannot touch the file system.
 * Format: https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13_06
 */
import { gunzipSync } from 'node:zlib';

export interface TarEntry {
  /** Path inside the archive, normalised to forward slashes, without a leading `./`. */
  readonly name: string;
  readonly data: Buffer;
}

/** Any entry, with its ustar type flag (`0` file, `2` symlink, `1` hard link, `5` directory…). */
export interface TarItem extends TarEntry {
  readonly type: string;
}

export interface TarLimits {
  /** Cap on the inflated size of a gzipped archive: a gzip bomb fails fast instead of filling memory. */
  maxInflatedBytes?: number;
}

const BLOCK = 512;

function readString(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  const stop = end === -1 || end > start + length ? start + length : end;
  return buf.toString('utf8', start, stop);
}

function readOctal(buf: Buffer, start: number, length: number): number {
  const text = readString(buf, start, length).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

/** Parses pax extended header records (`"<len> key=value\n"`) and returns the `path` record if present. */
function paxPath(data: Buffer): string | undefined {
  const text = data.toString('utf8');
  for (const line of text.split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Lists the regular files of a tar archive (gzipped when it starts with the gzip magic bytes).
 * Throws `Error` on a truncated or corrupt archive.
 * @example readTar(readFileSync('who.ddcc#1.0.0.tgz')).find((e) => e.name === 'package/package.json')
 */
export function readTar(input: Buffer, limits: TarLimits = {}): TarEntry[] {
  // Only regular files matter to a package; links, devices and directories are ignored on purpose.
  return scanTar(input, limits)
    .filter((e) => e.type === '0' || e.type === '7')
    .map(({ name, data }) => ({ name, data }));
}

/** Every entry of the archive with its type, for callers that must refuse links or odd names. */
export function scanTar(input: Buffer, limits: TarLimits = {}): TarItem[] {
  const gzipped = input[0] === 0x1f && input[1] === 0x8b;
  const buf = gzipped
    ? gunzipSync(input, limits.maxInflatedBytes ? { maxOutputLength: limits.maxInflatedBytes } : {})
    : input;
  const entries: TarItem[] = [];
  let offset = 0;
  let pendingName: string | undefined;
  while (offset + BLOCK <= buf.length) {
    const header = buf.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = readOctal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = readString(header, 345, 155);
    const base = readString(header, 0, 100);
    const dataStart = offset + BLOCK;
    if (!Number.isFinite(size) || size < 0 || dataStart + size > buf.length)
      throw new Error('tar: truncated or corrupt entry');
    const data = buf.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      pendingName = readString(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      pendingName = paxPath(data) ?? pendingName;
      continue;
    }
    if (type === 'g') continue;
    const name = pendingName ?? (prefix ? `${prefix}/${base}` : base);
    pendingName = undefined;
    entries.push({ name: name.replace(/\\/g, '/').replace(/^\.\//, ''), data: Buffer.from(data), type });
  }
  return entries;
}
