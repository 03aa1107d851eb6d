/** UCUM units checked offline (validation/ucum.ts, @lhncbc/ucum-lhc) on Quantity values and Codings. */
import { readBaseR4 } from '../../../src/packages/base-r4.ts';
import { createValidator } from '../../../src/validation/validator.ts';

const validator = createValidator({ packages: [readBaseR4()], summaries: [], warnings: [] });

const observation = (quantity: Record<string, unknown>) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'weight' },
  valueQuantity: { value: 70, ...quantity },
});

const ucumIssues = (resource: unknown) =>
  validator.validate(resource).issue.filter((i) => i.details?.coding?.[0]?.code === 'UCUM_CODE_INVALID');

describe('UCUM units', () => {
  test.each(['kg', 'mg/dL', 'mm[Hg]', '{score}', '10*3/uL', '/min'])(
    'when a Quantity carries the valid UCUM unit %s, then no UCUM issue is reported',
    (code) => {
      expect(ucumIssues(observation({ system: 'http://unitsofmeasure.org', code }))).toEqual([]);
    },
  );

  test.each(['kgg', 'mg/', 'mmHg)'])(
    'when a Quantity carries the invalid UCUM unit %s, then an error is reported at its code',
    (code) => {
      const issues = ucumIssues(observation({ system: 'http://unitsofmeasure.org', code }));
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({
        severity: 'error',
        expression: ['Observation.value.ofType(Quantity).code'],
      });
      expect(issues[0]?.details?.text).toContain(`'${code}'`);
    },
  );

  test('when the unit is of another system, then it is not read as UCUM', () => {
    expect(ucumIssues(observation({ system: 'http://example.org/units', code: 'kgg' }))).toEqual([]);
  });

  test('when a Coding names UCUM with an invalid code, then it is reported too', () => {
    const issues = ucumIssues({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://unitsofmeasure.org', code: 'kgg' }] },
    });
    expect(issues.map((i) => i.expression?.[0])).toEqual(['Observation.code.coding[0].code']);
  });
});
