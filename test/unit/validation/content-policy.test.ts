/** The content rules a validator may be asked for (ValidatorOptions), off by default as in the HL7 validator. */
import { readBaseR4 } from '../../../src/packages/base-r4.ts';
import { createValidator } from '../../../src/validation/validator.ts';

const set = { packages: [readBaseR4()], summaries: [], warnings: [] };
const lenient = createValidator(set);
const strict = createValidator(set, { allowExampleUrls: false, allowHtmlInMarkdown: false });
const idsOf = (v: typeof lenient, r: unknown) =>
  v
    .validate(r)
    .issue.filter((i) => i.severity === 'error')
    .map((i) => [i.details?.coding?.[0]?.code, i.expression?.[0]]);

const patient = {
  resourceType: 'Patient',
  birthDate: '2000-01-01',
  _birthDate: { extension: [{ url: 'http://example.org/fhir/StructureDefinition/something', valueString: 'x' }] },
};
const communication = { resourceType: 'Communication', status: 'completed', note: [{ text: 'see <b>this</b>' }] };

describe('content policy options', () => {
  test('when example URLs are allowed (the default), then an example.org extension is not an error', () => {
    expect(idsOf(lenient, patient)).toEqual([]);
  });

  test('when example URLs are not allowed, then the URL and the unknown extension are errors', () => {
    expect(idsOf(strict, patient)).toEqual([
      ['EXTENSION_UNKNOWN', 'Patient.birthDate.extension[0]'],
      ['EXAMPLE_URL_NOT_ALLOWED', 'Patient.birthDate.extension[0].url'],
    ]);
  });

  test('when HTML in markdown is not allowed, then a tag in markdown is an error; by default it is not', () => {
    expect(idsOf(lenient, communication)).toEqual([]);
    expect(idsOf(strict, communication)).toEqual([['MARKDOWN_HTML', 'Communication.note[0].text']]);
  });
});
