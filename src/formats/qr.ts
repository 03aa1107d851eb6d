/**
 * QR rendering (PNG / SVG) for every payload we mint, with the error correction each spec recommends, and the
 * QR version reported so callers can check fit. qr/render-symbol.ts draws the symbol. qr/encode-alphanumeric.ts builds
 * it for texts that are all QR alphanumeric (every HC1: base45 is that alphabet), the `qr` package's symbols module for
 * module at about a third of its cost (ADR 0075; the `qr` package in turn took ~0.6 ms where `qrcode` takes ~5 ms,
 * ADR 0053); `qrcode` keeps the other texts, whose mixed segments it optimises.
 * HCERT: alphanumeric, level Q (EU eHN HCERT spec §4.2). SHC: byte `shc:/` + numeric segment, level L,
 * version ≤ 22 (https://spec.smarthealth.cards/#creating-a-qr-code). SHL: byte mode, level M.
 */
import QRCode, { type QRCodeSegment } from 'qrcode';
import { FormatError } from './errors.ts';
import { encodeAlphanumeric } from './qr/encode-alphanumeric.ts';
import { symbolToPng, symbolToSvg, type QrModules } from './qr/render-symbol.ts';

export type { QrModules };

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

/**
 * The version the payload needs. The mask pattern does not change the version, so it is fixed here: choosing the
 * best mask (8 trial maskings) is most of the cost of a symbol and is paid once, by `symbolFor`.
 */
function measure(content: QRCodeSegment[] | string, errorCorrection: QrErrorCorrection): number {
  try {
    return QRCode.create(content, { errorCorrectionLevel: errorCorrection, maskPattern: 0 }).version;
  } catch (cause) {
    throw new FormatError(
      'QR_TOO_LARGE',
      `QR: the payload does not fit any QR version at error correction ${errorCorrection}`,
      { cause },
    );
  }
}

const MARGIN = 4;

/** QR alphanumeric mode's 45 characters (ISO/IEC 18004 §7.4.4), which base45 was chosen to match. */
const ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]+$/;

/** An alphanumeric text's symbol (qr/encode-alphanumeric.ts): smallest version, best mask by the standard's penalty. */
function alphanumericSymbol(text: string, options: Omit<QrOptions, 'format'>): { modules: QrModules; version: number } {
  const { size, data, version } = encodeAlphanumeric(text, options.errorCorrection);
  if (options.maxVersion !== undefined && version > options.maxVersion) {
    throw new FormatError(
      'QR_TOO_LARGE',
      `QR: the payload needs version ${version}, above the maximum ${options.maxVersion}`,
    );
  }
  return { modules: { size, data }, version };
}

/** The symbol at the smallest version that holds the text at the error correction asked for. */
function symbolFor(text: string, options: Omit<QrOptions, 'format'>): { modules: QrModules; version: number } {
  if (ALPHANUMERIC.test(text)) return alphanumericSymbol(text, options);
  const content = segmentsFor(text);
  const version = measure(content, options.errorCorrection);
  if (options.maxVersion !== undefined && version > options.maxVersion) {
    throw new FormatError(
      'QR_TOO_LARGE',
      `QR: the payload needs version ${version}, above the maximum ${options.maxVersion}`,
    );
  }
  return {
    modules: QRCode.create(content, { errorCorrectionLevel: options.errorCorrection, version }).modules as QrModules,
    version,
  };
}

function draw(modules: QrModules, format: QrFormat, scale: number | undefined): Uint8Array | string {
  return format === 'png'
    ? symbolToPng(modules, { scale: scale ?? 4, margin: MARGIN })
    : symbolToSvg(modules, { margin: MARGIN });
}

/**
 * Render text as a QR image.
 * @example const { data, version } = await renderQr(hc1, { format: 'png', errorCorrection: 'Q' })
 * @see https://github.com/soldair/node-qrcode#qr-code-options
 */
export async function renderQr(text: string, options: QrOptions): Promise<QrImage> {
  const { modules, version } = symbolFor(text, options);
  return {
    format: options.format,
    data: draw(modules, options.format, options.scale),
    version,
    errorCorrection: options.errorCorrection,
  };
}

/**
 * Render text in several image formats from one symbol (the symbol, not the drawing, is the costly part).
 * @example const [png, svg] = await renderQrImages(hc1, ['png', 'svg'], { errorCorrection: 'Q' })
 */
export async function renderQrImages(
  text: string,
  formats: readonly QrFormat[],
  options: Omit<QrOptions, 'format'>,
): Promise<QrImage[]> {
  if (formats.length === 0) return [];
  const { modules, version } = symbolFor(text, options);
  return formats.map((format) => ({
    format,
    data: draw(modules, format, options.scale),
    version,
    errorCorrection: options.errorCorrection,
  }));
}

/** Presets per credential kind. */
export const QR_PRESETS = Object.freeze({
  hcert: { errorCorrection: 'Q', maxVersion: 40 },
  shc: { errorCorrection: 'L', maxVersion: 22 },
  shlink: { errorCorrection: 'M', maxVersion: 40 },
} as const);

/**
 * The module matrix of a credential's QR with its spec's preset, for callers that draw it themselves (the printed
 * certificate draws it as vector squares); the same symbol `renderCredentialQrs` draws.
 * @example const { modules, version } = credentialQrSymbol('hcert', hc1) // modules.size === 17 + 4 * version
 */
export function credentialQrSymbol(
  kind: keyof typeof QR_PRESETS,
  text: string,
): { modules: QrModules; version: number } {
  return symbolFor(text, QR_PRESETS[kind]);
}

/**
 * Render a credential with its spec's preset: HC1 text, one `shc:/` chunk, or a (viewer-prefixed) shlink.
 * @example await renderCredentialQr('shc', chunk, 'svg')
 */
export async function renderCredentialQr(
  kind: keyof typeof QR_PRESETS,
  text: string,
  format: QrFormat,
): Promise<QrImage> {
  return renderQr(text, { format, ...QR_PRESETS[kind] });
}

/**
 * Render a credential in several formats with its spec's preset, from one symbol.
 * @example const images = await renderCredentialQrs('hcert', hc1, ['png', 'svg'])
 */
export async function renderCredentialQrs(
  kind: keyof typeof QR_PRESETS,
  text: string,
  formats: readonly QrFormat[],
): Promise<QrImage[]> {
  return renderQrImages(text, formats, QR_PRESETS[kind]);
}
