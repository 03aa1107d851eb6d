/**
 * The SMART Health Link endpoints a recipient's app calls (/shl: manifest, flag U direct file, file locations) and
 * every rejection of `$issue-shl` and of the manifest request, over HTTP; the server keeps answering after each.
 */
import request from 'supertest';
import { decryptShlFile } from '../../src/formats/shl/jwe.ts';
import { decodeShlink } from '../../src/formats/shl/link.ts';
import { FHIR_JSON } from '../helpers/test-app.ts';
import {
  createShlApp,
  failed,
  issueShl,
  manifest,
  messageId,
  messageText,
  out,
  pathOf,
  pushDocument,
  SHL_BASE,
  stillServing,
  verify,
  type ShlApp,
} from './shl-support.ts';

let t: ShlApp;
let pushed: Record<string, unknown>;
beforeAll(async () => {
  t = await createShlApp();
  pushed = await pushDocument(t);
});
afterAll(() => t.close());

/** GET an /shl path and read the body as text (application/jose is not parsed by supertest). */
const getText = (path: string) =>
  request(t.app)
    .get(path)
    .buffer(true)
    .parse((res, done) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done(null, text));
    });

const JWE_COMPACT = /^[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/;

async function openJwe(jwe: string, shlink: string): Promise<unknown> {
  const file = await decryptShlFile(jwe, decodeShlink(shlink).key);
  expect(file.contentType).toBe('application/fhir+json');
  return JSON.parse(new TextDecoder().decode(file.content));
}

const storedFormOf = (bundle: Record<string, unknown>) =>
  expect.objectContaining({ ...bundle, meta: expect.objectContaining(bundle.meta as object) });

describe('flag U: direct file download', () => {
  let shlink: string;
  let url: string;
  beforeAll(async () => {
    const issued = await issueShl(t, [
      { name: 'flag', valueString: 'U' },
      { name: 'vhl', valueBoolean: false },
    ]);
    expect(issued.status).toBe(200);
    shlink = out(issued, 'shlink');
    url = out(issued, 'manifestUrl');
  });

  test('when a U link is fetched with GET and a recipient, then the answer is the file as a compact JWE that opens with the link key', async () => {
    expect(decodeShlink(shlink).flag).toBe('U');
    const res = await getText(`${pathOf(url)}?recipient=${encodeURIComponent('Clinic A')}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/jose/);
    expect(res.body).toMatch(JWE_COMPACT);
    expect(await openJwe(res.body as string, shlink)).toEqual(storedFormOf(pushed));
  });

  test('when a U link is fetched without a recipient, then 400 with an OperationOutcome', async () => {
    const res = await request(t.app).get(pathOf(url));
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(messageId(res)).toBe('SHL_RECIPIENT_MISSING');
    expect(messageText(res)).toBe('A direct file request names its recipient: ?recipient=…');
    expect(await stillServing(t)).toBe(200);
  });

  test('when $verify is given a U link, then the file is fetched directly and the link verifies', async () => {
    const v = await verify(t, shlink);
    expect(v.valid).toBe(true);
    expect(failed(v)).toEqual([]);
  });

  test('when a link without flag U is fetched with GET, then 400 saying to POST a manifest request', async () => {
    const other = out(await issueShl(t, [{ name: 'vhl', valueBoolean: false }]), 'manifestUrl');
    const res = await request(t.app).get(`${pathOf(other)}?recipient=x`);
    expect(res.status).toBe(400);
    expect(messageId(res)).toBe('SHL_NOT_DIRECT');
  });

  test('when flag U is asked with a passcode, then 400 with a clear error and no link', async () => {
    const res = await issueShl(t, [
      { name: 'flag', valueString: 'U' },
      { name: 'passcode', valueString: '1234' },
    ]);
    expect(res.status).toBe(400);
    expect(messageId(res)).toBe('SHL_FLAG_U_WITH_PASSCODE');
    expect(messageText(res)).toBe(
      'A link with flag U (direct file download) cannot have a passcode: U skips the manifest, where the passcode is checked',
    );
    expect(res.body.issue[0].expression).toEqual(['flag']);
    expect(await stillServing(t)).toBe(200);
  });
});

describe('manifest with embeddedLengthMax', () => {
  test('when the file is larger than embeddedLengthMax, then the manifest gives an https location under the SHL base, and GET on it returns the JWE', async () => {
    const issued = await issueShl(t, [{ name: 'vhl', valueBoolean: false }]);
    const res = await manifest(t, out(issued, 'manifestUrl'), { recipient: 'Clinic A', embeddedLengthMax: 10 });
    expect(res.status).toBe(200);
    expect(res.body.files).toHaveLength(1);
    const file = res.body.files[0] as { contentType: string; location?: string; embedded?: string };
    expect(file.embedded).toBeUndefined();
    expect(file.contentType).toBe('application/fhir+json');
    expect(file.location).toMatch(new RegExp(`^${SHL_BASE}/[\\w-]{43}/file/[\\w-]{43}$`));
    const got = await getText(pathOf(file.location!));
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toMatch(/^application\/jose/);
    expect(await openJwe(got.body as string, out(issued, 'shlink'))).toEqual(storedFormOf(pushed));
  });

  test('when the file fits embeddedLengthMax, then it is embedded', async () => {
    const issued = await issueShl(t, [{ name: 'vhl', valueBoolean: false }]);
    const res = await manifest(t, out(issued, 'manifestUrl'), { recipient: 'Clinic A', embeddedLengthMax: 10_000_000 });
    expect(res.body.files[0].embedded).toMatch(JWE_COMPACT);
    expect(res.body.files[0].location).toBeUndefined();
  });

  test('when a file location is made up, then 404', async () => {
    const url = out(await issueShl(t, [{ name: 'vhl', valueBoolean: false }]), 'manifestUrl');
    const res = await request(t.app).get(`${pathOf(url)}/file/${'A'.repeat(43)}`);
    expect(res.status).toBe(404);
    expect(messageId(res)).toBe('SHL_NOT_FOUND');
  });
});

describe('$issue-shl rejections', () => {
  test.each([
    [
      'flag "X"',
      400,
      'SHL_FLAG_INVALID',
      [{ name: 'flag', valueString: 'X' }],
      'flag holds the letters L and/or U (P follows from passcode)',
    ],
    [
      'exp in the past',
      400,
      'SHL_EXP_PAST',
      [{ name: 'exp', valueDateTime: '2020-01-01T00:00:00Z' }],
      'exp is in the past',
    ],
    [
      'a label of 81 characters',
      400,
      'SHL_LABEL_TOO_LONG',
      [{ name: 'label', valueString: 'x'.repeat(81) }],
      'label holds at most 80 characters; this one has 81',
    ],
    [
      'maxAttempts 0',
      400,
      'OPERATION_PARAM_RANGE',
      [{ name: 'maxAttempts', valueInteger: 0 }],
      'The parameter "maxAttempts" must be an integer from 1 to 100',
    ],
    [
      'a javascript: viewer URL',
      400,
      'SHL_VIEWER_URL_INVALID',
      [{ name: 'viewerUrl', valueUrl: 'javascript:alert(1)//' }],
      'viewerUrl must be an https URL (http only on localhost)',
    ],
  ])('when $issue-shl is asked with %s, then %i %s with a clear message', async (_what, status, id, params, text) => {
    const res = await issueShl(t, params);
    expect(res.status).toBe(status);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(messageId(res)).toBe(id);
    expect(messageText(res)).toBe(text);
    expect(await stillServing(t)).toBe(200);
  });

  test('when the label has 80 characters and a viewer URL is given, then the link carries the label behind the viewer and still verifies', async () => {
    const label = 'L'.repeat(80);
    const issued = await issueShl(t, [
      { name: 'label', valueString: label },
      { name: 'viewerUrl', valueUrl: 'https://viewer.example/' },
    ]);
    expect(issued.status).toBe(200);
    const shlink = out(issued, 'shlink');
    expect(shlink).toMatch(/^https:\/\/viewer\.example\/#shlink:\//);
    expect(decodeShlink(shlink).label).toBe(label);
    expect((await verify(t, shlink)).valid).toBe(true);
  });

  test('when the Bundle is not a document, then 422 and no link', async () => {
    const put = await request(t.app)
      .put('/fhir/Bundle/a-collection')
      .set('Content-Type', FHIR_JSON)
      .send(
        JSON.stringify({
          resourceType: 'Bundle',
          id: 'a-collection',
          type: 'collection',
          entry: [
            {
              fullUrl: 'urn:uuid:7c4c4a8e-5f0b-4d4c-9d0e-1f2a3b4c5d6e',
              resource: { resourceType: 'Basic', code: { text: 'x' } },
            },
          ],
        }),
      );
    expect(put.status).toBe(201);
    const res = await issueShl(t, [], 'a-collection');
    expect(res.status).toBe(422);
    expect(messageId(res)).toBe('SHL_NOT_A_DOCUMENT');
    expect(res.body.issue[0].expression).toEqual(['Bundle.type']);
  });

  test('when the Bundle id is unknown, then 404', async () => {
    const res = await issueShl(t, [], 'no-such-bundle');
    expect(res.status).toBe(404);
    expect(messageId(res)).toBe('RESOURCE_NOT_FOUND');
    expect(messageText(res)).toBe('Bundle/no-such-bundle is not known');
  });
});

describe('manifest request rejections and CORS', () => {
  let url: string;
  beforeAll(async () => {
    url = out(await issueShl(t, [{ name: 'vhl', valueBoolean: false }]), 'manifestUrl');
  });

  const post = (path: string, type: string, body: string) =>
    request(t.app).post(path).set('Content-Type', type).send(body);

  test.each([
    ['malformed JSON', 400, 'JSON_SYNTAX', 'application/json', '{"recipient":'],
    ['missing its recipient', 400, 'SHL_MANIFEST_REQUEST_INVALID', 'application/json', '{}'],
    ['a recipient that is not text', 400, 'SHL_MANIFEST_REQUEST_INVALID', 'application/json', '{"recipient":42}'],
    [
      'a negative embeddedLengthMax',
      400,
      'SHL_MANIFEST_REQUEST_INVALID',
      'application/json',
      '{"recipient":"x","embeddedLengthMax":-1}',
    ],
    ['a JSON array', 400, 'SHL_MANIFEST_REQUEST_INVALID', 'application/json', '["x"]'],
    ['bytes', 400, 'SHL_MANIFEST_REQUEST_INVALID', 'application/octet-stream', 'recipient=x'],
    ['plain text', 415, 'CONTENT_TYPE_UNSUPPORTED', 'text/plain', 'recipient=x'],
  ])(
    'when the manifest request is %s, then %i %s, with CORS, and the server keeps answering',
    async (_what, status, id, type, body) => {
      const res = await post(pathOf(url), type, body);
      expect(res.status).toBe(status);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(messageId(res)).toBe(id);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(await stillServing(t)).toBe(200);
    },
  );

  test('when the recipient is missing, then the message says recipient is required', async () => {
    expect(messageText(await post(pathOf(url), 'application/json', '{}'))).toBe(
      'SHL manifest: recipient is required (text, at most 1024 characters)',
    );
  });

  test.each([
    ['a well-formed but unknown link id', `/shl/${'A'.repeat(43)}`, 'No active SMART Health Link at this address'],
    ['a malformed link id', '/shl/not-a-link', 'No SMART Health Link here'],
  ])('when the manifest of %s is asked, then 404 SHL_NOT_FOUND with CORS', async (_what, path, text) => {
    const res = await manifest(t, `https://gateway.test${path}`, { recipient: 'x' });
    expect(res.status).toBe(404);
    expect(messageId(res)).toBe('SHL_NOT_FOUND');
    expect(messageText(res)).toBe(text);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(await stillServing(t)).toBe(200);
  });

  test('when a manifest is served, then it is open to any origin and not cached; a preflight is answered', async () => {
    const res = await manifest(t, url, { recipient: 'x' });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cache-control']).toBe('no-store');
    const preflight = await request(t.app)
      .options(pathOf(url))
      .set('Origin', 'https://viewer.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, POST');
    expect(preflight.headers['access-control-allow-headers']).toBe('Content-Type');
  });

  test('when a passcode is wrong, then the 401 carries CORS too', async () => {
    const p = out(
      await issueShl(t, [
        { name: 'passcode', valueString: 'p' },
        { name: 'vhl', valueBoolean: false },
      ]),
      'manifestUrl',
    );
    const res = await manifest(t, p, { recipient: 'x', passcode: 'q' });
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});
