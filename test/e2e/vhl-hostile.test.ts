/**
 * Issue 20 "Hostile input", the VHL side (ITI-YY5 as the Sharer answers it): manifest requests with a million
 * items, links whose List search names another patient (two patients, each with a folder, crossed both ways),
 * replayed or guessed folder ids and file tickets, and SQL/NoSQL-looking values in every search parameter. Each:
 * a clear 4xx OperationOutcome, nothing of either patient's folder in the answer, the server up. (The folder id is
 * looked up by its SHA-256, and the patient identifier compared over digests with timingSafeEqual —
 * vhl-manifest.ts; these tests show the answers give no oracle, they do not time anything.)
 */
import request from 'supertest';
import { decodeVhlink, parseVhlManifestUrl, type VhlinkPayload } from '../../src/formats/shl/vhlink.ts';
import { FHIR_JSON } from '../helpers/test-app.ts';
import { documentBundle, messageId, messageText, pushDocument, stillServing, type ShlApp } from './shl-support.ts';
import { carriedLink, createVhlApp, generate, manifestSearch, outputs, patientToken, receive } from './vhl-support.ts';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RECIPIENT = { recipient: 'Clinic of another country' };
let t: ShlApp;
/** Patient A: the IPS example's patient; patient B: the same document for another person. */
let a: VhlinkPayload;
let b: VhlinkPayload;
let bToken: string;
let notFoundText: string | undefined;

function otherPatientsDocument(): J {
  const doc = documentBundle() as J;
  doc.id = 'ips-patient-b';
  doc.identifier = { ...doc.identifier, value: `${doc.identifier.value}-b` };
  const subject = doc.entry[0].resource.subject.reference;
  const patient = doc.entry.find((e: J) => e.fullUrl === subject).resource;
  patient.identifier = [{ ...patient.identifier[0], value: 'B-0000001' }];
  patient.name = [{ family: 'Other', given: ['Bea'] }];
  return doc;
}

async function vhlFor(sourceIdentifier: string): Promise<VhlinkPayload> {
  const res = await generate(t, { sourceIdentifier });
  expect(res.status).toBe(200);
  return decodeVhlink(carriedLink(outputs(res).hcert!.valueString as string));
}

function withParams(payload: VhlinkPayload, replace: Record<string, string>): VhlinkPayload {
  const url = new URL(payload.url);
  for (const [k, v] of Object.entries(replace)) url.searchParams.set(k, v);
  return { ...payload, url: url.href };
}

const folderOf = (p: VhlinkPayload) => parseVhlManifestUrl(p.url).folderId;
/** Nothing of either folder (ids, the other patient's identifier, their names) is in an answer. */
function leaksNothing(res: request.Response): void {
  const text = JSON.stringify(res.body);
  for (const secret of [folderOf(a), folderOf(b), 'B-0000001', 'Bea', 'Martha']) expect(text).not.toContain(secret);
}

beforeAll(async () => {
  t = await createVhlApp();
  await pushDocument(t);
  const pushed = await request(t.app)
    .put('/fhir/Bundle/ips-patient-b')
    .set('Content-Type', FHIR_JSON)
    .send(JSON.stringify(otherPatientsDocument()));
  expect(pushed.status).toBe(201);
  const bPatient = otherPatientsDocument().entry[1].resource;
  bToken = `${bPatient.identifier[0].system}|B-0000001`;
  a = await vhlFor(patientToken());
  b = await vhlFor(bToken);
  notFoundText = messageText(await manifestSearch(t, withParams(a, { _id: '0'.repeat(64) }), RECIPIENT));
});
afterAll(() => t.close());

describe('links whose List search names another patient', () => {
  test("when each patient's own link is followed, then each folder holds only that patient's document", async () => {
    const mine = await receive(
      t,
      (await generate(t, { sourceIdentifier: patientToken() })).body.parameter.find((p: J) => p.name === 'hcert')
        .valueString,
      RECIPIENT,
    );
    const theirs = await receive(
      t,
      (await generate(t, { sourceIdentifier: bToken })).body.parameter.find((p: J) => p.name === 'hcert').valueString,
      RECIPIENT,
    );
    const ids = (docs: unknown[]) => docs.map((d) => (d as J).id);
    expect([ids(mine.documents), ids(theirs.documents)]).toEqual([[documentBundle().id], ['ips-patient-b']]);
  });

  test.each([
    ["A's folder with B's identifier", () => withParams(a, { 'patient.identifier': bToken })],
    ["B's folder with A's identifier", () => withParams(b, { 'patient.identifier': patientToken() })],
    ["A's folder id in B's link", () => withParams(b, { _id: folderOf(a) })],
  ])('when the manifest search asks %s, then the one same 404 and nothing of either folder', async (_what, link) => {
    const res = await manifestSearch(t, link(), RECIPIENT);
    expect([res.status, messageId(res), messageText(res)]).toEqual([404, 'VHL_FOLDER_NOT_FOUND', notFoundText]);
    leaksNothing(res);
  });
});

describe('replayed or guessed folder ids and tickets', () => {
  test('when a guessed folder id differs from a real one in its first or its last character only, then both get the one same 404 as any other id (no oracle)', async () => {
    const real = folderOf(a);
    const flip = (c: string) => (c === '0' ? '1' : '0');
    for (const guess of [`${flip(real[0]!)}${real.slice(1)}`, `${real.slice(0, -1)}${flip(real.at(-1)!)}`]) {
      const res = await manifestSearch(t, withParams(a, { _id: guess }), RECIPIENT);
      expect([res.status, messageText(res)]).toEqual([404, notFoundText]);
      leaksNothing(res);
    }
  });

  test("when a file ticket of A's folder is replayed under B's folder, then 404 and no document", async () => {
    const manifest = await manifestSearch(t, a, RECIPIENT);
    expect(manifest.status).toBe(200);
    const url = new URL(manifest.body.entry[1].resource.content[0].attachment.url as string);
    const ticket = url.pathname.split('/').at(-1)!;
    const crossed = url.pathname.replace(folderOf(a), folderOf(b));
    expect(crossed.endsWith(ticket)).toBe(true);
    const res = await request(t.app).get(crossed);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('eyJ'); // no JWE
    expect((await request(t.app).get(url.pathname)).status).toBe(200);
  });

  test('when the same manifest request is replayed many times, then each answer is the same folder with fresh tickets, never another folder', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await manifestSearch(t, a, RECIPIENT);
      expect(res.status).toBe(200);
      expect(res.body.entry[0].resource.id).toBe(folderOf(a));
      seen.add(res.body.entry[1].resource.content[0].attachment.url);
    }
    expect(seen.size).toBe(5);
  });
});

describe('manifest requests with a million items', () => {
  test('when the form body repeats _id a million times, then 400 naming _id, nothing of the folder, and the server answers', async () => {
    const body = new URLSearchParams(new URL(a.url).searchParams);
    body.append('recipient', 'x');
    const many = `${body.toString()}${'&_id=0'.repeat(1_000_000)}`;
    const res = await request(t.app)
      .post('/fhir/List/_search')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send(many);
    expect(res.status).toBe(400);
    expect([messageId(res), res.body.issue[0].expression]).toEqual(['VHL_MANIFEST_PARAM_INVALID', ['_id']]);
    leaksNothing(res);
    expect(await stillServing(t)).toBe(200);
  }, 120_000);

  test('when the form body is larger than MAX_BODY_BYTES, then 413 before it is read', async () => {
    const huge = `recipient=${'x'.repeat(t.services.config.maxBodyBytes + 1)}`;
    const res = await request(t.app)
      .post('/fhir/List/_search')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send(huge);
    expect([res.status, res.body.resourceType]).toEqual([413, 'OperationOutcome']);
    expect(await stillServing(t)).toBe(200);
  });
});

describe('SQL- and NoSQL-looking values', () => {
  test.each([
    ['patient.identifier', "urn:x|' OR '1'='1' --"],
    ['patient.identifier', '{"$ne":null}'],
    ['patient.identifier', "|'; DROP TABLE resources; --"],
    ['_id', '{"$where":"sleep(1000)"}'],
    ['_id', "'; DELETE FROM resources; --"],
    ['code', "folder' OR '1'='1"],
    ['status', '{"$in":["current","retired"]}'],
  ])('when %s is %j, then the one same 404 and nothing of any folder', async (name, value) => {
    const res = await manifestSearch(t, withParams(a, { [name]: value }), RECIPIENT);
    expect([res.status, messageId(res), messageText(res)]).toEqual([404, 'VHL_FOLDER_NOT_FOUND', notFoundText]);
    leaksNothing(res);
  });

  test.each([
    ['recipient', '{"$gt":""}'],
    ['recipient', "x'); DROP TABLE resources; --"],
  ])('when %s is %j, then it is only text: the folder is served to that recipient', async (name, value) => {
    const res = await manifestSearch(t, a, { [name]: value });
    expect([res.status, res.body.entry[0].resource.id]).toEqual([200, folderOf(a)]);
  });

  test('after all of these, the store still holds both documents and both folders answer their own links', async () => {
    expect((await request(t.app).get('/fhir/Bundle/ips-patient-b')).status).toBe(200);
    expect((await manifestSearch(t, a, RECIPIENT)).status).toBe(200);
    expect((await manifestSearch(t, b, RECIPIENT)).status).toBe(200);
  });
});
