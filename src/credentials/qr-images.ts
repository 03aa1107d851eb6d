/** The QR images handed out with a credential, drawn from one QR symbol in the formats asked for. */
import { renderCredentialQrs, type QR_PRESETS, type QrFormat } from '../formats/qr.ts';

export interface QrImages {
  png?: Uint8Array;
  svg?: string;
  /** QR version of the symbol; absent when no image was asked for. */
  version?: number;
}

/**
 * Render `text` with its spec's QR preset; the symbol is built once whatever the number of formats.
 * @example const { png, svg, version } = await credentialQrImages('hcert', hc1, ['png', 'svg'])
 */
export async function credentialQrImages(
  kind: keyof typeof QR_PRESETS,
  text: string,
  formats: readonly QrFormat[],
): Promise<QrImages> {
  const out: QrImages = {};
  for (const image of await renderCredentialQrs(kind, text, formats)) {
    out.version = image.version;
    if (image.format === 'png') out.png = image.data as Uint8Array;
    else out.svg = image.data as string;
  }
  return out;
}
