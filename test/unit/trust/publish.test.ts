import { calculateJwkThumbprint } from 'jose';
import {
  buildDidDocument,
  buildIssuerDidDocument,
  buildJwks,
  buildPemList,
  didWebFromUrl,
} from '../../../src/trust/publish.ts';
import { issuerKeysFromPem, type IssuerKeySet } from '../../../src/trust/issuer-keys.ts';
import { trustSelf } from '../../../src/trust/trust-self.ts';
import { buildTrustList } from '../../../src/trust/trust-list.ts';
import { parseShcDirectory, readShcDirectoryFile, shcIssuerFromJwks } from '../../../src/trust/shc-directory.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrustError } from '../../../src/trust/errors.ts';
import { generateKeyPair, privateKeyToPem } from '../../../src/trust/cert-factory.ts';
import { readCertificate, toPem } from '../../../src/trust/x509.ts';
import { NOW, makeCa, makeDsc } from './pki.ts';

async function keySet(): Promise<IssuerKeySet> {
  const ca = await makeCa('XA');
  const dsc = await makeDsc(ca);
  const shc = await generateKeyPair();
  return issuerKeysFromPem({
    cscaCertPem: toPem(ca.der),
    dscs: [{ certPem: toPem(dsc.der), keyPem: await privateKeyToPem(dsc.keys.privateKey) }],
    shcKeyPem: await privateKeyToPem(shc.privateKey),
    now: NOW,
  });
}

let keys: IssuerKeySet;
beforeAll(async () => {
  keys = await keySet();
});

describe('publication', () => {
  test('when a base URL is turned into did:web, then the port is percent-encoded and path segments use colons', () => {
    expect(didWebFromUrl('https://gw.example.org/trust')).toBe('did:web:gw.example.org:trust');
    expect(didWebFromUrl('http://127.0.0.1:8080/')).toBe('did:web:127.0.0.1%3A8080');
  });

  test('when the JWKS is built, then it holds the SHC public key with thumbprint kid and nothing private', async () => {
    const jwks = buildJwks(keys);
    expect(jwks.keys).toHaveLength(1);
    const [k] = jwks.keys;
    expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256' });
    expect(k!.kid).toBe(await calculateJwkThumbprint(k!, 'sha256'));
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
  });

  test('when the DID document is built, then each method carries the HCERT kid, the JWK and x5c = [cert, chain]', () => {
    const doc = buildIssuerDidDocument(keys, 'did:web:gw.example.org:trustlist:DCC:XXA');
    expect(doc.verificationMethod).toHaveLength(2);
    const dsc = doc.verificationMethod[1] as Exclude<(typeof doc.verificationMethod)[number], string>;
    expect(dsc.id).toBe(`did:web:gw.example.org:trustlist:DCC:XXA#${keys.signer.kid}`);
    expect(dsc.publicKeyJwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: keys.signer.kid });
    expect(dsc.publicKeyJwk.x5c).toEqual([
      keys.signer.certificate.der.toString('base64'),
      keys.csca.der.toString('base64'),
    ]);
    expect(JSON.stringify(doc)).not.toMatch(/"d"/);
  });

  test('when our DID document is read back as a trust list, then our DSC is trusted under our CSCA', () => {
    const list = buildTrustList({
      documents: buildIssuerDidDocument(keys, 'did:web:gw.example.org:trustlist:DCC:XXA'),
      now: NOW,
    });
    const [c] = list.lookupByKid(keys.signer.kidBytes, { country: 'XA' });
    expect(c!.verdict).toEqual({ ok: true, reasons: [] });
    expect(c!.entry).toMatchObject({ participant: 'XXA', domains: ['DCC'] });
  });

  test('when the PEM list is built, then it holds the CSCA then the DSCs', () => {
    const pems = buildPemList(keys).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    expect(pems.map((p) => readCertificate(p).kid)).toEqual([keys.csca.kid, keys.signer.kid]);
  });

  test('when TRUST_SELF entries are merged into a trust list, then our HCERT and SHC keys are found', async () => {
    const self = await trustSelf(keys, { did: 'did:web:gw.example.org', issuerUrl: 'https://gw.example.org/' });
    const list = buildTrustList({ documents: self.documents, shcIssuers: self.shcIssuers, now: NOW });
    expect(list.lookupByKid(keys.signer.kid)[0]!.verdict.ok).toBe(true);
    expect(list.lookupShc('https://gw.example.org', keys.shc!.kid)!.source).toBe('self');
    expect(list.lookupByDidUrl(`did:web:gw.example.org#${keys.signer.kid}`)!.entry.role).toBe('DSC');
    expect(list.counts().shcKeys).toBe(1);
  });

  test('when a DID document lists a bare certificate, then buildDidDocument emits RSA keys as n/e', async () => {
    const ca = await makeCa('XA');
    const rsa = await makeDsc(ca, { keys: await generateKeyPair('RS3072') });
    const doc = buildDidDocument('did:web:x', [{ der: rsa.der }]);
    expect(Object.keys((doc.verificationMethod[0] as { publicKeyJwk: object }).publicKeyJwk).sort()).toEqual([
      'e',
      'kid',
      'kty',
      'n',
      'x5c',
    ]);
  });
});

describe('SHC directory', () => {
  test('when a VCI-directory snapshot is parsed, then keys with thumbprint kids are indexed by issuer', async () => {
    const jwk = buildJwks(keys).keys[0]!;
    const bad = { ...jwk, kid: 'not-the-thumbprint' };
    const dir = await parseShcDirectory({
      directory: 'https://example.org/vci',
      issuerInfo: [
        {
          issuer: { iss: 'https://issuer.example/', name: 'Example' },
          keys: [jwk, bad, { kty: 'RSA', n: 'x', e: 'AQAB' }],
        },
        { issuer: {} },
      ],
    });
    expect(dir.issuers.map((i) => [i.iss, i.name, i.keys.map((k) => k.kid)])).toEqual([
      ['https://issuer.example', 'Example', [jwk.kid]],
    ]);
    expect(dir.problems).toEqual([
      `https://issuer.example key 1: kid not-the-thumbprint is not the JWK thumbprint ${jwk.kid}`,
      'https://issuer.example key 2: not an EC P-256 public key',
      'issuerInfo 1: no issuer.iss',
    ]);
    const list = buildTrustList({ documents: [], shcIssuers: dir.issuers, now: NOW });
    expect(list.lookupShc('https://issuer.example/', jwk.kid!)!.jwk).toEqual(jwk);
  });

  test('when a JWKS contains a private key, then the key is refused', async () => {
    const { problems, issuer } = await shcIssuerFromJwks('https://i.example', {
      keys: [{ ...buildJwks(keys).keys[0], d: 'secret' }],
    });
    expect(issuer.keys).toEqual([]);
    expect(problems).toEqual(['https://i.example key 0: contains private key material']);
  });

  test('when the directory is not VCI shaped, then SHC_DIRECTORY_MALFORMED is thrown', async () => {
    await expect(parseShcDirectory({ participating_issuers: [] })).rejects.toThrow(
      new TrustError('SHC_DIRECTORY_MALFORMED', 'SHC directory must be an object with an issuerInfo array'),
    );
  });

  test('when the directory is read from a file, then missing files and non-JSON are told apart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trust-vci-'));
    try {
      const file = join(dir, 'vci.json');
      await expect(readShcDirectoryFile(file)).rejects.toThrow(
        new TrustError('FILE_UNREADABLE', 'SHC directory file cannot be read: ENOENT'),
      );
      await writeFile(file, '{');
      await expect(readShcDirectoryFile(file)).rejects.toMatchObject({ code: 'SHC_DIRECTORY_MALFORMED' });
      await writeFile(
        file,
        JSON.stringify({ issuerInfo: [{ issuer: { iss: 'https://a.example' }, keys: buildJwks(keys).keys }] }),
      );
      expect((await readShcDirectoryFile(file)).issuers[0]!.keys).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
