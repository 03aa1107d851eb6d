/**
 * `gdhcn-gateway rules test`: a rule file tried on certificates of the EU DCC corpus (../shared/corpus, kind hcert)
 * before deployment — one credential as text, a folder of credential files — printing each rule's result.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.ts';
import { rule } from '../helpers/rules.ts';

interface Vector {
  id: string;
  qr: string;
  payload?: { v?: unknown[]; t?: unknown[] };
}
const CORPUS = join(process.cwd(), '..', 'shared', 'corpus');
const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as {
  files: { kind: string; file: string }[];
};
const vectors = manifest.files
  .filter((f) => f.kind === 'hcert')
  .flatMap((f) => (JSON.parse(readFileSync(join(CORPUS, f.file), 'utf8')) as { cases: Vector[] }).cases);
const czVaccination = vectors.find((v) => v.id === 'CZ:2DCode:raw:1')!;
const aeTest = vectors.find((v) => v.id === 'AE:2DCode:raw:test')!;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rules-cli-'));
  writeFileSync(
    join(dir, 'rules.json'),
    JSON.stringify({
      rules: [
        rule({ Identifier: 'VR-DE-0001', Logic: { '===': [{ var: 'payload.v.0.dn' }, { var: 'payload.v.0.sd' }] } }),
        rule({
          Identifier: 'VR-FR-0001',
          Country: 'FR',
          Logic: { '===': [{ var: 'payload.v.0.dn' }, 3] },
          Description: [{ lang: 'en', desc: 'A booster dose is required.' }],
        }),
        rule({
          Identifier: 'IR-CZ-0001',
          Type: 'Invalidation',
          Country: 'CZ',
          CertificateType: 'General',
          Logic: { bogus: [1] },
          Description: [{ lang: 'en', desc: 'Broken rule.' }],
        }),
      ],
    }),
  );
  writeFileSync(join(dir, 'broken-rules.json'), JSON.stringify([rule({ Engine: 'OTHER' })]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await runCli(args, {}, (s) => (text += s));
  return { code, text };
}

describe('rules test (CLI)', () => {
  test('when a vaccination certificate is tried for every country of the file, then each rule result is printed and open rules make the exit 1', async () => {
    const { code, text } = await cli([
      'rules',
      'test',
      join(dir, 'rules.json'),
      czVaccination.qr,
      '--clock',
      '2021-06-08T00:00:00Z',
    ]);
    expect(text).toBe(
      `${join(dir, 'rules.json')}: 3 rule(s), 0 value set(s), unsigned\n` +
        'argument: issuer CZ, clock 2021-06-08T00:00:00.000Z\n' +
        '  arrival DE: FAIL\n' +
        '    OPEN IR-CZ-0001 v1.0.0 Invalidation General: Broken rule. [invalid CertLogic: unrecognised operator: "bogus"]\n' +
        '    PASS VR-DE-0001 v1.0.0 Acceptance Vaccination: The vaccination schedule must be complete.\n' +
        '  arrival FR: FAIL\n' +
        '    OPEN IR-CZ-0001 v1.0.0 Invalidation General: Broken rule. [invalid CertLogic: unrecognised operator: "bogus"]\n' +
        '    FAIL VR-FR-0001 v1.0.0 Acceptance Vaccination: A booster dose is required.\n',
    );
    expect(code).toBe(1);
  });

  test('when a folder of credential files is tried for one country, then every file gets its lines and German descriptions when asked', async () => {
    const folder = mkdtempSync(join(dir, 'folder-'));
    writeFileSync(join(folder, 'a-vaccination.txt'), czVaccination.qr);
    writeFileSync(join(folder, 'b-test.json'), JSON.stringify({ PREFIX: aeTest.qr }));
    const rules = join(dir, 'de-only.json');
    writeFileSync(rules, JSON.stringify([rule()]));
    const { code, text } = await cli([
      'rules',
      'test',
      rules,
      folder,
      '--country',
      'DE',
      '--clock',
      '2021-10-10T18:00:00+0400',
      '--lang',
      'de',
    ]);
    expect(text.split('\n')).toEqual([
      `${rules}: 1 rule(s), 0 value set(s), unsigned`,
      `${join(folder, 'a-vaccination.txt')}: issuer CZ, clock 2021-10-10T14:00:00.000Z`,
      '  arrival DE: PASS',
      '    PASS VR-DE-0001 v1.0.0 Acceptance Vaccination: Die Impfserie muss vollständig sein.',
      `${join(folder, 'b-test.json')}: issuer AE, clock 2021-10-10T14:00:00.000Z`,
      '  arrival DE: SKIPPED (No business rules of DE (acceptance) or AE (invalidation) for Test certificates are in force at 2021-10-10T14:00:00.000Z)',
      '',
    ]);
    expect(code).toBe(0);
  });

  test('when the rule file holds a rule off the schema, then it is listed as refused and the exit is 1', async () => {
    const { code, text } = await cli([
      'rules',
      'test',
      join(dir, 'broken-rules.json'),
      czVaccination.qr,
      '--country',
      'DE',
      '--clock',
      '2021-06-08T00:00:00Z',
    ]);
    expect(text).toContain('  REFUSED rules[0] (VR-DE-0001): Engine must be CERTLOGIC, not "OTHER"\n');
    expect(code).toBe(1);
  });

  test('when the clock has no offset or the country is lower case, then the command line is refused (exit 2) with the reason', async () => {
    const a = await cli(['rules', 'test', join(dir, 'rules.json'), czVaccination.qr, '--clock', '2021-06-08T00:00:00']);
    expect(a.code).toBe(2);
    expect(a.text).toMatch(
      /^--clock: "2021-06-08T00:00:00" is not a validation clock: it has no UTC offset \(add Z, ±hh:mm or ±hhmm\)/,
    );
    const b = await cli(['rules', 'test', join(dir, 'rules.json'), czVaccination.qr, '--country', 'de']);
    expect(b.code).toBe(2);
    expect(b.text).toMatch(/^--country must be an ISO 3166-1 alpha-2 code, got "de"/);
  });
});
