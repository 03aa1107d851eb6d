/**
 * The pure translation of typed searches into MongoDB filters (src/storage/mongo/search-*.ts, conditional-key.ts):
 * shapes, semantics (evaluated with mingo on documents built from real index rows) and injection attempts.
 */
import fc from 'fast-check';
import { Query } from 'mingo';
import type { Resource } from '@medplum/fhirtypes';
import { indexValues } from '../../src/fhir/search/index-values.ts';
import { normalizeString } from '../../src/fhir/search/normalize.ts';
import type { SearchFilter } from '../../src/fhir/search/query.ts';
import type { Filter } from '../../src/storage/mongo/collection.ts';
import { conditionalKey } from '../../src/storage/mongo/conditional-key.ts';
import { toIndexFields } from '../../src/storage/mongo/index-fields.ts';
import {
  MATCH_NOTHING,
  chainTargetFilter,
  filterFor,
  queryFilter,
  visibleFilter,
} from '../../src/storage/mongo/search-filter.ts';
import { sortSpec } from '../../src/storage/mongo/search-sort.ts';
import { escapeRegex, startsWith } from '../../src/storage/mongo/search-values.ts';
import { immunization, patient, q } from './contract/helpers.ts';

/** A resource document as the adapter writes it (index fields from the real extraction). */
function docOf(resource: Resource, id: string): Record<string, unknown> {
  const { ix, sk } = toIndexFields(indexValues(resource));
  return { _id: `${resource.resourceType}/${id}`, t: resource.resourceType, id, del: 0, cs: 1, rk: 1, lu: 0, ix, sk };
}

function matches(filter: Filter, doc: Record<string, unknown>): boolean {
  return new Query(filter, {}).test(doc);
}

function only(type: string, search: string): SearchFilter {
  return q(type, search).filters[0] as SearchFilter;
}

/** Every key anywhere in a filter (object keys, through arrays). */
function keysOf(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keysOf(v, out);
  else if (value !== null && typeof value === 'object' && !(value instanceof RegExp)) {
    for (const [k, v] of Object.entries(value)) out.add(k), keysOf(v, out);
  }
  return out;
}

const FIXED_KEYS = new Set([
  '$and',
  '$or',
  '$nor',
  '$elemMatch',
  '$in',
  '$nin',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$ne',
  '$regex',
  '_id',
  't',
  'id',
  'del',
  'cs',
  'lu',
  'p',
  'c',
  's',
  'v',
  'x',
  'lo',
  'hi',
  'u',
  'i',
  'ix.tk',
  'ix.st',
  'ix.dt',
  'ix.nm',
  'ix.qt',
  'ix.rf',
  'ix.ur',
  'ix.tk.p',
  'ix.st.p',
]);

describe('search filter translation: shapes', () => {
  test('when a token has system and code, then one $elemMatch on the token array names the parameter, code and system', () => {
    expect(filterFor(only('Immunization', 'vaccine-code=http://snomed.info/sct|123'), 'Immunization')).toEqual({
      'ix.tk': { $elemMatch: { p: 'vaccine-code', c: '123', s: 'http://snomed.info/sct' } },
    });
  });

  test('when a parameter has comma values, then each value is an $elemMatch under $or; :not puts them under $nor', () => {
    expect(filterFor(only('Immunization', 'status=completed,not-done'), 'Immunization')).toEqual({
      $or: [
        { 'ix.tk': { $elemMatch: { p: 'status', c: 'completed' } } },
        { 'ix.tk': { $elemMatch: { p: 'status', c: 'not-done' } } },
      ],
    });
    expect(filterFor(only('Immunization', 'status:not=completed'), 'Immunization')).toEqual({
      $nor: [{ 'ix.tk': { $elemMatch: { p: 'status', c: 'completed' } } }],
    });
  });

  test('when a string is searched by default, then it is a binary prefix range on the normalised value, not a regex', () => {
    expect(filterFor(only('Patient', 'family=Mül'), 'Patient')).toEqual({
      'ix.st': { $elemMatch: { p: 'family', v: { $gte: 'mul', $lt: 'mul\u{10FFFF}' } } },
    });
  });

  test('when :missing is given, then presence of the parameter in the array is tested', () => {
    expect(filterFor(only('Patient', 'birthdate:missing=true'), 'Patient')).toEqual({
      $nor: [{ 'ix.dt.p': 'birthdate' }],
    });
    expect(filterFor(only('Patient', 'birthdate:missing=false'), 'Patient')).toEqual({ 'ix.dt.p': 'birthdate' });
    expect(filterFor(only('Patient', '_id:missing=true'), 'Patient')).toBe(MATCH_NOTHING);
  });

  test('when _id is searched, then the document key Type/id is matched so that the primary index answers', () => {
    expect(filterFor(only('Patient', '_id=a,b'), 'Patient')).toEqual({ _id: { $in: ['Patient/a', 'Patient/b'] } });
  });

  test('when _lastUpdated is searched, then the instant field lu is compared as the range [lu, lu+1)', () => {
    const f = filterFor(only('Patient', '_lastUpdated=gt2024-02-01'), 'Patient');
    expect(f).toEqual({ lu: { $gte: Date.parse('2024-02-02T00:00:00Z') } });
  });

  test('when a snapshot is given, then resources created after it are excluded and those deleted after it kept', () => {
    expect(visibleFilter('Patient', 7)).toEqual({
      t: 'Patient',
      cs: { $lte: 7 },
      $or: [{ del: 0 }, { del: { $gt: 7 } }],
    });
    expect(visibleFilter('Patient')).toEqual({ t: 'Patient', del: 0 });
  });

  test('when a chain is searched, then the target filter is built first and the ids come back as an $in on references', () => {
    const f = only('Immunization', 'patient.identifier=urn:nid|J2');
    expect(chainTargetFilter(f)).toEqual({
      t: 'Patient',
      del: 0,
      $and: [{ 'ix.tk': { $elemMatch: { p: 'identifier', c: 'J2', s: 'urn:nid' } } }],
    });
    expect(filterFor(f, 'Immunization', ['x1'])).toEqual({
      'ix.rf': { $elemMatch: { p: 'patient', t: 'Patient', i: { $in: ['x1'] } } },
    });
    expect(() => filterFor(f, 'Immunization')).toThrow("Chained parameter 'patient' needs the ids of its targets");
  });

  test('when _sort is given, then presence sorts first, then the min (ascending) or max (descending) key, then rk', () => {
    expect(sortSpec('Immunization', q('Immunization', '_sort=-date,lot-number').sort)).toEqual({
      'sk.date.on': -1,
      'sk.date.d': -1,
      'sk.lot-number.on': -1,
      'sk.lot-number.a': 1,
      rk: 1,
    });
    expect(
      sortSpec('Immunization', [
        { code: '$where', descending: false },
        { code: 'a.b', descending: true },
      ]),
    ).toEqual({ rk: 1 });
  });
});

describe('search filter translation: semantics on real index rows', () => {
  const jane = docOf(
    patient({ name: [{ family: 'Müller-Lüdenscheidt', given: ['Zoë'] }], birthDate: '1980-05-01' }),
    'p1',
  );
  const imm = docOf(immunization({ identifier: [{ system: 'urn:x', value: 'v1' }] }), 'i1');

  test.each([
    ['Patient', 'family=muller', true, jane],
    ['Patient', 'family=lüden', false, jane],
    ['Patient', 'family:contains=LÜDEN', true, jane],
    ['Patient', 'family:exact=Müller-Lüdenscheidt', true, jane],
    ['Patient', 'family:exact=müller-lüdenscheidt', false, jane],
    ['Patient', 'birthdate=1980-05', true, jane],
    ['Patient', 'birthdate=lt1980-05-01', false, jane],
    ['Patient', 'birthdate:missing=true', false, jane],
    ['Immunization', 'identifier=urn:x|v1', true, imm],
    ['Immunization', 'identifier=v1', true, imm],
    ['Immunization', 'identifier=urn:y|v1', false, imm],
    ['Immunization', 'patient=Patient/p1', true, imm],
    ['Immunization', 'patient=p1', true, imm],
    ['Immunization', 'date=ge2021-05-01', true, imm],
  ])('when %s?%s is matched against the document, then it matches: %s', (type, search, expected, doc) => {
    expect(matches(queryFilter(q(type, search)), doc)).toBe(expected);
  });
});

describe('search filter translation: request values stay data (injection attempts)', () => {
  const doc = docOf(patient({ name: [{ family: 'Doe' }], identifier: [{ system: 'urn:nid', value: '1' }] }), 'p1');
  const dotty = docOf(patient({ name: [{ family: 'a.*b (x) [y] $z ^w' }] }), 'p2');

  test.each([
    ['identifier={"$gt":""}', { 'ix.tk': { $elemMatch: { p: 'identifier', c: '{"$gt":""}' } } }],
    ['identifier=$where', { 'ix.tk': { $elemMatch: { p: 'identifier', c: '$where' } } }],
    ['_id=$ne', { _id: { $in: ['Patient/$ne'] } }],
  ])('when a token value is %s, then it is compared as a string and matches nothing', (search, expected) => {
    const f = filterFor(only('Patient', search), 'Patient');
    expect(f).toEqual(expected);
    expect(matches(queryFilter(q('Patient', search)), doc)).toBe(false);
  });

  test('when a string value looks like a filter or a regex, then it is a literal prefix or an escaped regex', () => {
    expect(matches(queryFilter(q('Patient', 'family={"$gt":""}')), doc)).toBe(false);
    expect(matches(queryFilter(q('Patient', 'family=.*')), doc)).toBe(false);
    expect(matches(queryFilter(q('Patient', 'family:contains=.*')), doc)).toBe(false);
    expect(matches(queryFilter(q('Patient', 'family:contains=.*')), dotty)).toBe(true);
    expect(matches(queryFilter(q('Patient', 'family:contains=(x) [y] $z ^w')), dotty)).toBe(true);
    expect(matches(queryFilter(q('Patient', 'family=a.*b')), dotty)).toBe(true);
    expect(matches(queryFilter(q('Patient', 'family=a.')), doc)).toBe(false);
  });

  test('when a :contains value holds regex metacharacters, then every one is escaped', () => {
    expect(filterFor(only('Patient', 'family:contains=a.b*(c)'), 'Patient')).toEqual({
      'ix.st': { $elemMatch: { p: 'family', v: { $regex: 'a\\.b\\*\\(c\\)' } } },
    });
    expect(escapeRegex('^$.*+?()[]{}|\\/')).toBe('\\^\\$\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\\\\\/');
  });

  test('when a value that is not a string reaches the translator (typed query bypassed), then it throws instead of passing an operator', () => {
    const forged = {
      code: 'identifier',
      type: 'token',
      values: [{ kind: 'token', code: { $gt: '' } }],
    } as unknown as SearchFilter;
    expect(() => filterFor(forged, 'Patient')).toThrow(new TypeError('A search value must be a string, not object'));
    expect(() => startsWith({ $where: '1' } as unknown as string)).toThrow(TypeError);
  });

  test('when any string is searched under any parameter type, then the filter uses only fixed keys and a :contains regex matches the text literally', () => {
    const params = [
      'family',
      'family:contains',
      'family:exact',
      'identifier',
      'gender:not',
      '_id',
      'general-practitioner',
      'link',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...params),
        fc.string({ minLength: 1, maxLength: 12, unit: 'binary' }),
        (param, value) => {
          const search = new URLSearchParams([[param, value]]).toString();
          let filter: Filter;
          try {
            filter = queryFilter(q('Patient', search));
          } catch {
            return true; // the parser refused the value (e.g. an invalid reference): nothing reaches MongoDB
          }
          for (const key of keysOf(filter)) expect(FIXED_KEYS.has(key)).toBe(true);
          const regex = JSON.stringify(filter).match(/"\$regex":("(?:[^"\\]|\\.)*")/);
          if (regex)
            expect(new RegExp(JSON.parse(regex[1] as string) as string).test(`x${normalizeString(value)}y`)).toBe(true);
          return true;
        },
      ),
    );
  });
});

describe('conditional create key', () => {
  test('when two requests are the same search written differently, then they get the same key', () => {
    const a = conditionalKey(q('Immunization', 'identifier=urn:x|1&status=completed,not-done'));
    expect(conditionalKey(q('Immunization', 'status=not-done,completed&identifier=urn:x|1'))).toBe(a);
    expect(conditionalKey(q('Immunization', 'status=completed,not-done&identifier=urn:x|1&identifier=urn:x|1'))).toBe(
      a,
    );
    expect(conditionalKey(q('Immunization', 'identifier=urn:x|1&status=completed,not-done&_count=5&_sort=date'))).toBe(
      a,
    );
    expect(conditionalKey(q('Patient', 'family=MÜLLER'))).toBe(conditionalKey(q('Patient', 'family=muller')));
    expect(conditionalKey(q('Immunization', 'date=2021-05-01T12:00%2B02:00'))).toBe(
      conditionalKey(q('Immunization', 'date=2021-05-01T10:00Z')),
    );
  });

  test('when searches differ in what they match, then their keys differ', () => {
    const a = conditionalKey(q('Immunization', 'identifier=urn:x|1'));
    expect(conditionalKey(q('Immunization', 'identifier=urn:x|2'))).not.toBe(a);
    expect(conditionalKey(q('Immunization', 'identifier:not=urn:x|1'))).not.toBe(a);
    expect(conditionalKey(q('Observation', 'identifier=urn:x|1'))).not.toBe(a);
    expect(conditionalKey(q('Patient', 'family:exact=Muller'))).not.toBe(conditionalKey(q('Patient', 'family=muller')));
    expect(a).toMatch(/^Immunization:[A-Za-z0-9_-]{43}$/);
  });
});
