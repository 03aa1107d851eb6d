import { buildTrustList } from '../../../src/trust/trust-list.ts';
import { buildDidDocument } from '../../../src/trust/publish.ts';
import { readCertificate } from '../../../src/trust/x509.ts';
import { TrustError } from '../../../src/trust/errors.ts';
import { NOW, days, makeCa, makeDsc, participantDocument, tnDid, type TestCa, type TestDsc } from './pki.ts';
import { realShapeDocument } from './real-shape.ts';

const kidOf = (d: TestDsc): string => readCertificate(d.der).kid;

interface World {
  xa: TestCa;
  xa2: TestCa;
  xb: TestCa;
  rogue: TestCa;
  good: TestDsc;
  rollover: TestDsc;
  expired: TestDsc;
  forged: TestDsc;
  wrongCountry: TestDsc;
  orphan: TestDsc;
  xbDsc: TestDsc;
}

async function world(): Promise<World> {
  const [xa, xa2, xb, rogue, lonely] = await Promise.all([
    makeCa('XA'),
    makeCa('XA', { commonName: 'CSCA XA 2' }),
    makeCa('XB'),
    makeCa('XA'),
    makeCa('XC'),
  ]);
  return {
    xa,
    xa2,
    xb,
    rogue,
    good: await makeDsc(xa),
    rollover: await makeDsc(xa2),
    expired: await makeDsc(xa, { notBefore: days(-400), notAfter: days(-35) }),
    forged: await makeDsc(rogue), // claims XA's name, signed by a CSCA not in the list
    wrongCountry: await makeDsc(xa, { country: 'XB' }),
    orphan: await makeDsc(lonely),
    xbDsc: await makeDsc(xb),
  };
}

function documentsOf(w: World) {
  return [
    participantDocument(
      'DCC',
      'XXA',
      [w.xa, w.xa2],
      [w.good, w.rollover, w.expired, w.forged, w.wrongCountry, w.orphan],
    ),
    participantDocument('DCC', 'XXB', [w.xb], [w.xbDsc]),
  ];
}

let w: World;
beforeAll(async () => {
  w = await world();
});

describe('buildTrustList', () => {
  test('when DSCs chain to a CSCA of their country, then they are trusted, including under a second CSCA (rollover)', () => {
    const list = buildTrustList({ documents: documentsOf(w), now: NOW });
    for (const dsc of [w.good, w.rollover, w.xbDsc]) {
      const [c] = list.lookupByKid(kidOf(dsc));
      expect(c!.verdict).toEqual({ ok: true, reasons: [] });
      expect(c!.entry.anchor!.certificate.der.equals(Buffer.from(dsc.ca.der))).toBe(true);
    }
    expect(list.lookupByKid(kidOf(w.good))[0]!.entry).toMatchObject({
      role: 'DSC',
      country: 'XA',
      participant: 'XXA',
      domains: ['DCC'],
    });
  });

  test('when a DSC has expired, then it stays in the list flagged with a validity reason', () => {
    const list = buildTrustList({ documents: documentsOf(w), now: NOW });
    const [c] = list.lookupByKid(kidOf(w.expired));
    expect(c!.verdict.ok).toBe(false);
    expect(c!.verdict.reasons).toEqual([
      { code: 'validity', message: `expired at ${readCertificate(w.expired.der).notAfter.toISOString()}` },
    ]);
    expect(list.lookupByKid(kidOf(w.expired), { asOf: days(-100) })[0]!.verdict.ok).toBe(true);
  });

  test('when a DSC is signed by a CSCA that is not in the list, then its verdict is chain', () => {
    const list = buildTrustList({ documents: documentsOf(w), now: NOW });
    const [c] = list.lookupByKid(kidOf(w.forged));
    expect(c!.verdict.reasons.map((r) => r.code)).toEqual(['chain']);
    // The rogue CSCA's key id is not in the list, so no anchor is even tried.
    expect(c!.verdict.reasons[0]!.message).toBe(
      `no CSCA in the trust list matches key identifier ${readCertificate(w.rogue.der).subjectKeyId}`,
    );
  });

  test('when a DSC without AKI names a CSCA whose key did not sign it, then the fallback by country and name reports signature', async () => {
    const forgedNoAki = await makeDsc(w.rogue, { authorityKeyId: false });
    const list = buildTrustList({ documents: [participantDocument('DCC', 'XXA', [w.xa], [forgedNoAki])], now: NOW });
    const [c] = list.lookupByKid(kidOf(forgedNoAki));
    expect(c!.verdict.reasons).toEqual([
      { code: 'signature', message: `signature does not verify with the key of CSCA ${readCertificate(w.xa.der).kid}` },
    ]);
  });

  test('when a DSC has no AKI but names and is signed by a CSCA of its country, then the name fallback chains it', async () => {
    const legacy = await makeDsc(w.xa, { authorityKeyId: false, extKeyUsage: ['1.3.6.1.4.1.1847.2021.1.1'] });
    const list = buildTrustList({ documents: [participantDocument('DCC', 'XXA', [w.xa], [legacy])], now: NOW });
    const [c] = list.lookupByKid(kidOf(legacy));
    expect(c!.verdict).toEqual({ ok: true, reasons: [] });
    expect(c!.entry.hcertTypes).toEqual(['test']);
    expect(list.lookupByKid(kidOf(w.good)).length).toBe(0);
  });

  test('when a DSC of another country is signed by this CSCA, then its verdict is country-mismatch', () => {
    const list = buildTrustList({ documents: documentsOf(w), now: NOW });
    const [c] = list.lookupByKid(kidOf(w.wrongCountry));
    expect(c!.verdict.reasons).toEqual([
      { code: 'country-mismatch', message: "DSC country XB differs from its CSCA's country XA" },
    ]);
  });

  test('when no CSCA in the list issued a DSC, then its verdict is chain', () => {
    const list = buildTrustList({ documents: documentsOf(w), now: NOW });
    const [c] = list.lookupByKid(kidOf(w.orphan));
    expect(c!.verdict.reasons.map((r) => r.code)).toEqual(['chain']);
  });

  test('when two DSCs publish the same kid, then both are candidates and the issuer country filters them', () => {
    const docs = documentsOf(w);
    const collide = kidOf(w.good);
    const xb = docs[1]!.verificationMethod[1] as { publicKeyJwk: { kid?: string } };
    xb.publicKeyJwk.kid = collide; // XB publishes XA's kid for its own DSC
    const list = buildTrustList({ documents: docs, now: NOW });
    const all = list.lookupByKid(collide);
    expect(all.map((c) => c.entry.country).sort()).toEqual(['XA', 'XB']);
    expect(list.lookupByKid(collide, { country: 'xb' }).map((c) => c.entry.kid)).toEqual([kidOf(w.xbDsc)]);
    expect(all.find((c) => c.entry.country === 'XB')!.entry.warnings).toEqual([
      `published kid ${collide} differs from the computed kid ${kidOf(w.xbDsc)}`,
    ]);
  });

  test('when the same certificate is published in several documents, then it is one entry with every DID URL', () => {
    const docs = [...documentsOf(w), buildDidDocument(tnDid('-', 'XXA', 'DSC'), [{ der: w.good.der }])];
    const list = buildTrustList({ documents: docs, now: NOW });
    const [c, ...more] = list.lookupByKid(kidOf(w.good));
    expect(more).toEqual([]);
    expect(c!.entry.didUrls).toHaveLength(2);
    expect(list.lookupByDidUrl(`${tnDid('-', 'XXA', 'DSC')}#${kidOf(w.good)}`)!.entry).toBe(c!.entry);
  });

  test('when a kid is given as bytes or base64url, then it finds the same DSC', () => {
    const list = buildTrustList({ documents: documentsOf(w), now: NOW });
    const kid = kidOf(w.good);
    const bytes = Buffer.from(kid, 'base64');
    expect(list.lookupByKid(new Uint8Array(bytes))).toHaveLength(1);
    expect(list.lookupByKid(bytes.toString('base64url'))).toHaveLength(1);
    expect(list.lookupByKid('AAAAAAAAAAA=')).toEqual([]);
  });

  test('when counts and details are asked for, then they are per country, per domain and per certificate', () => {
    const list = buildTrustList({ documents: documentsOf(w), now: NOW });
    const counts = list.counts();
    expect(counts).toMatchObject({
      csca: 3,
      dsc: 7,
      validDsc: 3,
      byCountry: { XA: { csca: 2, dsc: 4 }, XB: { csca: 1, dsc: 2 }, XC: { csca: 0, dsc: 1 } },
      byDomain: { DCC: 10 },
    });
    const detail = list.details().find((d) => d.kid === kidOf(w.expired))!;
    expect(detail).toMatchObject({ role: 'DSC', country: 'XA', ok: false, anchorKid: readCertificate(w.xa.der).kid });
  });

  test('when the real GDHCN document shape is read, then the double-base64 kid maps to the computed kid', () => {
    const list = buildTrustList({ documents: realShapeDocument, now: new Date('2025-01-01T00:00:00Z') });
    const [c] = list.lookupByKid('XPjhL9Znd1M=', { country: 'XA' });
    expect(c!.verdict).toEqual({ ok: true, reasons: [] });
    expect(c!.entry.warnings).toEqual([]);
    expect(c!.entry).toMatchObject({ participant: 'XXA', domains: ['DCC'] });
    expect(list.counts()).toMatchObject({ csca: 1, dsc: 1 });
  });

  test('when an entry has no x5c or a broken certificate, then it is rejected and the rest still loads', () => {
    const doc = participantDocument('DCC', 'XXA', [w.xa], [w.good]);
    doc.verificationMethod.push({
      id: `${doc.id}#nox5c`,
      type: 'JsonWebKey2020',
      controller: doc.id,
      publicKeyJwk: { kty: 'EC' },
    });
    doc.verificationMethod.push({
      id: `${doc.id}#bad`,
      type: 'JsonWebKey2020',
      controller: doc.id,
      publicKeyJwk: { kty: 'EC', x5c: ['AAAA'] },
    });
    doc.verificationMethod.push('did:web:elsewhere:trustlist-ref');
    const list = buildTrustList({ documents: doc, now: NOW });
    expect(list.rejected.map((r) => [r.didUrl, r.reason.code])).toEqual([
      [`${doc.id}#nox5c`, 'unparseable'],
      [`${doc.id}#bad`, 'unparseable'],
    ]);
    expect(list.rejected[0]!.reason.message).toBe('publicKeyJwk has no x5c certificate');
    expect(list.lookupByKid(kidOf(w.good))).toHaveLength(1);
  });

  test('when the input is not a DID document, then TRUSTLIST_MALFORMED is thrown', () => {
    expect(() => buildTrustList({ documents: { hello: 'world' }, now: NOW })).toThrow(
      new TrustError(
        'TRUSTLIST_MALFORMED',
        'Trust list document 0 is not a DID document (needs id and verificationMethod[])',
      ),
    );
    expect(() => buildTrustList({ documents: [{ id: 'did:web:x', verificationMethod: [] }, 42], now: NOW })).toThrow(
      new TrustError(
        'TRUSTLIST_MALFORMED',
        'Trust list document 1 is not a DID document (needs id and verificationMethod[])',
      ),
    );
  });
});
