/**
 * QuestionnaireResponse checked against its Questionnaire: the DDCC core data set Questionnaire and its example
 * response from the real who.ddcc package, and small Questionnaires for each rule.
 */
import type { OperationOutcome } from '@medplum/fhirtypes';
import { readBaseR4 } from '../../../src/packages/base-r4.ts';
import type { AnyResource, PackageSet } from '../../../src/packages/types.ts';
import { createValidator, type Validator } from '../../../src/validation/validator.ts';
import { sharedPackages } from './shared-packages.ts';

const Q_URL = 'http://example.org/Questionnaire/rules';

const questionnaire: AnyResource = {
  resourceType: 'Questionnaire',
  url: Q_URL,
  status: 'active',
  item: [
    {
      linkId: 'name',
      type: 'string',
      required: true,
      maxLength: 5,
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/minLength', valueInteger: 2 }],
    },
    {
      linkId: 'age',
      type: 'integer',
      extension: [
        { url: 'http://hl7.org/fhir/StructureDefinition/minValue', valueInteger: 0 },
        { url: 'http://hl7.org/fhir/StructureDefinition/maxValue', valueInteger: 150 },
      ],
    },
    {
      linkId: 'colour',
      type: 'choice',
      repeats: true,
      answerOption: [
        { valueCoding: { system: 'http://example.org/c', code: 'red' } },
        {
          valueCoding: { system: 'http://example.org/c', code: 'none' },
          extension: [
            { url: 'http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive', valueBoolean: true },
          ],
        },
      ],
    },
    { linkId: 'smoker', type: 'boolean' },
    {
      linkId: 'packs',
      type: 'decimal',
      required: true,
      enableWhen: [{ question: 'smoker', operator: '=', answerBoolean: true }],
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces', valueInteger: 1 }],
    },
    { linkId: 'info', type: 'display', text: 'Thank you' },
    {
      linkId: 'doctor',
      type: 'reference',
      extension: [
        { url: 'http://hl7.org/fhir/StructureDefinition/questionnaire-referenceResource', valueCode: 'Practitioner' },
      ],
    },
    {
      linkId: 'weight',
      type: 'quantity',
      extension: [
        {
          url: 'http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption',
          valueCoding: { system: 'http://unitsofmeasure.org', code: 'kg' },
        },
      ],
    },
  ],
};

function response(items: unknown[], status = 'completed'): AnyResource {
  return {
    resourceType: 'QuestionnaireResponse',
    questionnaire: Q_URL,
    status,
    ...(items.length > 0 ? { item: items } : {}),
  };
}

const warns = (o: OperationOutcome) =>
  (o.issue ?? []).filter((i) => i.severity === 'warning').map((i) => [i.details?.coding?.[0]?.code, i.expression?.[0]]);
const codes = (o: OperationOutcome) =>
  (o.issue ?? []).filter((i) => i.severity === 'error').map((i) => [i.details?.coding?.[0]?.code, i.expression?.[0]]);

let validator: Validator;
beforeAll(() => {
  const set: PackageSet = {
    packages: [
      readBaseR4(),
      {
        id: 'test.qr',
        version: '0.0.0',
        fhirVersion: '4.0.1',
        dependencies: {},
        resources: [questionnaire],
        examples: [],
        source: 'test',
      },
    ],
    summaries: [],
    warnings: [],
  };
  validator = createValidator(set);
});

const name = { linkId: 'name', answer: [{ valueString: 'Ana' }] };

describe('QuestionnaireResponse against its Questionnaire', () => {
  test('when every answer fits its item, then there is no error', () => {
    const qr = response([
      name,
      { linkId: 'age', answer: [{ valueInteger: 40 }] },
      { linkId: 'colour', answer: [{ valueCoding: { system: 'http://example.org/c', code: 'red' } }] },
      { linkId: 'smoker', answer: [{ valueBoolean: true }] },
      { linkId: 'packs', answer: [{ valueDecimal: 1.5 }] },
      { linkId: 'doctor', answer: [{ valueReference: { reference: 'Practitioner/1' } }] },
      { linkId: 'weight', answer: [{ valueQuantity: { value: 70, system: 'http://unitsofmeasure.org', code: 'kg' } }] },
    ]);
    expect(codes(validator.validate(qr))).toEqual([]);
  });

  test('when a linkId is not in the Questionnaire, then QR_LINKID_UNKNOWN names the level', () => {
    expect(codes(validator.validate(response([name, { linkId: 'nope', answer: [{ valueString: 'x' }] }])))).toEqual([
      ['QR_LINKID_UNKNOWN', 'QuestionnaireResponse'],
    ]);
  });

  test('when a required item has no answer in a completed response, then QR_REQUIRED_MISSING; in progress, then nothing', () => {
    expect(codes(validator.validate(response([])))).toEqual([['QR_REQUIRED_MISSING', 'QuestionnaireResponse']]);
    expect(codes(validator.validate(response([], 'in-progress')))).toEqual([]);
  });

  test('when enableWhen is met, then its required item must be answered; when not met, then it must not be', () => {
    expect(codes(validator.validate(response([name, { linkId: 'smoker', answer: [{ valueBoolean: true }] }])))).toEqual(
      [['QR_REQUIRED_MISSING', 'QuestionnaireResponse']],
    );
    const answeredWhileDisabled = response([
      name,
      { linkId: 'smoker', answer: [{ valueBoolean: false }] },
      { linkId: 'packs', answer: [{ valueDecimal: 1 }] },
    ]);
    expect(codes(validator.validate(answeredWhileDisabled))).toEqual([
      ['QR_ANSWER_NOT_ENABLED', 'QuestionnaireResponse.item[2]'],
    ]);
  });

  test('when an answer has the wrong type, then QR_ANSWER_TYPE at the value', () => {
    expect(codes(validator.validate(response([name, { linkId: 'age', answer: [{ valueString: '40' }] }])))).toEqual([
      ['QR_ANSWER_TYPE', 'QuestionnaireResponse.item[1].answer[0].value.ofType(string)'],
    ]);
  });

  test('when a non-repeating item has two answers, then QR_ITEM_REPEATED', () => {
    expect(
      codes(
        validator.validate(response([{ linkId: 'name', answer: [{ valueString: 'Ana' }, { valueString: 'Bo' }] }])),
      ),
    ).toEqual([['QR_ITEM_REPEATED', 'QuestionnaireResponse.item[0]']]);
  });

  test('when lengths and values break their limits, then each limit is reported', () => {
    const qr = response([
      { linkId: 'name', answer: [{ valueString: 'Annabelle' }] },
      { linkId: 'age', answer: [{ valueInteger: 200 }] },
      { linkId: 'smoker', answer: [{ valueBoolean: true }] },
      { linkId: 'packs', answer: [{ valueDecimal: 1.25 }] },
    ]);
    expect(codes(validator.validate(qr))).toEqual([
      ['QR_ANSWER_TOO_LONG', 'QuestionnaireResponse.item[0].answer[0].value.ofType(string)'],
      ['QR_ANSWER_ABOVE_MAX', 'QuestionnaireResponse.item[1].answer[0].value.ofType(integer)'],
      ['QR_ANSWER_DECIMAL_PLACES', 'QuestionnaireResponse.item[3].answer[0].value.ofType(decimal)'],
    ]);
    expect(
      codes(
        validator.validate(
          response([
            { linkId: 'name', answer: [{ valueString: 'A' }] },
            { linkId: 'age', answer: [{ valueInteger: -1 }] },
          ]),
        ),
      ),
    ).toEqual([
      ['QR_ANSWER_TOO_SHORT', 'QuestionnaireResponse.item[0].answer[0].value.ofType(string)'],
      ['QR_ANSWER_BELOW_MIN', 'QuestionnaireResponse.item[1].answer[0].value.ofType(integer)'],
    ]);
  });

  test('when an answer is not an option or is an exclusive option among others, then it is reported', () => {
    const notAnOption = response([
      name,
      { linkId: 'colour', answer: [{ valueCoding: { system: 'http://example.org/c', code: 'blue' } }] },
    ]);
    expect(codes(validator.validate(notAnOption))).toEqual([
      ['QR_ANSWER_NOT_IN_OPTIONS', 'QuestionnaireResponse.item[1].answer[0].value.ofType(Coding)'],
    ]);
    const exclusive = response([
      name,
      {
        linkId: 'colour',
        answer: [
          { valueCoding: { system: 'http://example.org/c', code: 'red' } },
          { valueCoding: { system: 'http://example.org/c', code: 'none' } },
        ],
      },
    ]);
    expect(codes(validator.validate(exclusive))).toEqual([
      ['QR_ANSWER_EXCLUSIVE', 'QuestionnaireResponse.item[1].answer[1]'],
    ]);
  });

  test('when display items carry answers, references name other types or units are not allowed, then each is reported', () => {
    const qr = response([
      name,
      { linkId: 'info', answer: [{ valueString: 'x' }] },
      { linkId: 'doctor', answer: [{ valueReference: { reference: 'Patient/1' } }] },
      {
        linkId: 'weight',
        answer: [{ valueQuantity: { value: 150, system: 'http://unitsofmeasure.org', code: '[lb_av]' } }],
      },
    ]);
    expect(codes(validator.validate(qr))).toEqual([
      ['QR_ANSWER_NOT_ALLOWED', 'QuestionnaireResponse.item[1]'],
      ['QR_REFERENCE_TYPE_NOT_ALLOWED', 'QuestionnaireResponse.item[2].answer[0].value.ofType(Reference)'],
      ['QR_ANSWER_UNIT', 'QuestionnaireResponse.item[3].answer[0].value.ofType(Quantity)'],
    ]);
  });

  test('when the questionnaire canonical names another resource type, then QR_QUESTIONNAIRE_WRONG_TYPE', () => {
    const qr = { ...response([]), questionnaire: 'http://hl7.org/fhir/ValueSet/administrative-gender' };
    expect(codes(validator.validate(qr))).toEqual([
      ['QR_QUESTIONNAIRE_WRONG_TYPE', 'QuestionnaireResponse.questionnaire'],
    ]);
  });

  test('when items are malformed (not objects, no linkId, answer not an array), then there are issues and no exception', () => {
    const qr = response([7, { answer: 'x' }, { linkId: 'name', answer: { valueString: 'Ana' } }]);
    expect(() => validator.validate(qr)).not.toThrow();
    expect(codes(validator.validate(qr)).length).toBeGreaterThan(0);
  });
});

describe('the DDCC core data set Questionnaire (who.ddcc#1.0.0)', () => {
  let ddcc: Validator;
  let example: AnyResource;
  beforeAll(async () => {
    const set = await sharedPackages();
    ddcc = createValidator(set);
    const pkg = set.packages.find((p) => p.id === 'who.ddcc');
    example = pkg!.examples.find(
      (e) => e.file === 'QuestionnaireResponse-DDCCVSQuestionnaireResponseExample.json',
    )!.resource;
  });
  const qrIssues = (o: OperationOutcome) => codes(o).filter(([c]) => String(c).startsWith('QR_'));

  test('when its example response is checked, then no answer breaks the Questionnaire', () => {
    expect(example.questionnaire).toBe('http://smart.who.int/ddcc/DDCCVSCoreDataSetQuestionnaire');
    expect(qrIssues(ddcc.validate(example))).toEqual([]);
  });

  test('when the vaccine lot is missing or the dose is text, then the required and type rules fire', () => {
    const items = (example.item as { linkId: string }[])
      .filter((i) => i.linkId !== 'lot')
      .map((i) => (i.linkId === 'dose' ? { linkId: 'dose', answer: [{ valueString: 'one' }] } : i));
    const doseIndex = items.findIndex((i) => i.linkId === 'dose');
    expect(qrIssues(ddcc.validate({ ...example, item: items }))).toEqual([
      ['QR_REQUIRED_MISSING', 'QuestionnaireResponse'],
      ['QR_ANSWER_TYPE', `QuestionnaireResponse.item[${doseIndex}].answer[0].value.ofType(string)`],
    ]);
  });

  test('when the vaccine code is not in the answerValueSet, then a CODE_NOT_IN_VALUESET warning at the answer', () => {
    const items = (example.item as { linkId: string }[]).map((i) =>
      i.linkId === 'vaccine'
        ? { linkId: 'vaccine', answer: [{ valueCoding: { system: 'http://id.who.int/icd11/mms', code: 'XM0000' } }] }
        : i,
    );
    const at = items.findIndex((i) => i.linkId === 'vaccine');
    expect(
      warns(ddcc.validate({ ...example, item: items })).filter(([, e]) =>
        String(e).startsWith(`QuestionnaireResponse.item[${at}]`),
      ),
    ).toEqual([['CODE_NOT_IN_VALUESET', `QuestionnaireResponse.item[${at}].answer[0]`]]);
  });
});
