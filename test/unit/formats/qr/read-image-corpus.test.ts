/**
 * Real credential strings from ../shared/corpus through our own QR renderer and back through the image reader.
 * The corpus keeps the EU DCC `PREFIX` strings but not dgc-testdata's `2DCODE` PNGs, so the images here are ours:
 * this proves the reader returns real HC1 / shc:/ payloads byte for byte, not that it reads other issuers' art.
 * jsQR and the PNG codecs run ~20x slower inside jest's vm context than in plain Node (global lookups in hot loops),
 * so the suite takes one HC1 vector per country plus every shc:/ chunk, at one pixel per module (the hardest scale).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QR_PRESETS, renderQr } from '../../../../src/formats/qr.ts';
import { readQrImage } from '../../../../src/formats/qr/read-image.ts';

const CORPUS = join(process.cwd(), '..', 'shared', 'corpus');
const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as {
  files: { kind: string; file: string }[];
};

function casesOf<T>(kind: string): T[] {
  return manifest.files
    .filter((f) => f.kind === kind)
    .flatMap((f) => (JSON.parse(readFileSync(join(CORPUS, f.file), 'utf8')) as { cases: T[] }).cases);
}

const hc1 = casesOf<{ id: string; qr: string }>('hcert').map((c) => ({ kind: 'hcert' as const, id: c.id, text: c.qr }));
const onePerCountry = hc1.filter((c, i) => i === hc1.findIndex((o) => o.id.slice(0, 2) === c.id.slice(0, 2)));
const shc = casesOf<{ id: string; numericQr: string[] }>('shc').flatMap((c) =>
  c.numericQr.map((text, i) => ({ kind: 'shc' as const, id: `${c.id}#${i + 1}`, text })),
);

describe('QR image reading over the shared corpus', () => {
  test('when the manifest is read, then it yields HC1 strings and shc:/ chunks', () => {
    expect(hc1.length).toBeGreaterThan(50);
    expect(shc.length).toBeGreaterThan(0);
  });

  test.each([...onePerCountry, ...shc].map((c) => [c.id, c] as const))(
    'when %s is rendered as PNG and read back, then the exact text comes back',
    async (_id, { kind, text }) => {
      const image = await renderQr(text, {
        format: 'png',
        errorCorrection: QR_PRESETS[kind].errorCorrection,
        scale: 1,
      });
      expect(readQrImage(image.data as Uint8Array, 'image/png')).toBe(text);
    },
  );
});
