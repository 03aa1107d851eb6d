import { inflateSync } from 'node:zlib';
import QRCode from 'qrcode';
import { QR_PRESETS, renderCredentialQr, renderCredentialQrs, renderQr } from '../../../src/formats/qr.ts';
import { encodeShcQr } from '../../../src/formats/shc/qr-numeric.ts';
import { expectFormatErrorAsync } from './fixtures.ts';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The qrcode package's SVG of `text` at level Q and `version`, for each of the eight masks (index = mask). */
function qrcodeSvgs(text: string, version: number): Promise<string[]> {
  return Promise.all(
    ([0, 1, 2, 3, 4, 5, 6, 7] as const).map((maskPattern) =>
      QRCode.toString(text, { errorCorrectionLevel: 'Q', version, maskPattern, margin: 4, type: 'svg' }),
    ),
  );
}

describe('QR rendering', () => {
  test('when an HC1 text is rendered as PNG, then PNG bytes come back at level Q with the version used', async () => {
    const image = await renderCredentialQr('hcert', `HC1:${'NCFOXN%TS3DH'.repeat(40)}`, 'png');
    expect([...(image.data as Uint8Array).subarray(0, 8)]).toEqual(PNG_MAGIC);
    expect(image.errorCorrection).toBe('Q');
    expect(image.version).toBeGreaterThan(10);
  });

  test('when a shlink is rendered as SVG, then SVG text comes back at level M', async () => {
    const image = await renderCredentialQr('shlink', 'shlink:/eyJ1cmwiOiJodHRwczovL3NobC5leGFtcGxlL20vYWJjIn0', 'svg');
    expect(image.data).toMatch(/^<svg /);
    expect(image.errorCorrection).toBe('M');
  });

  test('when the largest single SHC chunk is rendered, then it fits version 22 at level L', async () => {
    const [chunk] = encodeShcQr('a'.repeat(1195));
    expect((await renderCredentialQr('shc', chunk!, 'svg')).version).toBeLessThanOrEqual(22);
  });

  test('when an SHC chunk needs more than version 22, then QR_TOO_LARGE', async () => {
    const [chunk] = encodeShcQr('a'.repeat(1195));
    await expectFormatErrorAsync(
      () => renderCredentialQr('shc', `${chunk}0000000000000000000000000000000000000000`, 'svg'),
      'QR_TOO_LARGE',
      'QR: the payload needs version 23, above the maximum 22',
    );
  });

  test('when the text fits no QR version at all, then QR_TOO_LARGE', async () => {
    await expectFormatErrorAsync(
      () => renderQr('x'.repeat(8000), { format: 'svg', errorCorrection: 'Q' }),
      'QR_TOO_LARGE',
      'QR: the payload does not fit any QR version at error correction Q',
    );
  });

  describe('one symbol drawn as both images', () => {
    const hc1 = `HC1:${'NCFOXN%TS3DH'.repeat(60)}`;

    test('when PNG and SVG are asked together, then both come from one symbol with the version of each alone', async () => {
      const [png, svg] = await renderCredentialQrs('hcert', hc1, ['png', 'svg']);
      const alone = await renderCredentialQr('hcert', hc1, 'svg');
      expect([png!.format, svg!.format]).toEqual(['png', 'svg']);
      expect(png!.version).toBe(alone.version);
      expect(svg!.data).toBe(alone.data);
      expect(png!.data).toEqual((await renderCredentialQr('hcert', hc1, 'png')).data);
    });

    test('when no format is asked, then nothing is rendered', async () => {
      expect(await renderCredentialQrs('hcert', hc1, [])).toEqual([]);
    });

    test('when drawn as SVG, then the text is byte for byte what the qrcode package writes for the same symbol', async () => {
      const ours = await renderQr(hc1, { format: 'svg', ...QR_PRESETS.hcert });
      // The encoder may pick another of the eight standard masks than qrcode does; the symbol is otherwise the same.
      const theirs = await qrcodeSvgs(hc1, ours.version);
      expect(theirs).toContain(ours.data);
    });

    test("when drawn as PNG, then its pixels are the qrcode package's: same size, module × scale, 4-module quiet zone", async () => {
      const text = hc1.slice(0, 200); // pngjs is slow under jest: a small symbol keeps the reference quick
      const ours = (await renderQr(text, { format: 'png', ...QR_PRESETS.hcert })).data as Uint8Array;
      const svg = await renderQr(text, { format: 'svg', ...QR_PRESETS.hcert });
      const maskPattern = (await qrcodeSvgs(text, svg.version)).indexOf(svg.data as string);
      expect(maskPattern).toBeGreaterThanOrEqual(0);
      const reference = QRCode.create(text, {
        errorCorrectionLevel: 'Q',
        version: svg.version,
        maskPattern: maskPattern as QRCode.QRCodeMaskPattern,
      });
      const theirs = new Uint8Array(
        await QRCode.toBuffer(text, {
          errorCorrectionLevel: 'Q',
          version: reference.version,
          maskPattern: maskPattern as QRCode.QRCodeMaskPattern,
          margin: 4,
          scale: 4,
          type: 'png',
        }),
      );
      const ihdr = (png: Uint8Array) => new DataView(png.buffer, png.byteOffset + 16, 8);
      expect([ihdr(ours).getUint32(0), ihdr(ours).getUint32(4)]).toEqual([
        ihdr(theirs).getUint32(0),
        ihdr(theirs).getUint32(4),
      ]);
      expect([ours[24], ours[25]]).toEqual([1, 0]); // 1-bit greyscale
      const { size, data } = reference.modules;
      const width = ihdr(ours).getUint32(0);
      const rowBytes = 1 + Math.ceil(width / 8);
      const idatLength = new DataView(ours.buffer, ours.byteOffset + 33).getUint32(0);
      const raw = inflateSync(ours.subarray(41, 41 + idatLength));
      expect(raw.length).toBe(rowBytes * width);
      for (let y = 0; y < width; y++) {
        const filter = raw[y * rowBytes];
        expect([0, 2]).toContain(filter); // None, or Up (a copy of the row above)
        if (filter === 2)
          for (let i = 1; i < rowBytes; i++)
            raw[y * rowBytes + i] = (raw[y * rowBytes + i]! + raw[(y - 1) * rowBytes + i]!) & 0xff;
      }
      let mismatches = 0;
      for (let y = 0; y < width; y++) {
        for (let x = 0; x < width; x++) {
          const [my, mx] = [Math.floor(y / 4) - 4, Math.floor(x / 4) - 4];
          const dark = my >= 0 && mx >= 0 && my < size && mx < size && data[my * size + mx] === 1;
          const black = ((raw[y * rowBytes + 1 + (x >> 3)]! >> (7 - (x & 7))) & 1) === 0;
          if (dark !== black) mismatches++;
        }
      }
      expect(mismatches).toBe(0);
    });
  });
});
