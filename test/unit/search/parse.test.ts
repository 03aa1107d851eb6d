import { parseSearchQuery } from '../../../src/fhir/search/parse.ts';
import type { SearchFilter, SearchQuery } from '../../../src/fhir/search/query.ts';

const OPTIONS = { defaultCount: 20, maxCount: 100 };

function parse(resourceType: string, search: string): { query: SearchQuery; ignored: string[] } {
  return parseSearchQuery(resourceType, [...new URLSearchParams(search)] as Array<[string, string]>, OPTIONS);
}

function filter(resourceType: string, search: string): SearchFilter {
  const { query } = parse(resourceType, search);
  expect(query.filters).toHaveLength(1);
  return query.filters[0] as SearchFilter;
}

describe('parseSearchQuery: tokens', () => {
  test.each([
    ['system|code', 'http://snomed.info/sct|123', { kind: 'token', system: 'http://snomed.info/sct', code: '123' }],
    ['|code', '|123', { kind: 'token', system: '', code: '123' }],
    ['system|', 'http://snomed.info/sct|', { kind: 'token', system: 'http://snomed.info/sct' }],
    ['code', '123', { kind: 'token', code: '123' }],
    ['escaped bar', 'a\\|b', { kind: 'token', code: 'a|b' }],
  ])('when a token is %s, then system and code are split accordingly', (_, value, expected) => {
    expect(filter('Immunization', `vaccine-code=${encodeURIComponent(value)}`).values).toEqual([expected]);
  });

  test('when a token has :not, then the modifier is kept', () => {
    expect(filter('Immunization', 'status:not=completed')).toEqual({
      code: 'status',
      type: 'token',
      modifier: 'not',
      values: [{ kind: 'token', code: 'completed' }],
    });
  });

  test('when :missing is given, then missing is a boolean and there are no values', () => {
    expect(filter('Immunization', 'lot-number:missing=true')).toMatchObject({
      modifier: 'missing',
      missing: true,
      values: [],
    });
    expect(filter('Immunization', 'lot-number:missing=false')).toMatchObject({ missing: false });
  });

  test('when a token has :text, then its value is a normalised string', () => {
    expect(filter('Immunization', 'vaccine-code:text=Cömirnaty').values).toEqual([
      { kind: 'string', value: 'comirnaty' },
    ]);
  });

  test('when values are comma-separated, then they are OR-ed in one filter; escaped commas stay', () => {
    expect(filter('Immunization', 'status=completed,not-done').values).toHaveLength(2);
    expect(filter('Immunization', `lot-number=${encodeURIComponent('a\\,b')}`).values).toEqual([
      { kind: 'string', value: 'a,b' },
    ]);
  });

  test('when a parameter is repeated, then each occurrence is its own (AND-ed) filter', () => {
    expect(parse('Immunization', 'date=ge2021&date=lt2022').query.filters).toHaveLength(2);
  });

  test('when _id is given, then it is a token filter on _id', () => {
    expect(filter('Patient', '_id=a,b')).toMatchObject({
      code: '_id',
      type: 'token',
      values: [{ code: 'a' }, { code: 'b' }],
    });
  });
});

describe('parseSearchQuery: strings, dates, numbers, quantities, uris', () => {
  test('when a string is searched, then it is normalised unless :exact', () => {
    expect(filter('Patient', 'family=Müller').values).toEqual([{ kind: 'string', value: 'muller' }]);
    expect(filter('Patient', 'family:exact=Müller').values).toEqual([{ kind: 'string', value: 'Müller' }]);
    expect(filter('Patient', 'family:contains=ÜLL')).toMatchObject({
      modifier: 'contains',
      values: [{ value: 'ull' }],
    });
  });

  test.each(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'])(
    'when a date has prefix %s, then it is kept with the range',
    (prefix) => {
      expect(filter('Immunization', `date=${prefix}2021-05`).values).toEqual([
        { kind: 'date', prefix, low: Date.UTC(2021, 4, 1), high: Date.UTC(2021, 5, 1) },
      ]);
    },
  );

  test.each([
    ['2021', Date.UTC(2021, 0, 1), Date.UTC(2022, 0, 1)],
    ['2021-02', Date.UTC(2021, 1, 1), Date.UTC(2021, 2, 1)],
    ['2021-02-28', Date.UTC(2021, 1, 28), Date.UTC(2021, 2, 1)],
    ['2021-02-28T10:15Z', Date.UTC(2021, 1, 28, 10, 15), Date.UTC(2021, 1, 28, 10, 16)],
    ['2021-02-28T10:15:30Z', Date.UTC(2021, 1, 28, 10, 15, 30), Date.UTC(2021, 1, 28, 10, 15, 31)],
    ['2021-02-28T10:15:30.250Z', Date.UTC(2021, 1, 28, 10, 15, 30, 250), Date.UTC(2021, 1, 28, 10, 15, 30, 251)],
    ['2021-02-28T10:15:30.2Z', Date.UTC(2021, 1, 28, 10, 15, 30, 200), Date.UTC(2021, 1, 28, 10, 15, 30, 300)],
    ['2021-02-28T12:15+02:00', Date.UTC(2021, 1, 28, 10, 15), Date.UTC(2021, 1, 28, 10, 16)],
    ['2021-02-28T10:15:30', Date.UTC(2021, 1, 28, 10, 15, 30), Date.UTC(2021, 1, 28, 10, 15, 31)],
  ])('when a date is %s, then its range covers exactly its precision', (value, low, high) => {
    expect(filter('Immunization', `date=${encodeURIComponent(value)}`).values).toEqual([
      { kind: 'date', prefix: 'eq', low, high },
    ]);
  });

  test('when _lastUpdated is given, then it is a date filter', () => {
    expect(filter('Patient', '_lastUpdated=gt2024-01-01')).toMatchObject({
      code: '_lastUpdated',
      type: 'date',
      values: [{ prefix: 'gt' }],
    });
  });

  test('when a number is searched, then its precision gives the range', () => {
    expect(filter('RiskAssessment', 'probability=100').values).toEqual([
      { kind: 'number', prefix: 'eq', value: 100, low: 99.5, high: 100.5 },
    ]);
    const [v] = filter('RiskAssessment', 'probability=gt0.50').values as Array<{
      low: number;
      high: number;
      prefix: string;
    }>;
    expect(v?.prefix).toBe('gt');
    expect(v?.low).toBeCloseTo(0.495, 10);
    expect(v?.high).toBeCloseTo(0.505, 10);
    const [e] = filter('RiskAssessment', 'probability=1e2').values as Array<{ low: number; high: number }>;
    expect([e?.low, e?.high]).toEqual([50, 150]);
  });

  test('when a quantity is searched, then number, system and code are split', () => {
    expect(filter('Observation', 'value-quantity=le5.4|http://unitsofmeasure.org|mg').values).toEqual([
      {
        kind: 'quantity',
        prefix: 'le',
        value: 5.4,
        low: 5.35,
        high: 5.45,
        system: 'http://unitsofmeasure.org',
        code: 'mg',
      },
    ]);
    expect(filter('Observation', 'value-quantity=5.4||mg').values).toMatchObject([{ code: 'mg' }]);
    expect(filter('Observation', 'value-quantity=5.4').values[0]).not.toHaveProperty('code');
  });

  test('when a uri is searched, then its value is kept as is, with :below or :above', () => {
    expect(filter('ValueSet', 'url:below=http://x.org/fhir')).toMatchObject({
      modifier: 'below',
      values: [{ kind: 'uri', value: 'http://x.org/fhir' }],
    });
  });
});

describe('parseSearchQuery: references and chains', () => {
  test.each([
    ['Type/id', 'Patient/p1', { kind: 'reference', resourceType: 'Patient', id: 'p1' }],
    ['Type/id/_history', 'Patient/p1/_history/2', { kind: 'reference', resourceType: 'Patient', id: 'p1' }],
    ['absolute URL', 'https://x.org/fhir/Patient/p1', { kind: 'reference', url: 'https://x.org/fhir/Patient/p1' }],
    [
      'urn:uuid',
      'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0',
      { kind: 'reference', url: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0' },
    ],
  ])('when a reference is a %s, then it is split accordingly', (_, value, expected) => {
    expect(filter('Observation', `subject=${encodeURIComponent(value)}`).values).toEqual([expected]);
  });

  test('when a bare id is given, then the single target type is implied, or none for several targets', () => {
    expect(filter('Immunization', 'patient=p1').values).toEqual([
      { kind: 'reference', resourceType: 'Patient', id: 'p1' },
    ]);
    expect(filter('Observation', 'subject=p1').values).toEqual([{ kind: 'reference', id: 'p1' }]);
    expect(filter('Observation', 'subject:Group=p1').values).toEqual([
      { kind: 'reference', resourceType: 'Group', id: 'p1' },
    ]);
  });

  test('when a chain is given, then the filter carries the target type and the chained filter', () => {
    expect(filter('Immunization', 'patient.identifier=urn:nid|1')).toEqual({
      code: 'patient',
      type: 'reference',
      values: [],
      chain: {
        targetType: 'Patient',
        filter: { code: 'identifier', type: 'token', values: [{ kind: 'token', system: 'urn:nid', code: '1' }] },
      },
    });
    expect(filter('Observation', 'subject:Patient.name:exact=Doe').chain).toEqual({
      targetType: 'Patient',
      filter: { code: 'name', type: 'string', modifier: 'exact', values: [{ kind: 'string', value: 'Doe' }] },
    });
  });
});

describe('parseSearchQuery: result parameters and ignored parameters', () => {
  test('when no result parameters are given, then defaults apply', () => {
    expect(parse('Immunization', '').query).toEqual({
      resourceType: 'Immunization',
      filters: [],
      sort: [],
      count: 20,
      offset: 0,
      total: 'none',
      summaryCount: false,
      include: [],
      revinclude: [],
    });
  });

  test('when _count, _offset, _snapshot, _sort and _total are given, then they are applied; _count is capped', () => {
    const { query } = parse(
      'Immunization',
      '_count=500&_offset=40&_snapshot=17&_sort=-date,lot-number,_id&_total=accurate',
    );
    expect(query).toMatchObject({ count: 100, offset: 40, snapshot: 17, total: 'accurate' });
    expect(query.sort).toEqual([
      { code: 'date', descending: true },
      { code: 'lot-number', descending: false },
      { code: '_id', descending: false },
    ]);
    expect(parse('Immunization', '_total=estimate').query.total).toBe('accurate');
    expect(parse('Immunization', '_total=none').query.total).toBe('none');
  });

  test('when _summary=count is given, then only a total is asked for', () => {
    expect(parse('Immunization', '_summary=count').query).toMatchObject({ summaryCount: true, total: 'accurate' });
  });

  test('when _include and _revinclude are given, then the rules are parsed with optional target type', () => {
    const { query } = parse(
      'Immunization',
      '_include=Immunization:patient&_include=Immunization:performer:Practitioner&_revinclude=Provenance:target',
    );
    expect(query.include).toEqual([
      { sourceType: 'Immunization', paramCode: 'patient' },
      { sourceType: 'Immunization', paramCode: 'performer', targetType: 'Practitioner' },
    ]);
    expect(query.revinclude).toEqual([{ sourceType: 'Provenance', paramCode: 'target' }]);
  });

  test('when parameters are unknown, unsupported or owned by the REST layer, then they are reported as ignored', () => {
    const { query, ignored } = parse(
      'Immunization',
      'foo=1&_format=json&_pretty=true&_include:iterate=Immunization:patient&_text=x&_content=x',
    );
    expect(ignored).toEqual(['foo', '_format', '_pretty', '_include:iterate', '_text', '_content']);
    expect(query.filters).toEqual([]);
    expect(query.include).toEqual([]);
  });

  test('when _elements, _summary and _has are given, then they are parsed for the REST layer', () => {
    const { query, ignored } = parse(
      'Patient',
      '_elements=id,name&_summary=data&_has:Immunization:patient:status=completed',
    );
    expect(ignored).toEqual([]);
    expect(query.elements).toEqual(['id', 'name']);
    expect(query.summary).toBe('data');
    expect(query.has).toEqual([
      {
        sourceType: 'Immunization',
        paramCode: 'patient',
        filter: { code: 'status', type: 'token', values: [{ kind: 'token', code: 'completed' }] },
      },
    ]);
  });

  test('when a reference takes :identifier, then it becomes a token filter on the logical reference', () => {
    const { query } = parse('Immunization', 'patient:identifier=urn:nhs|1');
    expect(query.filters).toEqual([
      { code: 'patient:identifier', type: 'token', values: [{ kind: 'token', system: 'urn:nhs', code: '1' }] },
    ]);
  });

  test('when _include uses a wildcard, then it is ignored', () => {
    expect(parse('Immunization', '_include=*&_revinclude=Provenance:*').ignored).toEqual(['_include', '_revinclude']);
  });

  test('when a composite parameter is given, then it is ignored (not supported)', () => {
    expect(parse('Observation', 'code-value-quantity=x$gt5').ignored).toEqual(['code-value-quantity']);
  });

  test('when a value is empty, then the parameter is skipped', () => {
    expect(parse('Immunization', 'status=').query.filters).toEqual([]);
    expect(parse('Immunization', 'status=,&_lastUpdated=,&patient.identifier=,').query.filters).toEqual([]);
  });
});
