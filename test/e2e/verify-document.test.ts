/**
 * `$verify` on a signed FHIR document (ADR 0071): a national system pushes the IPS example document (strict
 * validation) and its records, `Patient/$summary` makes the signed IPS, and `$verify` checks the JWS over the JCS
 * form, the x5c certificate against the trust list, the signer (`who`), the times, revocation and the IPS profile.
 * Each way a document can be wrong gives its own failure code.
 */
import request from 'supertest';
import { revokeCredential } from '../../src/credentials/revocation.ts';
import { signDocument } from '../../src/formats/fhir-signature.ts';
import { signerAt } from '../../src/trust/issuer-keys.ts';
import { makeKeys } from '../unit/credentials/harness.ts';
import { FHIR_JSON } from '../helpers/test-app.ts';
import {
  check,
  createShlApp,
  documentBundle,
  DOCUMENT_PATIENT_ID,
  failed,
  IPS_PROFILE,
  parameters,
  postFhir,
  pushDocument,
  type Param,
  type ShlApp,
  type Verdict,
} from './shl-support.ts';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: ShlApp;
let summary: J;

beforeAll(async () => {
  t = await createShlApp();
  await pushDocument(t);
  // The records of the pushed document, as the national system shares them (urn:uuid references resolved by the
  // transaction), so that $summary has something to summarise.
  const doc = documentBundle() as J;
  const transaction = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: doc.entry
      .filter((e: J) => e.resource.resourceType !== 'Composition')
      .map((e: J) => ({
        fullUrl: e.fullUrl,
        resource: e.resource,
        request: { method: 'PUT', url: `${e.resource.resourceType}/${e.resource.id}` },
      })),
  };
  const pushed = await postFhir(t, '', transaction);
  if (pushed.status !== 200)
    throw new Error(`transaction ${pushed.status} ${JSON.stringify(pushed.body).slice(0, 600)}`);
  summary = await makeSummary();
});
afterAll(() => t.close());

async function makeSummary(): Promise<J> {
  const res = await request(t.app).get(`/fhir/Patient/${DOCUMENT_PATIENT_ID}/$summary`);
  if (res.status !== 200) throw new Error(`$summary ${res.status} ${JSON.stringify(res.body).slice(0, 600)}`);
  return res.body as J;
}

/** `$verify` with the document as the `document` parameter (or as the bare body), read like shl-support's verify. */
async function verifyDocument(document: unknown, extra: Param[] = [], bare = false): Promise<Verdict> {
  const res = bare
    ? await postFhir(t, '$verify', document)
    : await postFhir(t, '$verify', parameters([{ name: 'document', resource: document }, ...extra]));
  expect(res.status).toBe(200);
  const ps = res.body.parameter as Param[];
  const checks = ps
    .filter((p) => p.name === 'check')
    .map((p) => {
      const part = p.part as Param[];
      const get = (n: string) => part.find((x) => x.name === n);
      return {
        name: get('name')!.valueCode as string,
        status: get('status')!.valueCode as string,
        ...(get('message') ? { message: get('message')!.valueString as string } : {}),
        ...(get('failure') ? { failure: (get('failure')!.valueCoding as { code: string }).code } : {}),
      };
    });
  const issues = (ps.find((p) => p.name === 'issues')!.resource as J).issue as J[];
  return {
    status: res.status,
    valid: ps.find((p) => p.name === 'valid')!.valueBoolean as boolean,
    format: ps.find((p) => p.name === 'format')?.valueCode as string,
    checks,
    failures: issues.flatMap((i) =>
      (i.details.coding as J[]).filter((c) => c.system.endsWith('/verify-failure')).map((c) => c.code),
    ),
    texts: issues.map((i) => i.details.text),
  };
}

const failures = (v: Verdict) => failed(v).map((c) => `${c.name}:${c.failure}`);
/** Our DSC that signed the summary, and a signer for re-signing changed documents with it. */
const ourDsc = () => signerAt(t.services.credentials.issuer().keys, t.clock.now())!;
const resign = (doc: J, signer: { signer: any; kid: string; certificate: { der: Uint8Array } }, who?: string) => {
  const { signature: _s, ...unsigned } = doc;
  return signDocument(unsigned, {
    signer: signer.signer,
    kid: signer.kid,
    certificateDer: signer.certificate.der,
    who: who ?? doc.signature.who.reference,
    when: t.clock.now(),
  });
};

describe('$verify on a signed document', () => {
  test('when the IPS the national system pushed is summarised and the summary is verified, then valid: every check passes and the verdict says it saw a document', async () => {
    const v = await verifyDocument(summary);
    expect(failed(v)).toEqual([]);
    expect(v.valid).toBe(true);
    expect(v.format).toBe('document');
    expect(v.checks.map((c) => `${c.name}:${c.status}`)).toEqual([
      'payload-schema:pass',
      'jws:pass',
      'signature:pass',
      'signer:pass',
      'trust-chain:pass',
      'not-before:pass',
      'not-expired:pass',
      'fhir-profile:pass',
      'revocation:pass',
    ]);
    expect(check(v, 'fhir-profile')?.message).toBe(`Conforms to ${IPS_PROFILE}`);
    // The summary holds the pushed document's records.
    const pushed = (documentBundle() as J).entry.map((e: J) => `${e.resource.resourceType}/${e.resource.id}`);
    const summarised = summary.entry.map((e: J) => `${e.resource.resourceType}/${e.resource.id}`);
    for (const ref of pushed.filter((r: string) => /^(Condition|MedicationStatement|AllergyIntolerance)\//.test(r)))
      expect(summarised).toContain(ref);
  });

  test('when the document is posted as the bare body, then it is verified the same way', async () => {
    const v = await verifyDocument(summary, [], true);
    expect(v).toMatchObject({ valid: true, format: 'document' });
  });

  test('when any one entry of the document is changed after signing, then signature-invalid', async () => {
    expect(summary.entry.length).toBeGreaterThan(3);
    for (let i = 0; i < summary.entry.length; i++) {
      const changed = structuredClone(summary);
      changed.entry[i].resource.id = `${changed.entry[i].resource.id}-changed`;
      const v = await verifyDocument(changed);
      expect([i, v.valid, check(v, 'signature')?.failure]).toEqual([i, false, 'signature-invalid']);
    }
    const timestamp = structuredClone(summary);
    timestamp.timestamp = '2020-01-01T00:00:00Z';
    expect(failures(await verifyDocument(timestamp))).toEqual(['signature:signature-invalid']);
  });

  test('when the document is signed by a key the trust list does not hold, then key-unknown; given as trustedCertificate, then trusted', async () => {
    const stranger = (await makeKeys('YY', t.clock.now())).dscs[0]!;
    const signed = await resign(summary, stranger);
    const v = await verifyDocument(signed);
    expect(failures(v)).toEqual(['trust-chain:key-unknown']);
    expect(check(v, 'trust-chain')?.message).toBe(
      `The signing certificate (kid ${stranger.kid}) is not a DSC of the trust list`,
    );
    const pem = Buffer.from(stranger.certificate.der).toString('base64');
    const explicit = await verifyDocument(signed, [{ name: 'trustedCertificate', valueString: pem }]);
    expect(failed(explicit)).toEqual([]);
    expect(check(explicit, 'trust-chain')?.message).toMatch(/^Signed by a certificate the caller trusts explicitly/);
  });

  test('when the signing certificate has expired at the validation time, then expired', async () => {
    const notAfter = ourDsc().certificate.notAfter;
    const later = new Date(notAfter.getTime() + 24 * 3600 * 1000).toISOString();
    const v = await verifyDocument(summary, [{ name: 'validationTime', valueDateTime: later }]);
    expect(failures(v)).toEqual(['not-expired:expired']);
    expect(check(v, 'not-expired')?.message).toBe(`The signing certificate expired at ${notAfter.toISOString()}`);
  });

  test('when the validation time is before the signing time, then not-yet-valid', async () => {
    const before = new Date(Date.parse(summary.signature.when) - 3600 * 1000).toISOString();
    const v = await verifyDocument(summary, [{ name: 'validationTime', valueDateTime: before }]);
    expect(failures(v)).toEqual(['not-before:not-yet-valid']);
  });

  test.each([
    ['the Patient entry', (d: J) => d.entry[1].fullUrl],
    ['a reference to no entry', () => 'urn:uuid:00000000-0000-4000-8000-000000000000'],
  ])(
    'when Bundle.signature.who names %s instead of the author, then signer-mismatch (the JWS itself still verifies)',
    async (_what, who) => {
      const wrong = structuredClone(summary);
      wrong.signature.who = { reference: who(summary) };
      const v = await verifyDocument(wrong);
      expect(failures(v)).toEqual(['signer:signer-mismatch']);
      expect(check(v, 'signature')?.status).toBe('pass');
    },
  );

  test('when the document carries no signature, then signature-missing and the later signature checks are skipped', async () => {
    const { signature: _s, ...unsigned } = summary;
    const v = await verifyDocument(unsigned);
    expect(failures(v)).toEqual(['jws:signature-missing']);
    expect(v.texts[0]).toBe('The document carries no Bundle.signature');
    expect(check(v, 'trust-chain')?.status).toBe('skipped');
    expect(check(v, 'fhir-profile')?.status).toBe('pass');
  });

  test.each([
    ['not JOSE', { sigFormat: 'application/signature+xml' }],
    ['an attached JWS', { data: Buffer.from('a.b.c').toString('base64') }],
    [
      'a certificate that is no certificate',
      {
        data: Buffer.from(`${Buffer.from('{"alg":"ES256","x5c":["AAAA"]}').toString('base64url')}..AA`).toString(
          'base64',
        ),
      },
    ],
  ])('when the signature is %s, then signature-encoding', async (_what, change) => {
    const broken = structuredClone(summary);
    broken.signature = { ...broken.signature, ...change };
    expect(failures(await verifyDocument(broken))).toEqual(['jws:signature-encoding']);
  });

  test('when the document is on our revocation list (by its identifier), then revoked', async () => {
    const own = await makeSummary();
    expect(failed(await verifyDocument(own))).toEqual([]);
    await revokeCredential(t.services.store, {
      credentialId: own.identifier.value,
      requester: 'test',
      now: t.clock.now(),
    });
    expect(failures(await verifyDocument(own))).toEqual(['revocation:revoked']);
  });

  test('when our own key signs a document that breaks the IPS profile, then the signature passes and profile-invalid', async () => {
    const broken = structuredClone(summary);
    broken.entry[0].resource.section = broken.entry[0].resource.section.filter(
      (s: J) => s.code.coding[0].code !== '11450-4',
    );
    const v = await verifyDocument(await resign(broken, ourDsc()));
    expect(failures(v)).toEqual(['fhir-profile:profile-invalid']);
  });

  test('when the Bundle is not a document, then payload-invalid and nothing else is judged', async () => {
    const v = await verifyDocument({ ...summary, type: 'collection' });
    expect(failures(v)).toEqual(['payload-schema:payload-invalid']);
    expect(v.checks.filter((c) => c.status === 'pass')).toEqual([]);
  });
});

describe('$verify document input errors', () => {
  test.each([
    [
      'a Patient as document',
      [{ name: 'document', resource: { resourceType: 'Patient' } }],
      'VERIFY_DOCUMENT_NOT_BUNDLE',
    ],
    ['a document given as text', [{ name: 'document', valueString: '{}' }], 'VERIFY_DOCUMENT_NOT_BUNDLE'],
    [
      'a document and a credential',
      [
        { name: 'document', resource: { resourceType: 'Bundle', type: 'document' } },
        { name: 'credential', valueString: 'HC1:xx' },
      ],
      'VERIFY_TWO_CREDENTIALS',
    ],
  ])('when $verify gets %s, then 400 with its message id and the server stays up', async (_what, params, id) => {
    const res = await postFhir(t, '$verify', parameters(params as Param[]));
    expect([res.status, res.body.issue?.[0]?.details?.coding?.[0]?.code]).toEqual([400, id]);
    expect((await request(t.app).get('/healthz').set('Accept', FHIR_JSON)).status).toBe(200);
  });
});
