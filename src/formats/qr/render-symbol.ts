/**
 * A QR symbol (the module matrix `QRCode.create` returns) drawn as PNG or SVG, so one symbol serves both images.
 * The SVG is byte for byte what the `qrcode` package's SVG renderer writes (default colours); the PNG has the same
 * pixels as its PNG renderer, written as 1-bit greyscale, repeated rows as Up-filtered zeros, RLE-deflated (the
 * package writes 8-bit RGBA through pngjs with adaptive filtering: ~40 ms per HCERT-sized symbol, against ~0.3 ms).
 * PNG: https://www.w3.org/TR/png/ · qrcode renderers: https://github.com/soldair/node-qrcode/tree/master/lib/renderer
 */
import { constants, crc32, deflateSync } from 'node:zlib';

/** The module matrix of a symbol: `size`² entries, truthy = dark. */
export interface QrModules {
  size: number;
  data: ArrayLike<number | boolean>;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Writes a PNG chunk (length, type, data, CRC) into `out` at `at`; returns where the next one starts. */
function chunkInto(out: Uint8Array, at: number, type: string, data: Uint8Array): number {
  const view = new DataView(out.buffer, out.byteOffset);
  view.setUint32(at, data.length);
  for (let i = 0; i < 4; i++) out[at + 4 + i] = type.charCodeAt(i);
  out.set(data, at + 8);
  view.setUint32(at + 8 + data.length, crc32(out.subarray(at + 4, at + 8 + data.length)));
  return at + 12 + data.length;
}

/**
 * PNG of the symbol with a quiet zone of `margin` modules, `scale` pixels per module; dark = black, light = white.
 * Each module row is drawn once (filter None); the `scale - 1` pixel rows under it, and the quiet zone's rows after
 * its first, are filter Up over zeros, which RLE squeezes to almost nothing. The buffer starts zeroed, so only the
 * drawn rows are written.
 * @example symbolToPng(QRCode.create(hc1, { errorCorrectionLevel: 'Q' }).modules, { scale: 4, margin: 4 })
 */
export function symbolToPng(modules: QrModules, { scale, margin }: { scale: number; margin: number }): Uint8Array {
  const { size, data } = modules;
  const width = (size + 2 * margin) * scale;
  const rowBytes = 1 + Math.ceil(width / 8); // filter byte + 1 bit per pixel
  const raw = new Uint8Array(rowBytes * width);
  // A light row: filter 0 (None), then white pixels; the padding bits after the last pixel are 0.
  const lastByte = width % 8 ? (0xff << (8 - (width % 8))) & 0xff : 0xff;
  const top = margin * scale;
  const bottom = top + size * scale;
  for (let y = 0; y < width; y++) {
    const at = y * rowBytes;
    // The first pixel row of the top quiet zone, of each module row and of the bottom quiet zone is drawn.
    const drawn = y === 0 || (y >= top && y <= bottom && (y - top) % scale === 0);
    if (!drawn) {
      raw[at] = 2;
      continue;
    }
    raw.fill(0xff, at + 1, at + rowBytes - 1);
    raw[at + rowBytes - 1] = lastByte;
    if (y < top || y >= bottom) continue; // quiet zone
    const my = ((y - top) / scale) | 0;
    // Dark runs cleared as whole bytes where they cover them, bit by bit at their ends.
    for (let mx = 0, base = my * size; mx < size; mx++) {
      if (!data[base + mx]) continue;
      let end = mx + 1;
      while (end < size && data[base + end]) end++;
      let x = (mx + margin) * scale;
      const stop = (end + margin) * scale;
      for (; x < stop && x & 7; x++) raw[at + 1 + (x >> 3)]! &= ~(0x80 >> (x & 7));
      for (; x + 8 <= stop; x += 8) raw[at + 1 + (x >> 3)] = 0;
      for (; x < stop; x++) raw[at + 1 + (x >> 3)]! &= ~(0x80 >> (x & 7));
      mx = end;
    }
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, width);
  header[8] = 1; // bit depth
  header[9] = 0; // greyscale; compression, filter and interlace methods 0
  const idat = deflateSync(raw, { strategy: constants.Z_RLE });
  const out = new Uint8Array(PNG_SIGNATURE.length + 25 + 12 + idat.length + 12);
  out.set(PNG_SIGNATURE, 0);
  let at = chunkInto(out, PNG_SIGNATURE.length, 'IHDR', header);
  at = chunkInto(out, at, 'IDAT', idat);
  chunkInto(out, at, 'IEND', new Uint8Array(0));
  return out;
}

/** Writes the decimal digits of a non-negative integer at `at`; returns where the next byte goes. */
function digits(out: Uint8Array, at: number, n: number): number {
  if (n >= 10) at = digits(out, at, Math.floor(n / 10));
  out[at] = 0x30 + (n % 10);
  return at + 1;
}

/**
 * The SVG path: per row `M<x> <y+.5>` to its first dark run, `m<gap> 0` to the next, `h<length>` for each run. Written
 * as ASCII bytes (at most 12 bytes per run, a run being at least one module plus a gap) and read as one flat string.
 */
function svgPath(size: number, data: QrModules['data'], margin: number): string {
  const out = Buffer.allocUnsafe(12 * ((size * size) / 2 + size) + 16);
  let at = 0;
  // Light modules since the last dark one, counted across rows (as qrcode's renderer counts them).
  let moveBy = 0;
  for (let row = 0; row < size; row++) {
    const base = row * size;
    let newRow = true;
    for (let col = 0; col < size; ) {
      if (!data[base + col]) {
        moveBy++;
        col++;
        continue;
      }
      let end = col + 1;
      while (end < size && data[base + end]) end++;
      if (newRow) {
        out[at++] = 0x4d; // M
        at = digits(out, at, col + margin);
        out[at++] = 0x20;
        at = digits(out, at, row + margin);
        out[at++] = 0x2e; // .5
        out[at++] = 0x35;
      } else {
        out[at++] = 0x6d; // m
        at = digits(out, at, moveBy);
        out[at++] = 0x20;
        out[at++] = 0x30;
      }
      out[at++] = 0x68; // h
      at = digits(out, at, end - col);
      newRow = false;
      moveBy = 0;
      col = end;
    }
  }
  return out.toString('latin1', 0, at);
}

/**
 * SVG of the symbol: a white background and one stroked path of horizontal runs, as `qrcode`'s SVG renderer writes.
 * @example symbolToSvg(QRCode.create(text, { errorCorrectionLevel: 'M' }).modules, { margin: 4 })
 */
export function symbolToSvg(modules: QrModules, { margin }: { margin: number }): string {
  const { size, data } = modules;
  const total = size + margin * 2;
  const path = svgPath(size, data, margin);
  const bg = `<path fill="#ffffff" d="M0 0h${total}v${total}H0z"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${total} ${total}" shape-rendering="crispEdges">${bg}<path stroke="#000000" d="${path}"/></svg>\n`;
}
