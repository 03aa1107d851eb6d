import { crc32, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import png from 'pngjs';
import QRCode from 'qrcode';
import { encodeHc1 } from '../../../../src/formats/hcert/hc1.ts';
import { renderCredentialQr } from '../../../../src/formats/qr.ts';
import { readQrImage } from '../../../../src/formats/qr/read-image.ts';
import { encodeShcQr } from '../../../../src/formats/shc/qr-numeric.ts';
import { expectFormatError, onlyFormatErrors } from '../fixtures.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A COSE-sized body (deterministic bytes) through the real HC1 transport: zlib, then base45 with its full alphabet. */
const HC1 = encodeHc1(Uint8Array.from({ length: 400 }, (_, i) => (i * 73 + 11) % 256));
/** One `shc:/` chunk of a JWS-sized text, so the QR mixes a byte segment with a long numeric one. */
const SHC = encodeShcQr(`eyJ6aXAiOiJERUYiLCJhbGciOiJFUzI1NiJ9.${'3ZJNb9swDIb_Ss'.repeat(50)}.sig_-`)[0]!;

function pngOf(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const image = new png.PNG({ width, height });
  image.data.set(rgba);
  return new Uint8Array(png.PNG.sync.write(image));
}

function rgbaOf(pngBytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const { width, height, data } = png.PNG.sync.read(Buffer.from(pngBytes));
  return { width, height, data: new Uint8Array(data) };
}

/** Signature + an IHDR chunk and nothing else: no pixel data exists, so only a header check can answer TOO_LARGE. */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr.set([8, 6, 0, 0, 0], 16); // 8-bit RGBA, no interlace; CRC left zero on purpose
  return Uint8Array.from([...PNG_SIGNATURE, ...ihdr]);
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/** pngjs cannot write Adam7, so encode it here: the seven passes, each row led by filter byte 0 (PNG spec §8.2). */
function interlacedPng(width: number, height: number, rgba: Uint8Array): Uint8Array {
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ] as const;
  const raw: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    if (x0 >= width) continue;
    for (let y = y0; y < height; y += dy) {
      raw.push(0);
      for (let x = x0; x < width; x += dx) raw.push(...rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 4));
    }
  }
  return idatPng(width, height, 1, deflateSync(Uint8Array.from(raw)));
}

function idatPng(width: number, height: number, interlace: 0 | 1, idat: Uint8Array): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, interlace], 8);
  return Uint8Array.from(
    Buffer.concat([
      Buffer.from(PNG_SIGNATURE),
      chunk('IHDR', ihdr),
      chunk('IDAT', idat),
      chunk('IEND', new Uint8Array(0)),
    ]),
  );
}

let hc1Png: Uint8Array;
let shcPng: Uint8Array;

// Rendering is the slow part under jest: once per suite.
beforeAll(async () => {
  hc1Png = (await renderCredentialQr('hcert', HC1, 'png')).data as Uint8Array;
  shcPng = (await renderCredentialQr('shc', SHC, 'png')).data as Uint8Array;
});

describe('QR image reading', () => {
  test('when an HC1 QR rendered as PNG is read, then the exact HC1 text comes back', () => {
    expect(HC1).toMatch(/^HC1:[0-9A-Z $%*+\-./:]+$/);
    expect(readQrImage(hc1Png, 'image/png')).toBe(HC1);
  });

  test('when an shc:/ QR (byte + numeric segments) rendered as PNG is read, then the exact chunk comes back', () => {
    expect(readQrImage(shcPng)).toBe(SHC);
  });

  test('when the PNG is re-encoded as a quality-90 JPEG, then it still reads back exactly', () => {
    const { width, height, data } = rgbaOf(hc1Png);
    const jpg = new Uint8Array(jpeg.encode({ width, height, data }, 90).data);
    expect([...jpg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(readQrImage(jpg, 'image/jpeg')).toBe(HC1);
  });

  test('when the content type disagrees with the bytes, then the magic bytes decide', () => {
    expect(readQrImage(shcPng, 'image/jpeg')).toBe(SHC);
  });

  test('when the QR is shown light-on-dark (inverted), then it still reads back', () => {
    const { width, height, data } = rgbaOf(shcPng);
    const inverted = data.map((v, i) => (i % 4 === 3 ? v : 255 - v));
    expect(readQrImage(pngOf(inverted, width, height))).toBe(SHC);
  });

  test('when the PNG is interlaced (Adam7), then it still reads back', () => {
    const { width, height, data } = rgbaOf(shcPng);
    expect(readQrImage(interlacedPng(width, height, data))).toBe(SHC);
  });

  test('when an interlaced PNG inflates far beyond its declared pixels (zlib bomb), then QR_IMAGE_TOO_LARGE', () => {
    const bomb = idatPng(64, 64, 1, deflateSync(new Uint8Array(32 * 1024 * 1024)));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expectFormatError(
      () => readQrImage(bomb),
      'QR_IMAGE_TOO_LARGE',
      'QR image: the interlaced PNG inflates beyond its 64x64 pixels',
    );
  });

  test('when a byte segment holds UTF-8, then the text is decoded as UTF-8', async () => {
    const image = new Uint8Array(await QRCode.toBuffer('shlink:/Grüße', { type: 'png', scale: 2 }));
    expect(readQrImage(image)).toBe('shlink:/Grüße');
  });

  test('when a byte segment is not UTF-8, then it is read as ISO 8859-1 instead of dropped', async () => {
    const segments = [{ data: Uint8Array.of(0x63, 0x61, 0x66, 0xe9), mode: 'byte' as const }];
    const image = new Uint8Array(await QRCode.toBuffer(segments, { type: 'png', scale: 2 }));
    expect(readQrImage(image)).toBe('café');
  });

  test('when a blank white PNG is read, then QR_NOT_FOUND', () => {
    const white = pngOf(new Uint8Array(120 * 80 * 4).fill(255), 120, 80);
    expectFormatError(() => readQrImage(white), 'QR_NOT_FOUND', 'QR image: no readable QR code in the 120x80 PNG');
  });

  test('when bytes are neither PNG nor JPEG, then QR_IMAGE_UNSUPPORTED naming the declared type', () => {
    const bytes = Uint8Array.from({ length: 512 }, (_, i) => (i * 151 + 7) % 256);
    expectFormatError(() => readQrImage(bytes), 'QR_IMAGE_UNSUPPORTED', 'QR image: the bytes are neither PNG nor JPEG');
    const gif = new TextEncoder().encode('GIF89a....');
    expectFormatError(
      () => readQrImage(gif, 'image/gif; charset=binary'),
      'QR_IMAGE_UNSUPPORTED',
      'QR image: the bytes (declared as image/gif) are neither PNG nor JPEG',
    );
  });

  test('when any bytes lack the PNG and JPEG magic, then QR_IMAGE_UNSUPPORTED', () => {
    const notImage = fc.uint8Array({ minLength: 1, maxLength: 256 }).filter((b) => b[0] !== 0x89 && b[0] !== 0xff);
    fc.assert(
      fc.property(notImage, (bytes) =>
        expect(onlyFormatErrors(() => readQrImage(bytes))?.code).toBe('QR_IMAGE_UNSUPPORTED'),
      ),
    );
  });

  test('when the input is empty, then INPUT_INVALID', () => {
    expectFormatError(() => readQrImage(new Uint8Array(0)), 'INPUT_INVALID', 'QR image: the input is empty');
  });

  test('when the PNG is truncated, then QR_IMAGE_CORRUPT', () => {
    expectFormatError(
      () => readQrImage(hc1Png.subarray(0, Math.floor(hc1Png.length / 2))),
      'QR_IMAGE_CORRUPT',
      /^QR image: the PNG could not be decoded \(.+\)$/,
    );
  });

  test('when the PNG stops inside its signature area, then QR_IMAGE_CORRUPT for the missing IHDR', () => {
    expectFormatError(
      () => readQrImage(hc1Png.subarray(0, 16)),
      'QR_IMAGE_CORRUPT',
      'QR image: the PNG has no IHDR chunk after its signature',
    );
  });

  test('when the JPEG is truncated after its frame header, then QR_IMAGE_CORRUPT', () => {
    const { width, height, data } = rgbaOf(shcPng);
    const jpg = new Uint8Array(jpeg.encode({ width, height, data }, 90).data);
    expectFormatError(
      () => readQrImage(jpg.subarray(0, 700)),
      'QR_IMAGE_CORRUPT',
      /^QR image: the JPEG could not be decoded \(.+\)$/,
    );
  });

  test('when a JPEG has no frame header before its scan, then QR_IMAGE_CORRUPT', () => {
    const noFrame = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xda, 0x00, 0x02, 0x00, 0x00);
    expectFormatError(
      () => readQrImage(noFrame),
      'QR_IMAGE_CORRUPT',
      'QR image: the JPEG has no frame header before its image data',
    );
  });

  test('when a PNG header claims 100000x100000 pixels, then QR_IMAGE_TOO_LARGE before any decoding', () => {
    expectFormatError(
      () => readQrImage(pngHeaderOnly(100_000, 100_000)),
      'QR_IMAGE_TOO_LARGE',
      'QR image: 100000x100000 pixels is above the maximum 4096x4096',
    );
  });

  test('when a JPEG frame header claims 65535x65535 pixels, then QR_IMAGE_TOO_LARGE before any decoding', () => {
    const sof0 = Uint8Array.of(
      0xff,
      0xd8,
      0xff,
      0xc0,
      0x00,
      0x11,
      0x08,
      0xff,
      0xff,
      0xff,
      0xff,
      0x03,
      1,
      0x22,
      0,
      2,
      0x11,
      1,
      3,
      0x11,
      1,
    );
    expectFormatError(
      () => readQrImage(sof0),
      'QR_IMAGE_TOO_LARGE',
      'QR image: 65535x65535 pixels is above the maximum 4096x4096',
    );
  });

  test('when a header claims zero pixels, then QR_IMAGE_CORRUPT', () => {
    expectFormatError(
      () => readQrImage(pngHeaderOnly(0, 10)),
      'QR_IMAGE_CORRUPT',
      'QR image: the PNG declares 0x10 pixels',
    );
  });

  test('when the caller lowers the caps, then a normal image is QR_IMAGE_TOO_LARGE by bytes or by pixels', () => {
    expectFormatError(
      () => readQrImage(hc1Png, undefined, { maxInputBytes: 1000 }),
      'QR_IMAGE_TOO_LARGE',
      `QR image: ${hc1Png.length} bytes is above the maximum 1000`,
    );
    const { width, height } = rgbaOf(hc1Png);
    expectFormatError(
      () => readQrImage(hc1Png, undefined, { maxWidth: 100, maxHeight: 100 }),
      'QR_IMAGE_TOO_LARGE',
      `QR image: ${width}x${height} pixels is above the maximum 100x100`,
    );
  });

  test('when bytes of a valid PNG are flipped at random, then only a FormatError or a string comes out', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }),
        (flips) => {
          const mutated = Uint8Array.from(shcPng);
          for (const [at, mask] of flips) mutated[at % mutated.length]! ^= mask;
          onlyFormatErrors(() => readQrImage(mutated));
        },
      ),
      { numRuns: 40 },
    );
  });
});
