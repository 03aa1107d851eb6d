import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { carriedLinkForm, signVhl } from '../../../../src/formats/hcert/vhl.ts';
import { decodeHc1 } from '../../../../src/formats/hcert/verify.ts';
import { newShlinkKey } from '../../../../src/formats/shl/link.ts';
import {
  buildVhlManifestUrl,
  decodeVhlink,
  encodeVhlink,
  parseVhlManifestUrl,
  type VhlinkPayload,
} from '../../../../src/formats/shl/vhlink.ts';
import { generateKeyPairSync } from 'node:crypto';
import type { FormatErrorCode } from '../../../../src/formats/errors.ts';
import { expectFormatError, onlyFormatErrors } from '../fixtures.ts';

const key = newShlinkKey((n) => new Uint8Array(randomBytes(n)));
const folderId = randomBytes(32).toString('hex');
const url = buildVhlManifestUrl({
  base: 'https://sharer.example/fhir',
  folderId,
  patientIdentifier: 'urn:oid:2.16.840.1.113883.2.4.6.3|P-123',
  include: true,
});
const payload: VhlinkPayload = { url, key, exp: 1_900_000_000, flag: 'LP', label: 'Summary', v: 1 };

describe('vhlink:/ payloads (IHE ITI.VHL ITI-YY3)', () => {
  test('when a payload is encoded, then it is vhlink:/ + base64url of the minified JSON and decodes back', () => {
    const link = encodeVhlink(payload);
    expect(link.startsWith('vhlink:/')).toBe(true);
    expect(Buffer.from(link.slice(8), 'base64url').toString()).toBe(JSON.stringify(payload));
    expect(decodeVhlink(link)).toEqual(payload);
  });

  test('when the manifest URL is longer than the 128 characters an SHL url may have, then a vhlink still takes it', () => {
    expect(url.length).toBeGreaterThan(128);
    expect(decodeVhlink(encodeVhlink({ url, key })).url).toBe(url);
  });

  test('when the manifest URL is parsed, then it gives the folder id, code, status, the identifier as given and the include flag', () => {
    expect(parseVhlManifestUrl(url)).toEqual({
      base: 'https://sharer.example/fhir',
      folderId,
      code: 'folder',
      status: 'current',
      patientIdentifier: 'urn:oid:2.16.840.1.113883.2.4.6.3|P-123',
      include: true,
    });
    const without = buildVhlManifestUrl({
      base: 'https://s.example',
      folderId,
      patientIdentifier: 'a|b',
      include: false,
    });
    expect(without).not.toContain('_include');
    expect(parseVhlManifestUrl(without).include).toBe(false);
  });

  test('when random payloads are encoded, then they round-trip', () => {
    fc.assert(
      fc.property(
        fc.record({
          flag: fc.constantFrom(undefined, 'L', 'P', 'LP'),
          label: fc.option(fc.string({ maxLength: 80 }), { nil: undefined }),
          exp: fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: undefined }),
        }),
        (extra) => {
          const p: VhlinkPayload = { url, key, v: 1 };
          if (extra.flag) p.flag = extra.flag;
          if (extra.label !== undefined) p.label = extra.label;
          if (extra.exp !== undefined) p.exp = extra.exp;
          expect(decodeVhlink(encodeVhlink(p))).toEqual(p);
        },
      ),
    );
  });

  test.each([
    [
      'a plain http url',
      { url: url.replace('https:', 'http:') },
      'SHLINK_INVALID',
      'VHL: url must be an https URL of at most 2048 characters',
    ],
    ['a short key', { key: 'abc' }, 'SHLINK_INVALID', 'VHL: key must be 32 bytes in base64url (43 characters)'],
    [
      'flag U',
      { flag: 'U' },
      'SHLINK_INVALID',
      'VHL: flag must be L, P or LP (alphabetical); U is not used with a VHL',
    ],
    [
      'flags out of order',
      { flag: 'PL' },
      'SHLINK_INVALID',
      'VHL: flag must be L, P or LP (alphabetical); U is not used with a VHL',
    ],
    ['a long label', { label: 'x'.repeat(81) }, 'SHLINK_INVALID', 'VHL: label must be text of at most 80 characters'],
    ['version 2', { v: 2 }, 'SHLINK_INVALID', 'VHL: version 2 is not supported'],
    [
      'an http fhirBaseUrl',
      { extension: { fhirBaseUrl: 'http://x.example' } },
      'SHLINK_INVALID',
      'VHL: extension.fhirBaseUrl must be an https URL',
    ],
  ])('when the payload has %s, then encoding fails with %s', (_what, change, code, message) => {
    expectFormatError(() => encodeVhlink({ ...payload, ...change } as VhlinkPayload), code as FormatErrorCode, message);
  });

  test('when the text has no vhlink:/ prefix or an expired exp, then decoding fails with PREFIX_MISSING / SHLINK_EXPIRED', () => {
    expectFormatError(() => decodeVhlink('shlink:/abc'), 'PREFIX_MISSING', 'VHL: no "vhlink:/" prefix');
    expectFormatError(
      () => decodeVhlink(encodeVhlink(payload), { now: new Date(1_900_000_001_000) }),
      'SHLINK_EXPIRED',
      `VHL: the link expired at ${new Date(1_900_000_000_000).toISOString()}`,
    );
  });

  test.each([
    ['no _id', url.replace(/_id=[0-9a-f]+&/, ''), 'VHL: the manifest URL needs exactly one _id'],
    ['two _id', `${url}&_id=x`, 'VHL: the manifest URL needs exactly one _id'],
    [
      'no patient.identifier',
      url.replace(/patient\.identifier=[^&]+&/, ''),
      'VHL: the manifest URL needs exactly one patient.identifier',
    ],
    ['another resource', url.replace('/List?', '/Patient?'), 'VHL: the manifest URL is not a search on List'],
    ['another _include', `${url}&_include=List:subject`, 'VHL: _include may only be List:item'],
  ])('when the manifest URL has %s, then parsing fails with SHLINK_INVALID', (_what, bad, message) => {
    expectFormatError(() => parseVhlManifestUrl(bad), 'SHLINK_INVALID', message);
  });

  test('when arbitrary text is decoded, then only FormatErrors are thrown', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        onlyFormatErrors(() => decodeVhlink(`vhlink:/${s}`));
      }),
    );
  });
});

describe('a VHL carrying a vhlink:/ (HCERT claim -260 key 5)', () => {
  test('when a vhlink is signed into an HC1, then claim 5 holds it as text and its form reads vhlink', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const link = encodeVhlink(payload);
    const hc1 = signVhl(
      { iss: 'XX', iat: 1_800_000_000, shlinks: [link] },
      { privateKey, alg: 'ES256', kid: new Uint8Array(8) },
    );
    expect(decodeHc1(hc1).payloads.smartHealthLinks).toEqual([link]);
    expect(carriedLinkForm(link)).toBe('vhlink');
    expect(carriedLinkForm('shlink:/eyJ9')).toBe('shlink');
  });
});
