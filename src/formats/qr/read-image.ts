/**
 * QR image reading for `$verify`: an uploaded photo or screenshot (PNG or JPEG) in, the QR's text out. Pure JS
 * (`pngjs`, `jpeg-js`, `jsqr`) so it runs wherever the server does. Each way to fail has its own code, so a QR we
 * could not read (QR_NOT_FOUND) is never mistaken for a QR that holds no credential (PREFIX_MISSING downstream).
 * QR text model: ISO/IEC 18004:2015 §7.4 (numeric, alphanumeric and byte segments, ISO 8859-1 default charset).
 */
import { inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import jsQRModule, { type Options, type QRCode } from 'jsqr';
import png from 'pngjs';
import { FormatError } from '../errors.ts';

// jsqr's typings declare an ES default export, but its UMD build sets module.exports to the function itself.
const jsQR = jsQRModule as unknown as (
  data: Uint8ClampedArray,
  width: number,
  height: number,
  options?: Options,
) => QRCode | null;

/** Caps checked before any pixel buffer is allocated. A 12 MP phone photo (4032x3024) fits; 4096² RGBA is 64 MiB. */
export interface QrImageLimits {
  /** Max bytes of the encoded image file. */
  readonly maxInputBytes: number;
  readonly maxWidth: number;
  readonly maxHeight: number;
}

export const DEFAULT_QR_IMAGE_LIMITS: QrImageLimits = Object.freeze({
  maxInputBytes: 20 * 1024 * 1024,
  maxWidth: 4096,
  maxHeight: 4096,
});

type ImageType = 'png' | 'jpeg';

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** Magic bytes decide, because upload clients often send a wrong or generic Content-Type. */
function detectType(bytes: Uint8Array, contentType: string | undefined): ImageType {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  const declared = contentType === undefined ? '' : ` (declared as ${contentType.split(';')[0]!.trim()})`;
  throw new FormatError('QR_IMAGE_UNSUPPORTED', `QR image: the bytes${declared} are neither PNG nor JPEG`);
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number): number =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/** PNG puts IHDR first (PNG spec §5.6), so the size is known before pngjs inflates anything. */
function pngSize(bytes: Uint8Array): [number, number] {
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') {
    throw new FormatError('QR_IMAGE_CORRUPT', 'QR image: the PNG has no IHDR chunk after its signature', { offset: 8 });
  }
  return [u32(bytes, 16), u32(bytes, 20)];
}

/** Walk the JPEG markers (ITU-T T.81 §B.1.1) to the frame header, which must precede the first scan. */
function jpegSize(bytes: Uint8Array): [number, number] {
  let at = 2;
  while (at + 9 <= bytes.length) {
    if (bytes[at] !== 0xff) break;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1;
      continue;
    } // fill byte
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return [u16(bytes, at + 7), u16(bytes, at + 5)];
    if (marker === 0xda || marker === 0xd9) break;
    at += 2 + u16(bytes, at + 2);
  }
  throw new FormatError('QR_IMAGE_CORRUPT', 'QR image: the JPEG has no frame header before its image data', {
    offset: Math.min(at, bytes.length),
  });
}

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * pngjs caps inflation at the image size only for non-interlaced PNGs; for Adam7 it inflates with no cap, so a few
 * MB of IDAT could become gigabytes. Bound it here: Adam7 adds at most ~4 bytes per row over the plain layout.
 */
function checkInterlacedInflate(bytes: Uint8Array, width: number, height: number): void {
  if (bytes[28] !== 1) return;
  const rowBytes = Math.ceil((width * (PNG_CHANNELS[bytes[25]!] ?? 4) * bytes[24]!) / 8);
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length; at += 12 + u32(bytes, at)) {
    if (String.fromCharCode(...bytes.subarray(at + 4, at + 8)) === 'IDAT')
      idat.push(bytes.subarray(at + 8, at + 8 + u32(bytes, at)));
  }
  try {
    inflateSync(Buffer.concat(idat), { maxOutputLength: (rowBytes + 15) * height + 64 });
  } catch (cause) {
    if ((cause as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') return; // corrupt data: pngjs says how
    throw new FormatError(
      'QR_IMAGE_TOO_LARGE',
      `QR image: the interlaced PNG inflates beyond its ${width}x${height} pixels`,
      { cause },
    );
  }
}

function checkSize(type: ImageType, [width, height]: [number, number], limits: QrImageLimits): void {
  if (width === 0 || height === 0)
    throw new FormatError('QR_IMAGE_CORRUPT', `QR image: the ${type.toUpperCase()} declares ${width}x${height} pixels`);
  if (width > limits.maxWidth || height > limits.maxHeight) {
    throw new FormatError(
      'QR_IMAGE_TOO_LARGE',
      `QR image: ${width}x${height} pixels is above the maximum ${limits.maxWidth}x${limits.maxHeight}`,
    );
  }
}

function decodePixels(type: ImageType, bytes: Uint8Array, limits: QrImageLimits): Rgba {
  // Buffer view, no copy: pngjs needs Buffer methods.
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (type === 'png') return png.PNG.sync.read(buffer);
    // jpeg-js' own caps are a second fence, should the marker walk above ever be fooled. It books ~18 bytes per
    // pixel (coefficients, component planes, RGBA out), so 24 lets every image within the pixel caps through.
    const maxResolutionInMP = (limits.maxWidth * limits.maxHeight) / 1e6;
    return jpeg.decode(buffer, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP,
      maxMemoryUsageInMB: Math.ceil(maxResolutionInMP * 24),
    });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    if (/limit exceeded|allocate enough memory/.test(reason)) {
      throw new FormatError('QR_IMAGE_TOO_LARGE', `QR image: the JPEG needs more memory than allowed (${reason})`, {
        cause,
      });
    }
    throw new FormatError('QR_IMAGE_CORRUPT', `QR image: the ${type.toUpperCase()} could not be decoded (${reason})`, {
      cause,
    });
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const LATIN1 = new TextDecoder('latin1');

/**
 * jsQR's `data` silently drops a byte segment that is not UTF-8, which would turn a misread into a different
 * string; rebuilding from the segments keeps every character. Numeric and alphanumeric segments are ASCII already,
 * so `shc:/` (byte + numeric) and `HC1:` (alphanumeric) come back exactly as encoded.
 */
function textOf(code: QRCode): string {
  return code.chunks
    .map((chunk) => {
      if (!('bytes' in chunk) || String(chunk.type) !== 'byte') return 'text' in chunk ? chunk.text : '';
      const bytes = Uint8Array.from(chunk.bytes);
      try {
        return UTF8.decode(bytes);
      } catch {
        return LATIN1.decode(bytes);
      }
    })
    .join('');
}

/**
 * Read the QR code in a PNG or JPEG image and return its text, exactly as encoded, for the credential decoders
 * (`HC1:`, `shc:/`, `shlink:/`) to take over. Only the first QR found is read.
 *
 * Throws FormatError: QR_IMAGE_UNSUPPORTED (neither PNG nor JPEG), QR_IMAGE_TOO_LARGE (file or pixel size over
 * `limits`, checked from the header before decoding), QR_IMAGE_CORRUPT (the image does not decode),
 * QR_NOT_FOUND (the image decodes but holds no readable QR), INPUT_INVALID (empty input).
 *
 * @param bytes the image file as uploaded
 * @param contentType the declared media type; only used in messages, the magic bytes decide
 * @example
 * const text = readQrImage(new Uint8Array(await file.arrayBuffer()), 'image/png') // 'HC1:NCFOXN%TS3DH…'
 * @see https://www.w3.org/TR/png-3/#5DataRep
 */
export function readQrImage(bytes: Uint8Array, contentType?: string, limits: Partial<QrImageLimits> = {}): string {
  const caps = { ...DEFAULT_QR_IMAGE_LIMITS, ...limits };
  if (!(bytes instanceof Uint8Array) || bytes.length === 0)
    throw new FormatError('INPUT_INVALID', 'QR image: the input is empty');
  if (bytes.length > caps.maxInputBytes) {
    throw new FormatError(
      'QR_IMAGE_TOO_LARGE',
      `QR image: ${bytes.length} bytes is above the maximum ${caps.maxInputBytes}`,
    );
  }
  const type = detectType(bytes, contentType);
  const size = type === 'png' ? pngSize(bytes) : jpegSize(bytes);
  checkSize(type, size, caps);
  if (type === 'png') checkInterlacedInflate(bytes, ...size);
  const image = decodePixels(type, bytes, caps);
  const rgba = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.width * image.height * 4);
  // Both polarities: dark-mode screenshots and some wallet apps show light modules on a dark background.
  const code = jsQR(rgba, image.width, image.height, { inversionAttempts: 'attemptBoth' });
  if (code === null)
    throw new FormatError(
      'QR_NOT_FOUND',
      `QR image: no readable QR code in the ${image.width}x${image.height} ${type.toUpperCase()}`,
    );
  return textOf(code);
}
