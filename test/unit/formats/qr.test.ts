import { renderCredentialQr, renderQr } from '../../../src/formats/qr.ts';
import { encodeShcQr } from '../../../src/formats/shc/qr-numeric.ts';
import { expectFormatErrorAsync } from './fixtures.ts';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

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
    await expectFormatErrorAsync(() => renderCredentialQr('shc', `${chunk}0000000000000000000000000000000000000000`, 'svg'), 'QR_TOO_LARGE', 'QR: the payload needs version 23, above the maximum 22');
  });

  test('when the text fits no QR version at all, then QR_TOO_LARGE', async () => {
    await expectFormatErrorAsync(() => renderQr('x'.repeat(8000), { format: 'svg', errorCorrection: 'Q' }), 'QR_TOO_LARGE', 'QR: the payload does not fit any QR version at error correction Q');
  });
});
