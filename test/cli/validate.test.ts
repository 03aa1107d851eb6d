/**
 * `gdhcn-gateway validate`, called in-process (packages load once for the file): reports, formats, options,
 * unreadable files and command-line errors. The bin script's exit codes are in validate-bin.test.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { formatTextReport } from '../../src/cli/report-text.ts';
import { buildValidationReport, packageSources, parseValidateArgs } from '../../src/cli/validate.ts';
import {
  BROKEN,
  brokenExpectations,
  DDCC_TGZ,
  inProcess,
  memoisedLoader,
  REPO,
  SHARED_PACKAGES,
  tempDir,
  testEnv,
  writeExamples,
} from './validate-support.ts';

const load = memoisedLoader();
const cli = inProcess(load);
const DDCC = 'http://smart.who.int/ddcc/StructureDefinition/DDCCPatient';

function writeFiles(files: Record<string, string>): string {
  const dir = tempDir('cli-files-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('validate: examples and broken variants', () => {
  test('when every who.ddcc example is validated from a folder, then each one succeeds and the exit code is 0', async () => {
    const { dir, files } = writeExamples(await load({ dirs: [join(REPO, SHARED_PACKAGES)] }), 'who.ddcc');
    const res = await cli([dir]);
    expect(res.code).toBe(0);
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(res.stdout.match(/^Success: 0 errors, /gm)).toHaveLength(files.length);
    expect(res.stdout).not.toContain('*FAILURE*');
    expect(res.stdout).toMatch(new RegExp(`^Total: ${files.length} files \\(0 with errors\\): 0 errors, `, 'm'));
    // Sorted, as promised for folders.
    const order = [...res.stdout.matchAll(/^-- (.*) -+$/gm)].map((m) => m[1].split('/').pop());
    expect(order).toEqual(files);
  });

  test('when the broken variants are validated, then each file lists its expected message ids at their expressions and the exit code is 1', async () => {
    const variants = brokenExpectations();
    const res = await cli([...variants.map((v) => join(BROKEN, `${v.name}.json`)), '--format', 'json']);
    expect(res.code).toBe(1);
    const results = JSON.parse(res.stdout) as { file: string; outcome: OperationOutcome }[];
    expect(results.map((r) => r.file)).toEqual(variants.map((v) => join(BROKEN, `${v.name}.json`)));
    results.forEach((r, i) => {
      const errors = r.outcome.issue
        .filter((x) => x.severity === 'error')
        .map((x) => `${x.details?.coding?.[0]?.code} @ ${x.expression?.[0]}`);
      expect(errors.sort()).toEqual(variants[i].errors.map(([id, expr]) => `${id} @ ${expr}`).sort());
    });
  });

  test('when one broken variant is validated, then the text report matches the snapshot', async () => {
    const res = await cli(
      [join(BROKEN, 'imm-extension-value-and-children.json'), '--ig', DDCC_TGZ],
      testEnv({ FHIR_PACKAGES: '' }),
    );
    expect(res.code).toBe(1);
    expect(res.stdout).toMatchSnapshot();
  });
});

describe('validate: text report shape', () => {
  test('when a file has errors and warnings, then they are grouped under severity headings, errors first, with the summary line', async () => {
    const res = await cli([join(BROKEN, 'imm-extension-value-and-children.json')]);
    const section = res.stdout.slice(res.stdout.indexOf('-- test/fixtures'));
    expect(section).toMatch(/^\*FAILURE\*: 2 errors, 1 warning, \d+ notes?$/m);
    expect(section.indexOf('Errors (2):')).toBeLessThan(section.indexOf('Warnings (1):'));
    expect(section).toContain('  Immunization.extension[1].extension[0]  [EXTENSION_UNKNOWN]');
    expect(section).toContain(
      'Profiles: http://hl7.org/fhir/StructureDefinition/Immunization\n          http://smart.who.int/ddcc/StructureDefinition/DDCCImmunization',
    );
  });

  test('when --profile names a profile, then the resource is checked against it and the header lists it', async () => {
    const dir = writeFiles({ 'patient.json': JSON.stringify({ resourceType: 'Patient', id: 'p1', gender: 'female' }) });
    const plain = await cli([join(dir, 'patient.json')]);
    expect(plain.code).toBe(0);
    const profiled = await cli([join(dir, 'patient.json'), '--profile', DDCC]);
    expect(profiled.code).toBe(1);
    expect(profiled.stdout).toContain(`          ${DDCC}\n*FAILURE*`);
    expect(profiled.stdout).toMatch(/Patient {2}\[CARDINALITY_MIN\]/);
  });

  test('when --profile names a profile that is not loaded, then exit code 2 naming it, never a silent pass', async () => {
    const dir = writeFiles({ 'patient.json': JSON.stringify({ resourceType: 'Patient', id: 'p1' }) });
    const res = await cli([join(dir, 'patient.json'), '--profile', 'http://example.org/StructureDefinition/nowhere']);
    expect(res.code).toBe(2);
    expect(res.stdout).toContain(
      '--profile http://example.org/StructureDefinition/nowhere: not loaded (no loaded package defines it)',
    );
  });

  test('when a meta.profile claim is not loaded, then the report shows a warning naming it', async () => {
    const claim = 'http://example.org/StructureDefinition/elsewhere';
    const dir = writeFiles({
      'patient.json': JSON.stringify({ resourceType: 'Patient', id: 'p1', meta: { profile: [claim] } }),
    });
    const res = await cli([join(dir, 'patient.json')]);
    expect(res.stdout).toContain(`          ${claim}\nSuccess:`);
    expect(res.stdout).toMatch(
      new RegExp(
        `Warnings \\(\\d+\\):[\\s\\S]*\\[PROFILE_UNKNOWN\\]\\n +Profile ${claim.replace(/[./]/g, '\\$&')} is not known`,
      ),
    );
  });
});

describe('validate: files that are not resources', () => {
  test('when a folder holds a non-JSON file, a JSON array, a duplicate key and a good resource, then each bad one is an error of its own and the good one still passes', async () => {
    const dir = writeFiles({
      'a-not-json.json': 'this is not JSON',
      'b-array.json': '[1, 2]',
      'c-duplicate.json': '{"resourceType":"Patient","id":"x","id":"y"}',
      'd-good.json': JSON.stringify({ resourceType: 'Patient', id: 'ok' }),
      'notes.txt': 'ignored: not *.json',
    });
    const res = await cli([dir, '--format', 'json']);
    expect(res.code).toBe(1);
    const results = JSON.parse(res.stdout) as { file: string; outcome: OperationOutcome }[];
    expect(results.map((r) => r.file.split('/').pop())).toEqual([
      'a-not-json.json',
      'b-array.json',
      'c-duplicate.json',
      'd-good.json',
    ]);
    const first = (i: number) => results[i].outcome.issue[0];
    expect(first(0).details?.coding?.[0]?.code).toBe('JSON_SYNTAX');
    expect(first(0).details?.text).toMatch(/^The body is not valid JSON: /);
    expect(first(1)).toMatchObject({
      severity: 'fatal',
      details: {
        coding: [{ code: 'CLI_NOT_A_RESOURCE' }],
        text: 'The file does not hold a FHIR resource: expected a JSON object with a resourceType',
      },
    });
    expect(first(2).details?.coding?.[0]?.code).toBe('JSON_DUPLICATE_KEY');
    expect(results[3].outcome.issue.filter((x) => x.severity === 'error')).toEqual([]);
  });

  test('when a file is not a resource, then the text report shows it as a failure with the message id', async () => {
    const dir = writeFiles({ 'x.json': '"just a string"' });
    const res = await cli([join(dir, 'x.json')]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(
      '*FAILURE*: 1 error, 0 warnings, 0 notes\nErrors (1):\n  (no location)  [CLI_NOT_A_RESOURCE]\n      The file does not hold a FHIR resource',
    );
  });
});

describe('validate: output and formats', () => {
  test('when --output is given, then the report goes to the file and standard output says where, with the total', async () => {
    const out = join(tempDir('cli-out-'), 'report.txt');
    const res = await cli([join(BROKEN, 'imm-bad-id.json'), '--output', out]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^Total: 1 file \(1 with errors\): 1 error, 0 warnings, \d+ notes?\nReport written to /);
    expect(res.stdout.endsWith(`Report written to ${out}\n`)).toBe(true);
    expect(readFileSync(out, 'utf8')).toContain('[PRIMITIVE_FORMAT]');
  });

  test("when a folder is reported as text or JSON, written file by file, then the output is the whole-report formatters' byte for byte", async () => {
    const args = [...brokenExpectations().map((v) => join(BROKEN, `${v.name}.json`))];
    const ctx = { env: testEnv(), cwd: REPO, out: () => {}, load };
    const report = await buildValidationReport(parseValidateArgs(args), ctx);
    expect(report.files.length).toBe(args.length);
    expect((await cli(args)).stdout).toBe(formatTextReport(report));
    const json = `${JSON.stringify(
      report.files.map((f) => ({ file: f.file, outcome: f.outcome })),
      null,
      2,
    )}\n`;
    expect((await cli([...args, '--format', 'json'])).stdout).toBe(json);
    const out = join(tempDir('cli-out-'), 'report.json');
    await cli([...args, '--format', 'json', '--output', out]);
    expect(readFileSync(out, 'utf8')).toBe(json);
  });

  test('when --format html is asked, then one HTML document is printed with the issues in it', async () => {
    const res = await cli([join(BROKEN, 'imm-bad-id.json'), '--format', 'html']);
    expect(res.stdout.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(res.stdout).toContain('<code>PRIMITIVE_FORMAT</code>');
    expect(res.stdout).not.toMatch(/<script|<link|src=/i);
  });
});

describe('validate: the command line', () => {
  test.each([
    [[], 'validate needs at least one file or folder'],
    [['x.json', '--format', 'xml'], '--format must be one of text, json, html, got "xml"'],
    [['x.json', '--frobnicate'], "Unknown option '--frobnicate'"],
    [['does-not-exist.json'], 'does-not-exist.json: no such file or folder'],
    [[BROKEN, '--ig', 'missing.tgz'], '--ig missing.tgz: no such file or folder'],
  ])('when the arguments are %j, then exit code 2 with the reason and the usage', async (args, reason) => {
    const res = await cli(args);
    expect(res.code).toBe(2);
    expect(res.stdout).toContain(reason);
    expect(res.stdout).toContain('usage: gdhcn-gateway validate <file|dir>...');
  });

  test('when a folder holds no *.json file, then exit code 2 and the folder is named', async () => {
    const dir = tempDir('cli-empty-');
    mkdirSync(join(dir, 'sub'));
    const res = await cli([dir]);
    expect(res.code).toBe(2);
    expect(res.stdout).toContain(`${dir}: no *.json files in this folder`);
  });

  test('when --help is given, then the usage and exit code 0', async () => {
    const res = await cli(['--help']);
    expect(res).toEqual({
      code: 0,
      stdout: expect.stringContaining('exit codes: 0 no errors, 1 some file has errors, 2 bad command line'),
    });
  });

  test('when FHIR_PACKAGES lists a file and folders, then package files, package folders, ./ig/packages and the cache are told apart', () => {
    const cwd = tempDir('cli-cwd-');
    mkdirSync(join(cwd, 'ig', 'packages'), { recursive: true });
    mkdirSync(join(cwd, 'one', 'package'), { recursive: true });
    writeFileSync(join(cwd, 'one', 'package', 'package.json'), '{}');
    mkdirSync(join(cwd, 'many'));
    writeFileSync(join(cwd, 'a.tgz'), '');
    const args = parseValidateArgs(['x.json', '--ig', 'a.tgz', '--ig', 'one']);
    const sources = packageSources(args, {
      env: { FHIR_PACKAGES: `many:${join(cwd, 'a.tgz')}::`, HOME: '/home/u' },
      cwd,
      out: () => undefined,
    });
    expect(sources).toEqual({
      files: [join(cwd, 'a.tgz'), join(cwd, 'one'), join(cwd, 'a.tgz')],
      dirs: [join(cwd, 'many'), join(cwd, 'ig', 'packages')],
      cacheDir: '/home/u/.fhir/packages',
    });
    const withCache = packageSources(parseValidateArgs(['x.json']), {
      env: { FHIR_PACKAGE_CACHE: '/c' },
      cwd: REPO,
      out: () => undefined,
    });
    expect(withCache.cacheDir).toBe('/c');
  });
});
