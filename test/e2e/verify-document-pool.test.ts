/**
 * `$verify` is public, so a large signed document's profile check runs in a validation worker under the request's
 * work budget, like `$validate`'s (ADR 0071): the same verdict as the inline check, and the event loop is not held
 * by one caller's 10,000-entry Bundle. Two servers with the same packages and keys: one validates inline, one with a
 * worker.
 */
import { jest } from '@jest/globals';
import { signDocument } from '../../src/formats/fhir-signature.ts';
import { signerAt } from '../../src/trust/issuer-keys.ts';
import { createShlApp, documentBundle, parameters, postFhir, type Param, type ShlApp } from './shl-support.ts';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let inline: ShlApp;
let pooled: ShlApp;

beforeAll(async () => {
  inline = await createShlApp({ validationWorkers: 0 });
  pooled = await createShlApp({ validationWorkers: 1 });
  await pooled.services.validationPool?.ready();
});
afterAll(async () => {
  await inline.close();
  await pooled.close();
});

/** The IPS example document, its Patient given `extra` more identifiers, signed by the pooled server's DSC. */
async function largeSignedDocument(extra: number): Promise<J> {
  const document = documentBundle() as J;
  const composition = document.entry[0].resource as J;
  const patient = (document.entry as J[]).find((e) => e.resource.resourceType === 'Patient')!.resource as J;
  patient.identifier = [
    ...(patient.identifier ?? []),
    ...Array.from({ length: extra }, (_, i) => ({ system: 'urn:oid:2.16.840.1.113883.2.4.6.3', value: `X${i}` })),
  ];
  const dsc = signerAt(pooled.services.credentials.issuer().keys, pooled.clock.now())!;
  return signDocument(document, {
    signer: dsc.signer,
    kid: dsc.kid,
    certificateDer: dsc.certificate.der,
    who: composition.author[0].reference,
    when: pooled.clock.now(),
  }) as J;
}

/** The verdict's checks and issues as `$verify` answers them, with the document as the `document` parameter. */
async function verdict(t: ShlApp, document: unknown, trusted: string): Promise<{ valid: boolean; body: J }> {
  const res = await postFhir(
    t,
    '$verify',
    parameters([
      { name: 'document', resource: document },
      { name: 'trustedCertificate', valueString: trusted },
    ]),
  );
  expect(res.status).toBe(200);
  const ps = res.body.parameter as Param[];
  return { valid: ps.find((p) => p.name === 'valid')!.valueBoolean as boolean, body: res.body as J };
}

test('when a large signed document is verified, then its profile check runs in the worker and the verdict is the inline one', async () => {
  const pool = pooled.services.validationPool!;
  expect(pool.available()).toBe(true);
  const document = await largeSignedDocument(1200);
  // Both servers are asked to trust the pooled server's DSC, given as the caller's trusted certificate.
  const dsc = signerAt(pooled.services.credentials.issuer().keys, pooled.clock.now())!;
  const trusted = Buffer.from(dsc.certificate.der).toString('base64');
  const sent = jest.spyOn(pool, 'validate');
  const away = await verdict(pooled, document, trusted);
  const profileJobs = sent.mock.results.filter((r) => r.value !== undefined);
  expect(profileJobs.length).toBe(1);
  sent.mockRestore();
  const here = await verdict(inline, document, trusted);
  expect(away.valid).toBe(true);
  // Everything but revocation, which only the signing server can answer (its own list).
  const withoutRevocation = (body: J) =>
    (body.parameter as Param[]).filter(
      (p) => !(p.name === 'check' && (p.part as Param[]).some((x) => x.valueCode === 'revocation')),
    );
  expect(withoutRevocation(away.body)).toEqual(withoutRevocation(here.body));
  expect(withoutRevocation(away.body).length).toBe((away.body.parameter as Param[]).length - 1);
});

test('when a small signed document is verified, then it is checked inline, as before', async () => {
  const pool = pooled.services.validationPool!;
  const document = await largeSignedDocument(0);
  const dsc = signerAt(pooled.services.credentials.issuer().keys, pooled.clock.now())!;
  const trusted = Buffer.from(dsc.certificate.der).toString('base64');
  const sent = jest.spyOn(pool, 'validate');
  const v = await verdict(pooled, document, trusted);
  expect(sent.mock.results.filter((r) => r.value !== undefined)).toEqual([]);
  sent.mockRestore();
  expect(v.valid).toBe(true);
});
