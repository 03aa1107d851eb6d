/**
 * The QR symbols we draw for HC1 texts (our own encoder since ADR 0075, the `qr` package before) read back, with the project's own
 * reader (jsqr behind readQrImage), to the text that was encoded: random alphanumeric payloads over versions 1–40
 * and every error correction level, each at the smallest version `qrcode` finds for it.
 */
import QRCode from 'qrcode';
import { renderQr, type QrErrorCorrection } from '../../../../src/formats/qr.ts';
import { readQrImage } from '../../../../src/formats/qr/read-image.ts';
import { expectFormatErrorAsync } from '../fixtures.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const LEVELS: QrErrorCorrection[] = ['L', 'M', 'Q', 'H'];
/** Alphanumeric capacity at version 40 per level (ISO/IEC 18004 Table 7). */
const CAPACITY: Record<QrErrorCorrection, number> = { L: 4296, M: 3391, Q: 2420, H: 1852 };
const PER_LEVEL = 10;

/** A fixed-seed generator, so a failure names a payload that can be made again. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function payloads(level: QrErrorCorrection, seed: number): string[] {
  const next = random(seed);
  return Array.from({ length: PER_LEVEL }, (_, i) => {
    // Lengths from a few characters to the level's full capacity (version 40), denser among the small symbols.
    const share = i === PER_LEVEL - 1 ? 1 : ((i + next()) / PER_LEVEL) ** 2;
    const length = Math.max(4, Math.floor(share * CAPACITY[level]));
    let text = 'HC1:';
    while (text.length < length) text += ALPHABET[Math.floor(next() * ALPHABET.length)];
    return text.slice(0, length);
  });
}

describe('QR symbols of alphanumeric texts', () => {
  for (const [n, level] of LEVELS.entries()) {
    test(`when ${PER_LEVEL} random texts are drawn at level ${level}, then each reads back to itself at qrcode's version`, async () => {
      const versions = new Set<number>();
      for (const text of payloads(level, 18 + n)) {
        const image = await renderQr(text, { format: 'png', errorCorrection: level, scale: 2 });
        expect({ text: text.slice(0, 40), read: readQrImage(image.data as Uint8Array, 'image/png') === text }).toEqual({
          text: text.slice(0, 40),
          read: true,
        });
        expect(image.version).toBe(QRCode.create(text, { errorCorrectionLevel: level }).version);
        versions.add(image.version);
      }
      // The spread reached small and large symbols alike.
      expect(Math.min(...versions)).toBeLessThanOrEqual(3);
      expect(Math.max(...versions)).toBe(40);
    });
  }

  test('when an alphanumeric text fits no version at the level, then QR_TOO_LARGE', async () => {
    await expectFormatErrorAsync(
      () => renderQr('A'.repeat(CAPACITY.Q + 1), { format: 'svg', errorCorrection: 'Q' }),
      'QR_TOO_LARGE',
      'QR: the payload does not fit any QR version at error correction Q',
    );
  });

  test('when an alphanumeric text needs a version above the maximum, then QR_TOO_LARGE names both', async () => {
    await expectFormatErrorAsync(
      () => renderQr('A'.repeat(CAPACITY.Q), { format: 'svg', errorCorrection: 'Q', maxVersion: 39 }),
      'QR_TOO_LARGE',
      'QR: the payload needs version 40, above the maximum 39',
    );
  });
});
