import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCbor } from '../../../../src/formats/cbor.ts';
import { CWT_CLAIM, HCERT_KEY } from '../../../../src/formats/hcert/claim-keys.ts';
import { Tag } from 'cbor-x';
import { cborToPlain, decodeCwtClaims, encodeCwtClaims, hcertPayloads } from '../../../../src/formats/hcert/cwt.ts';
import { kidFromCertificate } from '../../../../src/formats/hcert/kid.ts';
import { decodeHc1 } from '../../../../src/formats/hcert/verify.ts';
import { expectFormatError, IAT } from '../fixtures.ts';

const LIMITS = { maxDepth: 32, maxItems: 50000 };

describe('CWT claims and the hcert claim', () => {
  test('when claims with every WHO sub-key are encoded, then they decode to the same payloads', () => {
    const hcert = new Map<number, unknown>([
      [HCERT_KEY.euDcc, { ver: '1.3.0' }],
      [HCERT_KEY.ddccVs, { name: 'A', vaccination: { dose: 1 } }],
      [HCERT_KEY.ddccTr, { name: 'A', test: { result: 'negative' } }],
      [HCERT_KEY.smartHealthLink, ['shlink:/eyJ1cmwiOiJ4In0']],
      [HCERT_KEY.icvp, { name: 'A', vaccineDetails: [] }],
    ]);
    const claims = decodeCwtClaims(encodeCwtClaims({ iss: 'XX', iat: IAT, exp: IAT + 1, hcert }), LIMITS);
    expect(claims).toMatchObject({ iss: 'XX', iat: IAT, exp: IAT + 1 });
    expect(claims.raw.get(CWT_CLAIM.hcert)).toBeInstanceOf(Map);
    expect(hcertPayloads(claims)).toEqual({
      euDcc: { ver: '1.3.0' },
      ddccVs: { name: 'A', vaccination: { dose: 1 } },
      ddccTr: { name: 'A', test: { result: 'negative' } },
      smartHealthLinks: ['shlink:/eyJ1cmwiOiJ4In0'],
      icvp: { name: 'A', vaccineDetails: [] },
    });
  });

  test('when iss is not text or a non-date exp, then CWT_INVALID', () => {
    expectFormatError(
      () =>
        decodeCwtClaims(
          encodeCbor(
            new Map<number, unknown>([
              [1, 5],
              [-260, new Map()],
            ]),
          ),
          LIMITS,
        ),
      'CWT_INVALID',
      'CWT claim iss (1) is not a text string',
    );
    expectFormatError(
      () =>
        decodeCwtClaims(
          encodeCbor(
            new Map<number, unknown>([
              [4, 'soon'],
              [-260, new Map()],
            ]),
          ),
          LIMITS,
        ),
      'CWT_INVALID',
      'CWT claim exp (4) is not a NumericDate',
    );
    expectFormatError(
      () => decodeCwtClaims(encodeCbor([1]), LIMITS),
      'CWT_INVALID',
      'The COSE payload is not a CWT claims map',
    );
  });

  test('when sub-key 5 holds something other than text, then HCERT_INVALID', () => {
    const claims = decodeCwtClaims(encodeCbor(new Map<number, unknown>([[-260, new Map([[5, [42]]])]])), LIMITS);
    expectFormatError(
      () => hcertPayloads(claims),
      'HCERT_INVALID',
      'hcert sub-claim 5 (SMART Health Link) must hold text strings',
    );
  });

  test('when a CBOR map has a __proto__ key, then it stays plain data', () => {
    const plain = cborToPlain(new Map([['__proto__', { polluted: true }]])) as Record<string, unknown>;
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(Object.keys(plain)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('when a payload holds scalars, dates, tags and bigints, then each comes out as JSON-like data', () => {
    const plain = cborToPlain(
      new Map<unknown, unknown>([
        ['s', 'text'],
        ['n', 1.5],
        ['b', false],
        ['z', null],
        ['big', 12n],
        ['d', new Date('2021-05-06T10:00:00Z')],
        ['t', new Tag('tagged', 1004)],
        [7, [new Map([['x', 2n]]), 'y']],
      ]),
    );
    expect(plain).toEqual({
      s: 'text',
      n: 1.5,
      b: false,
      z: null,
      big: 12,
      d: '2021-05-06T10:00:00Z',
      t: 'tagged',
      '7': [{ x: 2 }, 'y'],
    });
  });

  test('when the kid of an EU test DSC is computed, then it equals the kid its issuer wrote in the COSE header', () => {
    const corpus = JSON.parse(
      readFileSync(join(process.cwd(), '..', 'shared', 'corpus', 'hcert-eu-dcc.json'), 'utf8'),
    ) as { cases: { id: string; qr: string; certificateDerBase64: string }[] };
    const ae = corpus.cases.find((c) => c.id === 'AE:2DCode:raw:test')!;
    const der = new Uint8Array(Buffer.from(ae.certificateDerBase64, 'base64'));
    expect(kidFromCertificate(der)).toEqual(decodeHc1(ae.qr).sign1.kid);
    expect(kidFromCertificate(der)).toHaveLength(8);
  });
});
