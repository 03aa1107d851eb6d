/**
 * Strict conformance, each case written from the specification text (not from test data):
 * - RFC 9052 §3.1 (COSE `crit`) and RFC 7515 §4.1.11 (JOSE `crit`): a critical extension we do not understand is
 *   rejected;
 * - a validation time that is not a real instant fails closed, in the codecs and in-process `verifyCredential`;
 * - clock strings: ISO 8601 date-times with `Z`, `±hh:mm` (RFC 3339 §5.6) or `±hhmm` (ISO 8601 basic) offsets;
 *   anything else is refused with a message saying why.
 */
import { sign } from 'node:crypto';
import { Tag } from 'cbor-x';
import { CompactSign, exportJWK } from 'jose';
import { encodeCbor } from '../../../src/formats/cbor.ts';
import { parseClock } from '../../../src/formats/clock.ts';
import { COSE_SIGN1_TAG } from '../../../src/formats/hcert/claim-keys.ts';
import { decodeCoseSign1 } from '../../../src/formats/hcert/cose-sign1.ts';
import { encodeCwtClaims } from '../../../src/formats/hcert/cwt.ts';
import { encodeHc1 } from '../../../src/formats/hcert/hc1.ts';
import { verifyHc1 } from '../../../src/formats/hcert/verify.ts';
import { deflate } from '../../../src/formats/deflate.ts';
import { signShc, verifyShc } from '../../../src/formats/shc/jws.ts';
import { shcKidFromJwk } from '../../../src/formats/shc/keys.ts';
import { verifyCredential } from '../../../src/credentials/verify.ts';
import type { Parameters } from '@medplum/fhirtypes';
import { loadOperationDefinition, readOperationInput } from '../../../src/http/operations/input.ts';
import { readVerifyRequest } from '../../../src/http/operations/verify-input.ts';
import { OutcomeError } from '../../../src/fhir/outcome.ts';
import { ecKeyPair, expectFormatError, IAT, KID, sampleClaims } from '../formats/fixtures.ts';

const readVerifyParameters = (p: Parameters, now: Date) =>
  readVerifyRequest(readOperationInput(loadOperationDefinition('verify'), { query: [], body: p }), now);

const LIMITS = { maxDepth: 32, maxItems: 50000 };
const es = ecKeyPair();
const payload = encodeCwtClaims(sampleClaims());

function cose(protectedMap: Map<number, unknown>, unprotected = new Map<number, unknown>()): Uint8Array {
  const protectedBytes = encodeCbor(protectedMap);
  const toBeSigned = encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
  const signature = sign('sha256', toBeSigned, { key: es.privateKey, dsaEncoding: 'ieee-p1363' });
  return encodeCbor(new Tag([protectedBytes, unprotected, payload, signature], COSE_SIGN1_TAG));
}

describe('COSE crit (RFC 9052 §3.1)', () => {
  test('when crit names a private label we do not understand, then the message is rejected with CRIT_UNSUPPORTED', () => {
    const bytes = cose(
      new Map<number, unknown>([
        [1, -7],
        [4, KID],
        [2, [-70000]],
        [-70000, 1],
      ]),
    );
    expectFormatError(
      () => decodeCoseSign1(bytes, LIMITS),
      'CRIT_UNSUPPORTED',
      'COSE: the protected header marks label(s) -70000 critical; this verifier does not understand them (RFC 9052 §3.1)',
    );
  });

  test('when crit names only labels we understand (alg, kid), then the message is read', () => {
    expect(
      decodeCoseSign1(
        cose(
          new Map<number, unknown>([
            [1, -7],
            [4, KID],
            [2, [1, 4]],
          ]),
        ),
        LIMITS,
      ).alg,
    ).toBe(-7);
  });

  test('when crit is empty, names an absent label, or sits in the unprotected header, then COSE_INVALID says which rule', () => {
    expectFormatError(
      () =>
        decodeCoseSign1(
          cose(
            new Map<number, unknown>([
              [1, -7],
              [2, []],
            ]),
          ),
          LIMITS,
        ),
      'COSE_INVALID',
      'COSE: crit (2) must be a non-empty array of labels present in the protected header (RFC 9052 §3.1)',
    );
    expectFormatError(
      () =>
        decodeCoseSign1(
          cose(
            new Map<number, unknown>([
              [1, -7],
              [2, [99]],
            ]),
          ),
          LIMITS,
        ),
      'COSE_INVALID',
      'COSE: crit (2) must be a non-empty array of labels present in the protected header (RFC 9052 §3.1)',
    );
    expectFormatError(
      () => decodeCoseSign1(cose(new Map<number, unknown>([[1, -7]]), new Map<number, unknown>([[2, [1]]])), LIMITS),
      'COSE_INVALID',
      'COSE: crit (2) must be in the protected header (RFC 9052 §3.1)',
    );
  });

  test('when an HC1 carries an unknown critical label, then verifyHc1 fails at the cose step even with the right key', async () => {
    const hc1 = encodeHc1(
      cose(
        new Map<number, unknown>([
          [1, -7],
          [4, KID],
          [2, [-70000]],
          [-70000, 1],
        ]),
      ),
    );
    const v = await verifyHc1(hc1, async () => [{ publicKey: es.publicKey }], {
      validationTime: new Date((IAT + 60) * 1000),
    });
    expect(v.valid).toBe(false);
    expect(v.steps.find((s) => s.step === 'cose')).toMatchObject({
      status: 'failed',
      error: { code: 'CRIT_UNSUPPORTED' },
    });
  });
});

describe('JOSE crit (RFC 7515 §4.1.11)', () => {
  test('when a SMART Health Card JWS marks an extension critical, then it is rejected with CRIT_UNSUPPORTED', async () => {
    const kid = await shcKidFromJwk(await exportJWK(es.publicKey));
    const body = deflate(
      new TextEncoder().encode(
        JSON.stringify({
          iss: 'https://issuer.example',
          nbf: IAT,
          vc: {
            type: ['https://smarthealth.cards#health-card'],
            credentialSubject: { fhirVersion: '4.0.1', fhirBundle: { resourceType: 'Bundle' } },
          },
        }),
      ),
      'raw',
    );
    const header = { zip: 'DEF', kid, crit: ['exp-policy'], 'exp-policy': 'strict' };
    // jose refuses to sign a crit it does not know, so the JWS is assembled by hand around a jose signature.
    const signed = await new CompactSign(body)
      .setProtectedHeader({ alg: 'ES256', zip: 'DEF', kid })
      .sign(es.privateKey);
    const h = Buffer.from(JSON.stringify({ alg: 'ES256', ...header })).toString('base64url');
    const input = `${h}.${signed.split('.')[1]}`;
    const jws = `${input}.${sign('sha256', Buffer.from(input), { key: es.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    const v = await verifyShc(jws, async () => [{ publicKey: es.publicKey }], {
      validationTime: new Date((IAT + 60) * 1000),
    });
    expect(v.valid).toBe(false);
    expect(v.error).toMatchObject({
      code: 'CRIT_UNSUPPORTED',
      message:
        'SHC: the JWS header marks "exp-policy" critical; this verifier does not understand it (RFC 7515 §4.1.11)',
    });
  });
});

describe('invalid validation time fails closed', () => {
  const hc1 = encodeHc1(
    cose(
      new Map<number, unknown>([
        [1, -7],
        [4, KID],
      ]),
    ),
  );

  test('when verifyHc1 runs at an invalid Date, then not-expired fails with CLOCK_INVALID instead of passing', async () => {
    const v = await verifyHc1(hc1, async () => [{ publicKey: es.publicKey }], {
      validationTime: new Date('not a date'),
    });
    expect(v.valid).toBe(false);
    expect(v.steps.find((s) => s.step === 'notExpired')).toMatchObject({
      status: 'failed',
      error: {
        code: 'CLOCK_INVALID',
        message: 'The validation time is not a valid date: the credential cannot be judged at it',
      },
    });
  });

  test('when verifyShc runs at an invalid Date, then not-expired fails with CLOCK_INVALID', async () => {
    const kid = await shcKidFromJwk(await exportJWK(es.publicKey));
    const jws = await signShc(
      {
        iss: 'https://issuer.example',
        nbf: IAT,
        vc: {
          type: ['https://smarthealth.cards#health-card'],
          credentialSubject: { fhirVersion: '4.0.1', fhirBundle: { resourceType: 'Bundle', type: 'collection' } },
        },
      },
      { privateKey: es.privateKey, kid },
    );
    const v = await verifyShc(jws, async () => [{ publicKey: es.publicKey }], { validationTime: new Date(Number.NaN) });
    expect(v.valid).toBe(false);
    expect(v.error?.code).toBe('CLOCK_INVALID');
  });

  test.each([new Date('garbage'), undefined as unknown as Date, '2021-06-01' as unknown as Date])(
    'when verifyCredential is called in-process with validationTime %p, then the verdict is invalid (clock-invalid)',
    async (clock) => {
      const v = await verifyCredential(hc1, { validationTime: clock, trustedCertificates: [] });
      expect(v.valid).toBe(false);
      expect(v.checks).toEqual([
        {
          name: 'not-expired',
          status: 'fail',
          failure: 'clock-invalid',
          detail: 'CLOCK_INVALID',
          message: 'The validation time is not a valid date: the credential cannot be judged at it',
        },
      ]);
      expect(v.outcome.issue[0]!.details!.coding![0]!.code).toBe('clock-invalid');
    },
  );
});

describe('clock strings', () => {
  test.each([
    ['2021-06-01T10:00:00Z', '2021-06-01T10:00:00.000Z'],
    ['2021-06-01T10:00:00+01:00', '2021-06-01T09:00:00.000Z'],
    ['2021-06-01T10:00:00+0100', '2021-06-01T09:00:00.000Z'],
    ['2021-06-01T10:00:00-0530', '2021-06-01T15:30:00.000Z'],
    ['2021-06-01T10:00Z', '2021-06-01T10:00:00.000Z'],
    ['2021-06-01T10:00:00.1234567Z', '2021-06-01T10:00:00.123Z'],
  ])('when the clock is %s, then it is the instant %s', (text, iso) => {
    const c = parseClock(text);
    expect(c.ok && c.date.toISOString()).toBe(iso);
  });

  test.each([
    [
      '2021-06-01T10:00:00',
      '"2021-06-01T10:00:00" is not a validation clock: it has no UTC offset (add Z, ±hh:mm or ±hhmm)',
    ],
    [
      '2021-06-01',
      '"2021-06-01" is not a validation clock: expected an ISO 8601 date-time YYYY-MM-DDThh:mm[:ss[.fff]] with an offset Z, ±hh:mm or ±hhmm',
    ],
    [
      '2021-06-01T10:00:00+1',
      '"2021-06-01T10:00:00+1" is not a validation clock: expected an ISO 8601 date-time YYYY-MM-DDThh:mm[:ss[.fff]] with an offset Z, ±hh:mm or ±hhmm',
    ],
    [
      '2021-06-01T10:00:00 UTC',
      '"2021-06-01T10:00:00 UTC" is not a validation clock: expected an ISO 8601 date-time YYYY-MM-DDThh:mm[:ss[.fff]] with an offset Z, ±hh:mm or ±hhmm',
    ],
    ['2021-02-30T10:00:00Z', '"2021-02-30T10:00:00Z" is not a validation clock: 2021-02-30 is not a calendar date'],
    ['2021-06-01T24:00:00Z', '"2021-06-01T24:00:00Z" is not a validation clock: a field is out of range'],
    [
      '2021-06-01T10:00:00+15:00',
      '"2021-06-01T10:00:00+15:00" is not a validation clock: the offset +15:00 is out of range',
    ],
  ])('when the clock is %s, then it is refused: %s', (text, message) => {
    expect(parseClock(text)).toEqual({ ok: false, message });
  });

  test('when $verify gets validationTime with a +hhmm offset, then it is read; without an offset, then PARAMETER_DATETIME_INVALID says why', () => {
    const p = (v: string) => ({
      resourceType: 'Parameters' as const,
      parameter: [
        { name: 'credential', valueString: 'x' },
        { name: 'validationTime', valueDateTime: v },
      ],
    });
    expect(readVerifyParameters(p('2021-06-01T10:00:00+0100'), new Date()).validationTime.toISOString()).toBe(
      '2021-06-01T09:00:00.000Z',
    );
    let err: unknown;
    try {
      readVerifyParameters(p('2021-06-01T10:00:00'), new Date());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutcomeError);
    expect((err as OutcomeError).outcome.issue[0]!.details).toMatchObject({
      text: 'Parameter validationTime: "2021-06-01T10:00:00" is not a validation clock: it has no UTC offset (add Z, ±hh:mm or ±hhmm)',
    });
  });
});
