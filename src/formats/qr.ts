/**
 * QR rendering (PNG / SVG) for every payload we mint, with the error correction each spec recommends, and the
 * QR version reported so callers can check fit. Uses the `qrcode` package.
 * HCERT: alphanumeric, level Q (EU eHN HCERT spec §4.2). SHC: byte `shc:/` + numeric segment, level L,
 * version ≤ 22 (https://spec.smarthealth.cards/#creating-a-qr-code). SHL: byte mode, level M.
 */
import QRCode, { type QRCodeSegment } from 'qrcode';
import { FormatError } from './errors.ts';

export type QrFormat = 'png' | 'svg';
export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';

export interface QrImage {
  format: QrFormat;
  /** PNG bytes or SVG text. */
  data: Uint8Array | string;
  /** QR version (1–40) the payload needed. */
  version: number;
  errorCorrection: QrErrorCorrection;
}

export interface QrOptions {
  format: QrFormat;
  errorCorrection: QrErrorCorrection;
  /** Fail with QR_TOO_LARGE when the payload needs a larger version. */
  maxVersion?: number;
  /** Pixels per module for PNG (default 4). */
  scale?: number;
}

/** Segments for a payload: SHC splits `shc:/` (byte) from the digits (numeric) as the spec asks. */
function segmentsFor(text: string): QRCodeSegment[] | string {
  const shc = /^(shc:\/)(\d+)$/.exec(text);
  if (shc === null) return text;
  return [
    { data: new TextEncoder().encode(shc[1]!), mode: 'byte' },
    { data: shc[2]!, mode: 'numeric' },
  ];
}

function measure(content: QRCodeSegment[] | string, errorCorrection: QrErrorCorrection): number {
  try {
    return QRCode.create(content, { errorCorrectionLevel: errorCorrection }).version;
  } catch (cause) {
    throw new FormatError('QR_TOO_LARGE', `QR: the payload does not fit any QR version at error correction ${errorCorrection}`, { cause });
  }
}

/**
 * Render text as a QR image.
 * @example const { data, version } = await renderQr(hc1, { format: 'png', errorCorrection: 'Q' })
 * @see https://github.com/soldair/node-qrcode#qr-code-options
 */
export async function renderQr(text: string, options: QrOptions): Promise<QrImage> {
  const content = segmentsFor(text);
  const version = measure(content, options.errorCorrection);
  if (options.maxVersion !== undefined && version > options.maxVersion) {
    throw new FormatError('QR_TOO_LARGE', `QR: the payload needs version ${version}, above the maximum ${options.maxVersion}`);
  }
  const common = { errorCorrectionLevel: options.errorCorrection, version, margin: 4 } as const;
  const data =
    options.format === 'png'
      ? new Uint8Array(await QRCode.toBuffer(content, { ...common, type: 'png', scale: options.scale ?? 4 }))
      : await QRCode.toString(content, { ...common, type: 'svg' });
  return { format: options.format, data, version, errorCorrection: options.errorCorrection };
}

/** Presets per credential kind. */
export const QR_PRESETS = Object.freeze({
  hcert: { errorCorrection: 'Q', maxVersion: 40 },
  shc: { errorCorrection: 'L', maxVersion: 22 },
  shlink: { errorCorrection: 'M', maxVersion: 40 },
} as const);

/**
 * Render a credential with its spec's preset: HC1 text, one `shc:/` chunk, or a (viewer-prefixed) shlink.
 * @example await renderCredentialQr('shc', chunk, 'svg')
 */
export async function renderCredentialQr(kind: keyof typeof QR_PRESETS, text: string, format: QrFormat): Promise<QrImage> {
  return renderQr(text, { format, ...QR_PRESETS[kind] });
}
