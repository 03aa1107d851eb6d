/**
 * Printable certificates over HTTP (issue 15): `$issue-hcert` with `format=pdf` or `Accept: application/pdf`
 * answers a PDF; poppler renders its page and the project's QR reader finds an HC1 that `$verify` accepts, for the
 * certificate whose id and holder the page prints, in the language asked. Hostile input: 1,000-character names,
 * right-to-left scripts, bidi overrides, scripts the fonts lack; each gets a clear answer and the server stays up.
 */
import request from 'supertest';
import type { Bundle, Immunization, OperationOutcome, Parameters, Patient } from '@medplum/fhirtypes';
import { PAGE_SIZES } from '../../src/credentials/printable/certificate-pdf.ts';
import { SHEET_STRINGS } from '../../src/credentials/printable/sheet-strings.ts';
import { pdfInfo, pdfText, scanPageQr } from '../helpers/pdf-tools.ts';
import { packageExample, SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { createTestApp, FHIR_JSON, type TestApp } from '../helpers/test-app.ts';
import { ISSUER_URL, makeKeys, NOW } from '../unit/credentials/harness.ts';
import { client, messageIds, param, type Client, type Verdict } from './credential-client.ts';

const DDCC = 'who.ddcc#1.0.0.tgz';
const example = <T>(file: string): T => packageExample(DDCC, file) as T;
const PDF = 'application/pdf';

let t: TestApp;
let c: Client;

beforeAll(async () => {
  t = await createTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL },
    { now: () => NOW, issuerKeys: await makeKeys() },
  );
  c = client(t);
  await c.push(
    example<Patient>('Patient-DDCCPatientEnglish.json'),
    example<Immunization>('Immunization-DDCCImmunizationEnglish.json'),
  );
});
afterAll(() => t.close());

interface Answer {
  status: number;
  type: string;
  headers: Record<string, string>;
  bytes: Buffer;
  json?: unknown;
}

/** POST an operation and keep the raw body whatever its media type. */
async function call(
  path: string,
  parameter: Parameters['parameter'],
  headers: Record<string, string> = {},
): Promise<Answer> {
  let req = request(t.app)
    .post(`/fhir/${path}`)
    .set('Content-Type', FHIR_JSON)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
  for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
  const res = await req.send(JSON.stringify({ resourceType: 'Parameters', parameter }));
  const bytes = res.body as Buffer;
  const type = String(res.headers['content-type'] ?? '');
  return {
    status: res.status,
    type,
    headers: res.headers as Record<string, string>,
    bytes,
    ...(type.includes('json') ? { json: JSON.parse(bytes.toString('utf8')) } : {}),
  };
}

const folded = (b: Uint8Array) => pdfText(b).replace(/\s+/g, ' ');

/** The QR read from the rendered page, verified. */
async function scanned(pdf: Uint8Array): Promise<{ hc1: string; verdict: Verdict }> {
  const hc1 = scanPageQr(pdf);
  return { hc1, verdict: await c.verify(hc1) };
}

const certificateIdOf = (v: Verdict) =>
  (v.payload!.ddccVs as { certificate: { hcid: { value: string } } }[])[0]!.certificate.hcid.value;

describe('format=pdf', () => {
  let answer: Answer;
  beforeAll(async () => {
    answer = await call('Immunization/DDCCImmunizationEnglish/$issue-hcert', [{ name: 'format', valueCode: 'pdf' }]);
  });

  test('when asked, then the answer is a one-page A4 PDF in English, named after the certificate', () => {
    expect(answer.status).toBe(200);
    expect(answer.type).toBe(PDF);
    expect(answer.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(answer.headers['content-language']).toBe('en');
    expect(answer.headers['content-disposition']).toMatch(
      /^inline; filename="certificate-URN_UVCI_01_XX_[0-9A-Z]+\.pdf"$/,
    );
    const info = pdfInfo(answer.bytes);
    expect(info.Pages).toBe('1');
    expect(info['Page size']).toContain(`${PAGE_SIZES.A4[0]} x`);
  });

  test('when the page is rendered and its QR read, then $verify accepts the HC1, and the page prints its holder and certificate id', async () => {
    const { verdict } = await scanned(answer.bytes);
    expect(verdict.valid).toBe(true);
    const text = folded(answer.bytes);
    const id = certificateIdOf(verdict);
    expect(text).toContain(id);
    expect(answer.headers['content-disposition']).toContain(id.replace(/[^A-Za-z0-9_-]/g, '_'));
    expect(text).toContain((verdict.payload!.ddccVs as { name: string }[])[0]!.name);
    expect(text).toContain(SHEET_STRINGS.en.title);
  });
});

describe('content negotiation', () => {
  test('when Accept asks for application/pdf and Accept-Language prefers French, then the PDF is in French', async () => {
    const answer = await call('Immunization/DDCCImmunizationEnglish/$issue-hcert', [], {
      Accept: PDF,
      'Accept-Language': 'de-CH, fr-CA;q=0.9, en;q=0.5',
    });
    expect(answer.status).toBe(200);
    expect(answer.type).toBe(PDF);
    expect(answer.headers['content-language']).toBe('fr');
    expect(folded(answer.bytes)).toContain(SHEET_STRINGS.fr.title);
  });

  test('when format=json is given with Accept: application/pdf, then the parameter wins and the answer is Parameters', async () => {
    const answer = await call(
      'Immunization/DDCCImmunizationEnglish/$issue-hcert',
      [{ name: 'format', valueCode: 'json' }],
      {
        Accept: PDF,
      },
    );
    expect(answer.status).toBe(200);
    expect((answer.json as Parameters).resourceType).toBe('Parameters');
  });

  test('when Patient/$issue-hcert asks for letter paper in French, then the page is US Letter and its QR verifies', async () => {
    const answer = await call('Patient/DDCCPatientEnglish/$issue-hcert', [
      { name: 'format', valueCode: 'pdf' },
      { name: 'pageSize', valueCode: 'letter' },
      { name: 'language', valueCode: 'fr' },
    ]);
    expect(answer.status).toBe(200);
    expect(pdfInfo(answer.bytes)['Page size']).toContain(`${PAGE_SIZES.letter[0]} x ${PAGE_SIZES.letter[1]} pts`);
    expect((await scanned(answer.bytes)).verdict.valid).toBe(true);
  });

  test.each([
    ['language', 'de'],
    ['pageSize', 'A3'],
    ['format', 'xml'],
  ])('when %s=%s is asked, then 400 OPERATION_PARAM_CODE_UNKNOWN names the parameter', async (name, value) => {
    const answer = await call('Immunization/DDCCImmunizationEnglish/$issue-hcert', [{ name, valueCode: value }]);
    expect(answer.status).toBe(400);
    const outcome = answer.json as OperationOutcome;
    expect(messageIds(outcome)).toEqual(['OPERATION_PARAM_CODE_UNKNOWN']);
    expect(outcome.issue[0]!.expression).toEqual([name]);
  });
});

describe('in a batch', () => {
  test('when a batch entry asks $issue-hcert for format=pdf, then its response carries the PDF as a Binary and the next entry still runs', async () => {
    const entry = (format: string) => ({
      request: { method: 'POST', url: 'Immunization/DDCCImmunizationEnglish/$issue-hcert' },
      resource: { resourceType: 'Parameters', parameter: [{ name: 'format', valueCode: format }] },
    });
    const res = await c.post('', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [entry('pdf'), entry('xml'), entry('pdf')],
    });
    expect(res.status).toBe(200);
    const entries = (res.body as Bundle).entry!;
    expect(entries.map((e) => e.response!.status)).toEqual(['200 OK', '400 Bad Request', '200 OK']);
    for (const i of [0, 2]) {
      const binary = entries[i]!.resource as { resourceType: string; contentType: string; data: string };
      expect(binary.resourceType).toBe('Binary');
      expect(binary.contentType).toBe(PDF);
      const pdf = Buffer.from(binary.data, 'base64');
      expect(pdfInfo(pdf).Pages).toBe('1');
    }
  });
});

describe('hostile names', () => {
  const provenanceCount = async () => ((await c.get('Provenance?_summary=count')).body as Bundle).total ?? Number.NaN;

  async function printFor(id: string, name: Patient['name']): Promise<Answer> {
    const patient = { ...example<Patient>('Patient-DDCCPatientEnglish.json'), id, name };
    const imm = { ...example<Immunization>('Immunization-DDCCImmunizationEnglish.json'), id: `imm-${id}` };
    imm.patient = { reference: `Patient/${id}` };
    await c.push(patient, imm);
    return call(`Immunization/imm-${id}/$issue-hcert`, [{ name: 'format', valueCode: 'pdf' }]);
  }

  test('when the name has 1,000 characters, then the page shows its start, says it is shortened, and the QR holds it whole', async () => {
    const words = ['Aulus', 'Agerius', 'Maximilianus', 'de', 'la', 'Torre', 'Wolfeschlegelsteinhausen'];
    const name = Array.from({ length: 200 }, (_, i) => words[i % words.length])
      .join(' ')
      .slice(0, 1000)
      .trim();
    expect(name.length).toBeGreaterThanOrEqual(999);
    const answer = await printFor('long-name', [{ use: 'official', text: name }]);
    expect(answer.status).toBe(200);
    const text = folded(answer.bytes);
    expect(text).toContain(SHEET_STRINGS.en.shortened);
    expect(text).toContain(name.slice(0, 40));
    expect(text).not.toContain(name);
    const { verdict } = await scanned(answer.bytes);
    expect(verdict.valid).toBe(true);
    expect((verdict.payload!.ddccVs as { name: string }[])[0]!.name).toBe(name);
  });

  test('when a structured family name has 1,000 characters, then the EU DCC is left out with a warning, never shortened, and the certificate verifies', async () => {
    const parts = ['Müller', 'Lüdenscheidt', 'Schmidt', 'Wolfeschlegelsteinhausen', 'Bergmann'];
    const family = Array.from({ length: 100 }, (_, i) => parts[i % parts.length])
      .join('-')
      .slice(0, 1000)
      .replace(/-$/, '');
    expect(family.length).toBeGreaterThanOrEqual(999);
    // DDCCPatient's ddccName slice asks for the text too.
    const name = [{ use: 'official' as const, text: `Anna ${family}`, family, given: ['Anna'] }];
    const json = await printFor('long-family', name).then(() =>
      c.post('Immunization/imm-long-family/$issue-hcert', c.parameters([{ name: 'qrFormat', valueCode: 'none' }])),
    );
    expect(json.status).toBe(200);
    const warnings = param(json.body as Parameters, 'warnings')!.resource as OperationOutcome;
    expect(messageIds(warnings)).toContain('HCERT_EU_DCC_OMITTED_NAME_TOO_LONG');
    const verdict = await c.verify(param(json.body as Parameters, 'hc1')!.valueString!);
    expect(verdict.valid).toBe(true);
    expect(verdict.payload!.euDcc).toBeUndefined();
    expect((verdict.payload!.ddccVs as { name: string }[])[0]!.name).toBe(`Anna ${family}`);
    // The printed form of the same record: cut on paper, whole in its QR.
    const pdf = await call('Immunization/imm-long-family/$issue-hcert', [{ name: 'format', valueCode: 'pdf' }]);
    expect(pdf.status).toBe(200);
    expect(folded(pdf.bytes)).toContain(SHEET_STRINGS.en.shortened);
    expect((await scanned(pdf.bytes)).verdict.valid).toBe(true);
  });

  test.each([
    ['Arabic', 'محمد بن عبد الله (الثاني) 1990'],
    ['Hebrew', 'שרה בת אברהם'],
    ['Arabic with Latin', 'Ali محمد Agerius'],
  ])('when the name is %s, then the PDF carries it, its QR verifies and holds it as written', async (_script, name) => {
    const answer = await printFor(`rtl-${_script.replace(/\W/g, '')}`, [{ use: 'official', text: name }]);
    expect(answer.status).toBe(200);
    const text = folded(answer.bytes).normalize('NFKC');
    for (const word of name.replace(/[()]/g, '').split(' ')) expect(text).toContain(word);
    const { verdict } = await scanned(answer.bytes);
    expect(verdict.valid).toBe(true);
    expect((verdict.payload!.ddccVs as { name: string }[])[0]!.name).toBe(name);
  });

  test('when the name hides a right-to-left override, then the page prints the name without it', async () => {
    const answer = await printFor('override', [{ use: 'official', text: 'Aulus \u202eAgerius\u202c' }]);
    expect(answer.status).toBe(200);
    expect(folded(answer.bytes)).toContain('Aulus Agerius');
  });

  test('when the name is in a script the fonts lack, then 422 PDF_CHARACTERS_UNSUPPORTED, nothing is issued, and the server goes on', async () => {
    const before = await provenanceCount();
    const chinese = example<Patient>('Patient-DDCCPatientChinese.json');
    const answer = await printFor('cjk', chinese.name);
    expect(answer.status).toBe(422);
    const outcome = answer.json as OperationOutcome;
    expect(messageIds(outcome)).toEqual(['PDF_CHARACTERS_UNSUPPORTED']);
    expect(outcome.issue[0]!.expression).toEqual(['Patient.name']);
    expect(outcome.issue[0]!.details!.text).toMatch(/U\+[0-9A-F]{4}/);
    expect(await provenanceCount()).toBe(before);
    // The same record still gets its certificate as JSON.
    const json = await c.post(
      'Immunization/imm-cjk/$issue-hcert',
      c.parameters([{ name: 'qrFormat', valueCode: 'none' }]),
    );
    expect(json.status).toBe(200);
    expect(param(json.body as Parameters, 'hc1')!.valueString).toMatch(/^HC1:/);
    expect(await provenanceCount()).toBe(before + 1);
  });
});
