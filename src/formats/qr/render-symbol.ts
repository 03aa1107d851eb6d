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

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * PNG of the symbol with a quiet zone of `margin` modules, `scale` pixels per module; dark = black, light = white.
 * @example symbolToPng(QRCode.create(hc1, { errorCorrectionLevel: 'Q' }).modules, { scale: 4, margin: 4 })
 */
export function symbolToPng(modules: QrModules, { scale, margin }: { scale: number; margin: number }): Uint8Array {
  const { size, data } = modules;
  const width = (size + 2 * margin) * scale;
  const rowBytes = 1 + Math.ceil(width / 8); // filter byte + 1 bit per pixel
  const raw = new Uint8Array(rowBytes * width);
  const light = new Uint8Array(rowBytes).fill(0xff);
  light[0] = 0; // filter 0 (None)
  if (width % 8) light[rowBytes - 1] = (0xff << (8 - (width % 8))) & 0xff;
  // Module row drawn on pixel row y; -1 for the quiet zone above and below.
  const moduleRow = (y: number): number => {
    const my = Math.floor(y / scale) - margin;
    return my < 0 || my >= size ? -1 : my;
  };
  for (let y = 0; y < width; y++) {
    const row = raw.subarray(y * rowBytes, (y + 1) * rowBytes);
    const my = moduleRow(y);
    // A row equal to the one above is written with PNG filter 2 (Up) as zeros, which RLE squeezes to almost nothing.
    if (y > 0 && moduleRow(y - 1) === my) {
      row[0] = 2;
      continue;
    }
    row.set(light);
    if (my < 0) continue;
    for (let mx = 0; mx < size; mx++) {
      if (!data[my * size + mx]) continue;
      for (let x = (mx + margin) * scale, end = x + scale; x < end; x++) row[1 + (x >> 3)]! &= ~(0x80 >> (x & 7));
    }
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, width);
  header[8] = 1; // bit depth
  header[9] = 0; // greyscale; compression, filter and interlace methods 0
  const parts = [
    Uint8Array.from(PNG_SIGNATURE),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { strategy: constants.Z_RLE })),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * SVG of the symbol: a white background and one stroked path of horizontal runs, as `qrcode`'s SVG renderer writes.
 * @example symbolToSvg(QRCode.create(text, { errorCorrectionLevel: 'M' }).modules, { margin: 4 })
 */
export function symbolToSvg(modules: QrModules, { margin }: { margin: number }): string {
  const { size, data } = modules;
  const total = size + margin * 2;
  let path = '';
  let moveBy = 0;
  let newRow = false;
  let lineLength = 0;
  for (let i = 0; i < data.length; i++) {
    const col = i % size;
    const row = Math.floor(i / size);
    if (!col && !newRow) newRow = true;
    if (!data[i]) {
      moveBy++;
      continue;
    }
    lineLength++;
    if (!(i > 0 && col > 0 && data[i - 1])) {
      path += newRow ? `M${col + margin} ${0.5 + row + margin}` : `m${moveBy} 0`;
      moveBy = 0;
      newRow = false;
    }
    if (!(col + 1 < size && data[i + 1])) {
      path += `h${lineLength}`;
      lineLength = 0;
    }
  }
  const bg = `<path fill="#ffffff" d="M0 0h${total}v${total}H0z"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${total} ${total}" shape-rendering="crispEdges">${bg}<path stroke="#000000" d="${path}"/></svg>\n`;
}
