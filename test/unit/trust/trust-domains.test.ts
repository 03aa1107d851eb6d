/**
 * DID trust list v2 domains and usages: only DSC-usage entries verify, only in the credential type's domain, and
 * a DSC chains to an SCA of its own participant. Verdicts per certificate appear in the detailed status.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDidDocument } from '../../../src/trust/publish.ts';
import { createTrustListSync } from '../../../src/trust/sync.ts';
import { buildTrustList, credentialDomains, domainProblem } from '../../../src/trust/trust-list.ts';
import { readCertificate } from '../../../src/trust/x509.ts';
import { NOW, makeCa, makeDsc, tnDid, type TestCa, type TestDsc } from './pki.ts';
import { json, serve } from './serve.ts';

let xa: TestCa;
let dsc: TestDsc;
let up: TestDsc;
let foreign: TestDsc;
let icvpDsc: TestDsc;
let documents: object[];

const kid = (d: TestDsc): string => readCertificate(d.der).kid;

beforeAll(async () => {
  xa = await makeCa('XA');
  [dsc, up, foreign, icvpDsc] = await Promise.all([makeDsc(xa), makeDsc(xa), makeDsc(xa), makeDsc(xa)]);
  const entry = (d: TestDsc) => ({ der: d.der, chain: [xa.der] });
  documents = [
    buildDidDocument(tnDid('DCC', 'XXA', 'SCA'), [{ der: xa.der }]),
    buildDidDocument(tnDid('DCC', 'XXA', 'DSC'), [entry(dsc)]),
    buildDidDocument(tnDid('DCC', 'XXA', 'UP'), [entry(up)]),
    // published by participant XXB, but issued by XXA's SCA
    buildDidDocument(tnDid('DCC', 'XXB', 'DSC'), [entry(foreign)]),
    buildDidDocument(tnDid('ICVP', 'XXA', 'DSC'), [entry(icvpDsc)]),
  ];
});

describe('trust list v2 domains and usages', () => {
  test('when a DSC is published under DSC usage by its own participant, then its verdict is good', () => {
    const list = buildTrustList({ documents, now: NOW });
    const [c] = list.lookupByKid(kid(dsc));
    expect(c!.verdict).toEqual({ ok: true, reasons: [] });
    expect(c!.entry).toMatchObject({ role: 'DSC', usages: ['DSC'], domains: ['DCC'], participant: 'XXA' });
  });

  test('when a certificate is published under UP usage, then it verifies no credential and says why', () => {
    const [c] = buildTrustList({ documents, now: NOW }).lookupByKid(kid(up));
    expect(c!.verdict.ok).toBe(false);
    expect(c!.verdict.reasons).toEqual([
      { code: 'usage', message: 'published for usage UP, not DSC: it verifies no credential' },
    ]);
  });

  test("when a participant publishes a DSC issued by another participant's SCA, then it is refused", () => {
    const [c] = buildTrustList({ documents, now: NOW }).lookupByKid(kid(foreign));
    expect(c!.verdict.reasons).toEqual([
      { code: 'participant-mismatch', message: 'DSC of participant XXB chains to the SCA of participant XXA' },
    ]);
  });

  test('when a credential type is checked against the DSC domain, then only its own domains pass', () => {
    const list = buildTrustList({ documents, now: NOW });
    const icvp = list.lookupByKid(kid(icvpDsc))[0]!.entry;
    const dcc = list.lookupByKid(kid(dsc))[0]!.entry;
    expect(domainProblem(dcc, credentialDomains('hcert'))).toBeUndefined();
    expect(domainProblem(icvp, credentialDomains('icvp'))).toBeUndefined();
    expect(domainProblem(icvp, credentialDomains('hcert'))).toBe(
      `DSC ${icvp.kid} is published for domain ICVP, not for DCC or DDCC`,
    );
    expect(domainProblem(dcc, credentialDomains('ips'))).toBe(
      `DSC ${dcc.kid} is published for domain DCC, not for IPS-PILGRIMAGE or PH4H`,
    );
  });

  test('when TRUSTLIST_DOMAINS selects ICVP, then DCC entries are not in the list', () => {
    const list = buildTrustList({ documents, now: NOW, domains: ['icvp'] });
    expect(list.lookupByKid(kid(dsc))).toEqual([]);
    expect(list.lookupByKid(kid(icvpDsc))).toHaveLength(1);
    expect(list.counts().byDomain).toEqual({ ICVP: 1 });
  });

  test('when the detailed status is asked, then each certificate carries its usages, domains and verdict', async () => {
    const server = await serve(json(documents));
    const dir = await mkdtemp(join(tmpdir(), 'trust-domains-'));
    try {
      const sync = createTrustListSync({
        source: { url: server.url },
        fetch,
        cacheFile: join(dir, 'c.json'),
        maxAgeMs: 3_600_000,
        now: () => NOW,
      });
      await sync.refresh();
      const certs = sync.status({ detail: true }).certificates!;
      expect(certs.find((c) => c.kid === kid(up))).toMatchObject({
        role: 'DSC',
        usages: ['UP'],
        ok: false,
        reasons: [{ code: 'usage' }],
      });
      expect(certs.find((c) => c.kid === kid(foreign))).toMatchObject({
        participant: 'XXB',
        ok: false,
        reasons: [{ code: 'participant-mismatch' }],
      });
      expect(certs.find((c) => c.role === 'CSCA')).toMatchObject({ usages: ['SCA'], ok: true });
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
