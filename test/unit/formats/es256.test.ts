import { sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { derToP1363, p1363ToDer, signEs256, verifyEs256 } from '../../../src/formats/es256.ts';
import { ecKeyPair } from './fixtures.ts';

const { privateKey, publicKey } = ecKeyPair();
const message = new TextEncoder().encode('Sig_structure stand-in');
const p1363 = (data: Uint8Array) =>
  new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
const nodeVerdict = (data: Uint8Array, sig: Uint8Array) =>
  verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);

describe('ES256 with raw r||s signatures', () => {
  test('when we sign, then node:crypto verifies the r||s signature with dsaEncoding ieee-p1363', () => {
    const sig = signEs256(message, privateKey);
    expect(sig.length).toBe(64);
    expect(nodeVerdict(message, sig)).toBe(true);
  });

  test('when node:crypto signs with dsaEncoding ieee-p1363, then we verify it, and not over other data', () => {
    const sig = p1363(message);
    expect(verifyEs256(message, publicKey, sig)).toBe(true);
    expect(verifyEs256(new TextEncoder().encode('other data'), publicKey, sig)).toBe(false);
  });

  test("when any 64 bytes are given as a signature, then our verdict is node:crypto's ieee-p1363 verdict", () => {
    const valid = p1363(message);
    const sigs = fc.oneof(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.record({ i: fc.nat(63), b: fc.nat(255) }).map(({ i, b }) => valid.map((x, j) => (j === i ? b : x))),
      fc.constantFrom(new Uint8Array(64), new Uint8Array(64).fill(0xff), valid),
    );
    fc.assert(
      fc.property(sigs, (sig) => verifyEs256(message, publicKey, sig) === nodeVerdict(message, sig)),
      { numRuns: 300 },
    );
  });

  test('when r and s have leading zeros or their top bit set, then r||s → DER → r||s gives them back', () => {
    const halves = fc.oneof(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.nat(32).map((zeros) => new Uint8Array(32).map((_, i) => (i < zeros ? 0 : 0x80 | i))),
    );
    fc.assert(
      fc.property(halves, halves, (r, s) => {
        const sig = new Uint8Array([...r, ...s]);
        const der = p1363ToDer(sig);
        expect(der[0]).toBe(0x30);
        expect(der[1]).toBe(der.length - 2);
        expect(derToP1363(der)).toEqual(sig);
      }),
    );
  });

  test('when node:crypto signs in DER, then the conversion gives the r||s that verifies', () => {
    for (let i = 0; i < 50; i++) {
      const data = new Uint8Array([i]);
      expect(nodeVerdict(data, derToP1363(new Uint8Array(sign('sha256', data, privateKey))))).toBe(true);
    }
  });
});
