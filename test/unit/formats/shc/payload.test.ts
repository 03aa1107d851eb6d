import { generateKeyPairSync } from 'node:crypto';
import { buildShcPayload } from '../../../../src/formats/shc/payload.ts';
import { signShc, verifyShc } from '../../../../src/formats/shc/jws.ts';
import { shcLookupFromJwks, shcPublicJwk } from '../../../../src/formats/shc/keys.ts';
import { expectFormatError, IAT } from '../fixtures.ts';

const bundle = {
  resourceType: 'Bundle',
  type: 'collection',
  entry: [
    { fullUrl: 'urn:uuid:p', resource: { resourceType: 'Patient', id: 'p', birthDate: '1951-01-20' } },
    {
      fullUrl: 'urn:uuid:i',
      resource: { resourceType: 'Immunization', id: 'i', status: 'completed', patient: { reference: 'urn:uuid:p' } },
    },
  ],
};

describe('SHC payload building', () => {
  test('when a payload is built, signed and verified, then the card carries the minified bundle and its types', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = await shcPublicJwk(publicKey);
    const payload = buildShcPayload({
      iss: 'https://issuer.example',
      nbf: IAT,
      bundle,
      types: ['https://smarthealth.cards#immunization'],
      rid: 'r1',
    });
    expect(payload.vc.type).toEqual([
      'https://smarthealth.cards#health-card',
      'https://smarthealth.cards#immunization',
    ]);
    expect(payload.vc.rid).toBe('r1');
    const jws = await signShc(payload, { privateKey, kid: jwk.kid! });
    const verdict = await verifyShc(jws, await shcLookupFromJwks({ keys: [jwk] }, 'https://issuer.example'), {
      validationTime: new Date((IAT + 1) * 1000),
    });
    expect(verdict.valid).toBe(true);
    expect(verdict.payload?.vc.credentialSubject.fhirBundle).toEqual({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl: 'resource:0', resource: { resourceType: 'Patient', birthDate: '1951-01-20' } },
        {
          fullUrl: 'resource:1',
          resource: { resourceType: 'Immunization', status: 'completed', patient: { reference: 'resource:0' } },
        },
      ],
    });
  });

  test('when iss is plain http on a loopback host (a server on a laptop), then it is accepted; elsewhere SHC_INVALID', () => {
    expect(buildShcPayload({ iss: 'http://localhost:8080', nbf: IAT, bundle }).iss).toBe('http://localhost:8080');
    expect(buildShcPayload({ iss: 'http://127.0.0.1:9', nbf: IAT, bundle }).iss).toBe('http://127.0.0.1:9');
    for (const iss of ['http://issuer.example', 'http://localhost.evil.example', 'http://10.0.0.1']) {
      expectFormatError(
        () => buildShcPayload({ iss, nbf: IAT, bundle }),
        'SHC_INVALID',
        'SHC: iss must be an https URL without a trailing slash',
      );
    }
  });

  test('when iss ends with a slash, then SHC_INVALID', () => {
    expectFormatError(
      () => buildShcPayload({ iss: 'https://issuer.example/', nbf: IAT, bundle }),
      'SHC_INVALID',
      'SHC: iss must be an https URL without a trailing slash',
    );
  });
});
