/** SMART Health Links and Verifiable Health Links: the link registry, manifest answers, and verification. */
import { OutcomeError } from '../../../src/fhir/outcome.ts';
import { decryptShlFile } from '../../../src/formats/shl/jwe.ts';
import { decodeShlink } from '../../../src/formats/shl/link.ts';
import { issueShl, issueVhl } from '../../../src/credentials/issue-shl.ts';
import { listCredentials } from '../../../src/credentials/provenance.ts';
import { shlToParameters } from '../../../src/credentials/operation-parameters.ts';
import {
  answerManifest,
  createShlLink,
  readDirectFile,
  readShlFile,
  revokeShlLink,
  ShlPasscodeError,
} from '../../../src/credentials/shl-links.ts';
import { recordIdOf } from '../../../src/credentials/shl-link-record.ts';
import { failuresOf } from '../../../src/credentials/verdict.ts';
import type { ShlFetcher } from '../../../src/credentials/verify-options.ts';
import { verifyCredential } from '../../../src/credentials/verify.ts';
import { makeHarness, NOW, type Harness } from './harness.ts';
import { covidImmunization, ipsDocument, patient } from './fixtures.ts';
import { documentPatient } from '../../helpers/shared-packages.ts';
import { issueShc } from '../../../src/credentials/issue-shc.ts';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});

const ipsPatient = documentPatient(ipsDocument() as unknown as Record<string, unknown>) as {
  id: string;
  name: Array<{ family: string }>;
};
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const issue = (extra: Partial<Parameters<typeof issueShl>[2]> = {}) =>
  issueShl(h.ctx, h.shl, { bundle: ipsDocument(), now: NOW, requester: 'portal', qrFormats: ['svg'], ...extra });

/** The HTTP layer's job, done in process: route a URL of our SHL base to the registry. */
const fetcher =
  (now: Date = NOW): ShlFetcher =>
  async (url, request) => {
    const [linkId, file, ticket] = url.slice(`${h.shl.shlBaseUrl}/`.length).split('/');
    if (file === 'file') return readShlFile(h.shl, linkId!, ticket!, now);
    if (request === undefined) return readDirectFile(h.shl, linkId!, now);
    return answerManifest(h.shl, linkId!, request, now);
  };

async function rejection(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(OutcomeError);
  const err = e as OutcomeError;
  return {
    kind: err.kind,
    id: err.outcome.issue![0]!.details?.coding?.[0]?.code,
    text: err.outcome.issue![0]!.details?.text,
  };
}

describe('SHL link registry', () => {
  test('when a link is created, then its manifest URL carries 256 random bits, fits 128 characters, and its key opens the file', async () => {
    const r = await issue({ label: 'My summary' });
    const payload = decodeShlink(r.link);
    expect(r.linkId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(payload.url).toBe(`https://issuer.test/shl/${r.linkId}`);
    expect(payload.url.length).toBeLessThanOrEqual(128);
    expect(payload.label).toBe('My summary');
    const manifest = await answerManifest(h.shl, r.linkId, { recipient: 'Dr. B' }, NOW);
    expect(manifest.files).toHaveLength(1);
    const file = await decryptShlFile(manifest.files[0]!.embedded!, payload.key);
    expect(file.contentType).toBe('application/fhir+json');
    expect(JSON.parse(new TextDecoder().decode(file.content))).toEqual(ipsDocument());
  });

  test('when a link is stored, then the record id is the hash of the link id and holds neither the key nor the plaintext', async () => {
    const r = await issue();
    const read = await h.store.read('DocumentReference', recordIdOf(r.linkId));
    expect(read.status).toBe('found');
    const stored = JSON.stringify(read.status === 'found' ? read.resource : {});
    expect(stored).not.toContain(r.linkId);
    expect(stored).not.toContain(r.payload.key);
    expect(stored).not.toContain(ipsPatient.name[0]!.family);
  });

  test('when the passcode is right, then the manifest is served; when wrong, then 401 with the attempts left', async () => {
    const r = await issue({ passcode: '1234', maxAttempts: 3 });
    expect(decodeShlink(r.link).flag).toBe('P');
    expect((await answerManifest(h.shl, r.linkId, { recipient: 'x', passcode: '1234' }, NOW)).files).toHaveLength(1);
    const wrong = await answerManifest(h.shl, r.linkId, { recipient: 'x', passcode: '0000' }, NOW).catch(
      (e: unknown) => e,
    );
    expect(wrong).toBeInstanceOf(ShlPasscodeError);
    expect((wrong as ShlPasscodeError).remainingAttempts).toBe(2);
    expect(await rejection(answerManifest(h.shl, r.linkId, { recipient: 'x' }, NOW))).toEqual({
      kind: 'unauthorized',
      id: 'SHL_PASSCODE_INVALID',
      text: 'The passcode is missing or wrong; 1 attempt(s) left',
    });
  });

  test('when 12 wrong passcodes arrive in parallel against 5 allowed attempts, then exactly 5 are consumed and the link is disabled', async () => {
    const r = await issue({ passcode: 'right', maxAttempts: 5 });
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        answerManifest(h.shl, r.linkId, { recipient: 'attacker', passcode: 'wrong' }, NOW).then(
          () => 'served',
          (e: unknown) => e,
        ),
      ),
    );
    const unauthorized = results.filter((e): e is ShlPasscodeError => e instanceof ShlPasscodeError);
    expect(unauthorized.map((e) => e.remainingAttempts).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(results.filter((e) => e instanceof OutcomeError && e.kind === 'not-found')).toHaveLength(7);
    expect(await rejection(answerManifest(h.shl, r.linkId, { recipient: 'owner', passcode: 'right' }, NOW))).toEqual({
      kind: 'not-found',
      id: 'SHL_DISABLED',
      text: 'This SMART Health Link was disabled after too many wrong passcodes',
    });
  });

  test('when the link has expired, then the manifest answers 404 SHL_EXPIRED', async () => {
    const r = await issue({ exp: later(3600) });
    expect(await rejection(answerManifest(h.shl, r.linkId, { recipient: 'x' }, later(3601)))).toEqual({
      kind: 'not-found',
      id: 'SHL_EXPIRED',
      text: `This SMART Health Link expired at ${later(3600).toISOString()}`,
    });
  });

  test('when the link is revoked, then it is gone and the manifest answers 404 SHL_NOT_FOUND', async () => {
    const r = await issue();
    expect(await revokeShlLink(h.shl, r.linkId)).toBe(true);
    expect(await rejection(answerManifest(h.shl, r.linkId, { recipient: 'x' }, NOW))).toEqual({
      kind: 'not-found',
      id: 'SHL_NOT_FOUND',
      text: 'No active SMART Health Link at this address',
    });
    expect(await revokeShlLink(h.shl, r.linkId)).toBe(false);
  });

  test('when the file is larger than embeddedLengthMax, then a short-lived location is given and it serves the file', async () => {
    const r = await issue();
    const manifest = await answerManifest(h.shl, r.linkId, { recipient: 'x', embeddedLengthMax: 10 }, NOW);
    const location = manifest.files[0]!.location!;
    expect(location).toMatch(new RegExp(`^https://issuer.test/shl/${r.linkId}/file/[A-Za-z0-9_-]{43}$`));
    const ticket = location.split('/').pop()!;
    expect(await readShlFile(h.shl, r.linkId, ticket, later(60))).toContain('.');
    expect(await rejection(readShlFile(h.shl, r.linkId, ticket, later(301)))).toMatchObject({ id: 'SHL_NOT_FOUND' });
  });

  test('when flag U is asked, then the file is served directly and a link without U refuses direct download', async () => {
    const direct = await issue({ flag: 'U' });
    expect(decodeShlink(direct.link).flag).toBe('U');
    expect((await readDirectFile(h.shl, direct.linkId, NOW)).split('.')).toHaveLength(5);
    const plain = await issue();
    expect(await rejection(readDirectFile(h.shl, plain.linkId, NOW))).toEqual({
      kind: 'invalid',
      id: 'SHL_NOT_DIRECT',
      text: 'This link has no U flag: POST a manifest request instead',
    });
  });

  test('when the Bundle is not a document, then issuance fails with 422 SHL_NOT_A_DOCUMENT', async () => {
    const bundle = { ...ipsDocument(), type: 'collection' as const };
    expect(await rejection(issueShl(h.ctx, h.shl, { bundle, now: NOW, requester: 'x' }))).toMatchObject({
      kind: 'unprocessable',
      id: 'SHL_NOT_A_DOCUMENT',
    });
  });

  test('when links are issued, then a Provenance records each', async () => {
    const r = await issue();
    const listed = await listCredentials(h.store, ipsPatient.id);
    expect(listed.find((c) => c.provenanceId === r.provenanceId)).toMatchObject({
      format: 'shl',
      patientId: ipsPatient.id,
      sources: [`Bundle/${ipsDocument().id}`],
      credentialId: r.recordId,
    });
  });
});

describe('SHL and VHL verification', () => {
  test('when an SHL is verified through the fetcher, then the IPS comes back and every check that applies passes', async () => {
    const r = await issue({ passcode: '42' });
    const v = await verifyCredential(r.link, {
      validationTime: NOW,
      passcode: '42',
      fetchShl: fetcher(),
      validate: h.validate,
    });
    expect(v.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(v).toMatchObject({ valid: true, format: 'shl', issuer: 'issuer.test' });
    expect(v.content).toEqual(ipsDocument());
    expect(v.checks.find((c) => c.name === 'signature')).toMatchObject({
      status: 'skipped',
      message: 'A SMART Health Link is encrypted, not signed: its issuer is not authenticated (a VHL is)',
    });
  });

  test('when the passcode is wrong, then the verdict reports it and no content', async () => {
    const r = await issue({ passcode: '42' });
    const v = await verifyCredential(`https://viewer.example/#${r.link}`, {
      validationTime: NOW,
      passcode: 'nope',
      fetchShl: fetcher(),
    });
    expect(failuresOf(v)).toEqual(['decode-error']);
    expect(v.checks.find((c) => c.status === 'fail')?.message).toMatch(
      /^The manifest needs a passcode, or the one given is wrong/,
    );
    expect(v.content).toBeUndefined();
  });

  test('when a manifest answers with two million files, then decode-error "too many files", and not one file is fetched', async () => {
    const r = await issue();
    const file = { contentType: 'application/fhir+json', location: 'https://elsewhere.example/file' };
    let fileFetches = 0;
    const v = await verifyCredential(r.link, {
      validationTime: NOW,
      fetchShl: async (_url, request) => {
        if (request !== undefined) return { files: new Array(2_000_000).fill(file) };
        fileFetches++;
        return '';
      },
    });
    expect(failuresOf(v)).toEqual(['decode-error']);
    expect(v.checks.find((c) => c.status === 'fail')?.message).toMatch(/too many files/);
    expect([fileFetches, v.content]).toEqual([0, undefined]);
  });

  test('when the link was revoked, then the revocation check fails with revoked', async () => {
    const r = await issue();
    await revokeShlLink(h.shl, r.linkId);
    const v = await verifyCredential(r.link, { validationTime: NOW, fetchShl: fetcher() });
    expect(failuresOf(v)).toEqual(['revoked']);
  });

  test('when the link has expired at the validation time, then it is not fetched and not-expired fails with expired', async () => {
    const r = await issue({ exp: later(60) });
    let fetched = 0;
    const v = await verifyCredential(r.link, {
      validationTime: later(61),
      fetchShl: async () => (fetched++, { files: [] }),
    });
    expect(failuresOf(v)).toEqual(['expired']);
    expect(fetched).toBe(0);
  });

  test('when no fetcher is configured, then nothing is fetched and the content checks are skipped', async () => {
    const r = await issue();
    const v = await verifyCredential(r.link, { validationTime: NOW });
    expect(v.valid).toBe(true);
    expect(v.checks.find((c) => c.name === 'decompress')).toEqual({
      name: 'decompress',
      status: 'skipped',
      message: 'Not fetched: no SHL fetcher is configured',
    });
  });

  test('when a link holds a SMART Health Card file, then the card inside is verified with its own checks', async () => {
    const card = await issueShc(h.ctx, {
      patient: patient(),
      immunizations: [covidImmunization()],
      credentialTypes: ['Immunization'],
      now: NOW,
      requester: 'w',
    });
    const created = await createShlLink(h.shl, {
      content: JSON.stringify({ verifiableCredential: card.verifiableCredential }),
      contentType: 'application/smart-health-card',
      now: NOW,
    });
    const v = await verifyCredential(created.link, { validationTime: NOW, trust: h.trust, fetchShl: fetcher() });
    expect(v.valid).toBe(true);
    expect(v.checks.find((c) => c.name === 'signature' && c.status === 'pass')?.message).toBe(
      'SMART Health Card 1 in the link',
    );
    expect(v.content?.entry).toHaveLength(2);
    const unknown = await verifyCredential(created.link, {
      validationTime: NOW,
      trust: h.emptyTrust,
      fetchShl: fetcher(),
    });
    expect(failuresOf(unknown)).toEqual(['key-unknown']);
  });

  test('when a VHL is verified, then the HCERT envelope is checked with the trust list and the link is followed', async () => {
    const r = await issueVhl(h.ctx, h.shl, {
      bundle: ipsDocument(),
      now: NOW,
      requester: 'portal',
      exp: later(86_400),
      qrFormats: ['svg'],
    });
    const v = await verifyCredential(r.hc1, {
      validationTime: NOW,
      trust: h.trust,
      fetchShl: fetcher(),
      validate: h.validate,
    });
    expect(v.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(v).toMatchObject({ valid: true, format: 'vhl', issuer: 'XX', kid: r.kid });
    expect(v.content).toEqual(ipsDocument());
    expect(shlToParameters(r).parameter!.map((x) => x.name)).toEqual([
      'shlink',
      'manifestUrl',
      'expiresAt',
      'qrSvg',
      'qrVersion',
      'vhl',
      'kid',
      'vhlQrSvg',
      'vhlQrVersion',
    ]);
    // the harness loads the IPS package: the document conforms to its Bundle profile, so the issuer has nothing to be warned of
    expect(r.warnings).toEqual([]);
  });

  test('when a VHL is signed by a key the verifier does not know, then the link is not followed', async () => {
    const r = await issueVhl(h.ctx, h.shl, {
      bundle: ipsDocument(),
      now: NOW,
      requester: 'portal',
      qrFormats: ['svg'],
    });
    let fetched = 0;
    const v = await verifyCredential(r.hc1, {
      validationTime: NOW,
      trust: h.emptyTrust,
      fetchShl: async () => (fetched++, { files: [] }),
    });
    expect(failuresOf(v)).toEqual(['key-unknown']);
    expect(fetched).toBe(0);
    expect(v.content).toBeUndefined();
  });
});
