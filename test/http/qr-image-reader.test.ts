import { OutcomeError } from '../../src/fhir/outcome.ts';
import { renderQr } from '../../src/formats/qr.ts';
import { createQrImageReader } from '../../src/http/qr-image-reader.ts';

const HC1 = 'HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH-R6IOO6+IDOEZKH.KHPRUIG:GUBK%1T5-D0 DAF9D7 DQ:GXD9P/A54B*3DC7OZ$D.KA';
let png: Uint8Array;
beforeAll(async () => {
  png = (await renderQr(HC1, { format: 'png', errorCorrection: 'Q' })).data as Uint8Array;
});

describe('QR pictures read in worker threads', () => {
  test('when a PNG holding an HC1 is read, then the worker returns the exact text', async () => {
    expect(await createQrImageReader()(png, 'image/png')).toBe(HC1);
  });

  test("when the upload is not an image or is cut short, then the worker's FormatError comes back with its code", async () => {
    const read = createQrImageReader();
    await expect(read(Buffer.from('not an image at all'), 'image/png')).rejects.toMatchObject({
      name: 'FormatError',
      code: 'QR_IMAGE_UNSUPPORTED',
    });
    await expect(read(png.subarray(0, 60), 'image/png')).rejects.toMatchObject({ code: 'QR_IMAGE_CORRUPT' });
  });

  test('when reading takes longer than the deadline, then the worker is stopped and QR_IMAGE_TOO_LARGE says why', async () => {
    await expect(createQrImageReader({ timeoutMs: 1 })(png)).rejects.toMatchObject({
      code: 'QR_IMAGE_TOO_LARGE',
      message: 'QR: reading the picture took longer than 1 ms',
    });
  });

  test('when more pictures arrive than may be read at once, then the extra one is refused with 429 and the others finish', async () => {
    const read = createQrImageReader({ maxConcurrent: 1 });
    const first = read(png);
    const second = read(png);
    await expect(second).rejects.toBeInstanceOf(OutcomeError);
    await expect(second).rejects.toMatchObject({ kind: 'too-many-requests' });
    expect(await first).toBe(HC1);
    expect(await read(png)).toBe(HC1);
  });
});
