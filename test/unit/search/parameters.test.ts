import { getSearchParam, listSearchParams, splitUnion } from '../../../src/fhir/search/parameters.ts';
import { dateRange } from '../../../src/fhir/search/date-range.ts';
import { normalizeString } from '../../../src/fhir/search/normalize.ts';

describe('search parameter registry', () => {
  test('when Immunization params are listed, then they include its own and the common ones, sorted', () => {
    const codes = listSearchParams('Immunization').map((p) => p.code);
    expect(codes).toEqual([...codes].sort((a, b) => a.localeCompare(b)));
    expect(codes).toEqual(
      expect.arrayContaining([
        '_id',
        '_lastUpdated',
        '_tag',
        '_profile',
        'vaccine-code',
        'patient',
        'date',
        'identifier',
      ]),
    );
  });

  test('when a multi-type expression is looked up for one type, then only that type members remain', () => {
    expect(getSearchParam('Immunization', 'date')).toMatchObject({
      type: 'date',
      expression: 'Immunization.occurrence',
    });
    expect(getSearchParam('Observation', 'patient')?.expression).toBe(
      'Observation.subject.where(resolve() is Patient)',
    );
    expect(getSearchParam('Immunization', 'patient')?.targets).toEqual(['Patient']);
  });

  test('when a Resource-level parameter is looked up, then its expression starts at the type', () => {
    expect(getSearchParam('Patient', '_id')?.expression).toBe('Patient.id');
    expect(getSearchParam('Patient', '_lastUpdated')?.expression).toBe('Patient.meta.lastUpdated');
  });

  test('when a parameter is composite, special or has no expression, then it is marked unsupported', () => {
    expect(getSearchParam('Observation', 'code-value-quantity')?.supported).toBe(false);
    expect(getSearchParam('Patient', '_text')?.supported).toBe(false);
    expect(getSearchParam('Patient', '_id')?.supported).toBe(true);
    expect(getSearchParam('Immunization', 'vaccine-code')?.supported).toBe(true);
  });

  test('when the code or type is unknown, then nothing is found', () => {
    expect(getSearchParam('Immunization', 'nonsense')).toBeUndefined();
    expect(listSearchParams('NotAType').map((p) => p.code)).toContain('_id');
  });

  test('when a union has parentheses, then it splits only at the top level', () => {
    expect(splitUnion("(A.b as C) | A.d.where(e = 'x|y') | (A.f | A.g)")).toEqual([
      '(A.b as C)',
      "A.d.where(e = 'x|y')",
      '(A.f | A.g)',
    ]);
  });
});

describe('dateRange and normalizeString', () => {
  test('when a date is invalid, then there is no range', () => {
    for (const bad of ['2021-00', '2021-02-29', '2021-01-01T25:00Z', '21-01-01', '2021-01-01T10Z', ''])
      expect(dateRange(bad)).toBeUndefined();
  });

  test('when a leap day or an early year is given, then the range is right', () => {
    expect(dateRange('2024-02-29')).toEqual({ low: Date.UTC(2024, 1, 29), high: Date.UTC(2024, 2, 1) });
    const y50 = dateRange('0050');
    expect(new Date(y50?.low as number).getUTCFullYear()).toBe(50);
  });

  test('when text has accents, case and runs of space, then it normalises', () => {
    expect(normalizeString('  Ångström   ÉCOLE ')).toBe('angstrom ecole');
  });
});
